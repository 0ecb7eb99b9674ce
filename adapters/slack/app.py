"""The Slack app: Bolt listeners ack at once, then parse (inbound.py), call `bot.chat.Chat`,
render (render.py) and send, in Bolt's listener thread; a striped lock keeps one person's
events in order. Requests come over HTTP (http.py: Bolt's WSGI adapter on waitress) or Socket
Mode (main.py)."""

from __future__ import annotations

import logging
import re
import threading
import zlib
from collections.abc import Callable
from typing import Any

from cachetools import LRUCache
from slack_bolt import App
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from adapters.bounded import RecentSet
from adapters.slack import files as sfiles
from adapters.slack import inbound as sin
from adapters.slack import render as srn
from adapters.slack import shortcuts
from adapters.slack.client import api_base, keep_alive_middleware, make_client
from adapters.slack.http import serve
from adapters.slack.presses import PressReply
from bot.chat import Chat, Vouched
from bot.notices import Notice, Outcome
from bot.service import Service, Who
from bot.settings import Settings
from flows.errors import Invalid
from flows.model import Inbound, Prompt

__all__ = ["BOT_SCOPES", "SlackBot", "api_base", "make_client", "serve"]

log = logging.getLogger(__name__)

CHANNEL = "slack"
BOT_SCOPES = ["chat:write", "commands", "im:history", "im:read", "im:write", "files:read",
              "users:read", "users:read.email"]
LOCK_STRIPES, DM_CACHE = 256, 10_000


class SlackBot:
    """Bolt app plus what it needs: the chat API, per-user ordering, the notice poller."""

    def __init__(self, settings: Settings, service: Service,
                 listener_executor: Any = None) -> None:
        self.settings = settings
        self.listener_executor = listener_executor
        self.service = service
        self.chat = Chat(service, trusted_teams=settings.allowed_teams, start_after_link=True,
                         fetch_files=lambda who, pending: shortcuts.fetch_files(self, who,
                                                                                pending))
        self.dms: LRUCache[str, str] = LRUCache(maxsize=DM_CACHE)
        self.answered_in_place = RecentSet(DM_CACHE)
        # a fixed set of locks, picked by user: bounded memory, one person's events in order
        self._locks = [threading.Lock() for _ in range(LOCK_STRIPES)]
        self._stop = threading.Event()
        self.installation_store: Any = None
        self.app = self._build_app()
        self._register()

    # -- construction ----------------------------------------------------------------------

    def _build_app(self) -> App:
        s = self.settings
        common: dict[str, Any] = {"signing_secret": s.slack_signing_secret or "",
                                  "process_before_response": False}
        if self.listener_executor is not None:
            common["listener_executor"] = self.listener_executor
        if s.slack_client_id and s.slack_client_secret:
            from slack_sdk.oauth.installation_store.sqlalchemy import (
                SQLAlchemyInstallationStore,
            )
            from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

            engine = self.service.engine
            store = SQLAlchemyInstallationStore(client_id=s.slack_client_id, engine=engine)
            states = SQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine)
            store.create_tables()  # no-op after `casebot db upgrade` (migration 0003)
            states.create_tables()
            self.installation_store = store
            oauth = OAuthSettings(client_id=s.slack_client_id,
                                  client_secret=s.slack_client_secret, scopes=BOT_SCOPES,
                                  installation_store=store, state_store=states)
            return App(client=make_client(s), oauth_settings=oauth, **common)
        return App(client=make_client(s, s.slack_bot_token), **common)

    def _register(self) -> None:
        app = self.app
        app.use(keep_alive_middleware)  # before any listener: its calls reuse connections
        app.event("message")(self.on_message)
        app.command("/case")(self.on_command)
        app.command("/urlcheck")(self.on_command)
        app.action(re.compile(r"^cb\."))(self.on_action)
        shortcuts.register(self)  # message and global shortcuts, the App Home tab

    # -- helpers ---------------------------------------------------------------------------

    def lock_for(self, ext: str) -> threading.Lock:
        return self._locks[zlib.crc32(ext.encode()) % LOCK_STRIPES]

    def client_for_team(self, team_id: str) -> WebClient | None:
        if self.installation_store is None:
            return self.app.client
        bot = self.installation_store.find_bot(enterprise_id=None, team_id=team_id)
        return make_client(self.settings, bot.bot_token) if bot else None

    def remember_dm(self, ext: str, dm: str) -> None:
        self.dms[ext] = dm

    def dm_for(self, client: WebClient, ext: str, user_id: str) -> str:
        if ext not in self.dms:
            self.remember_dm(ext, client.conversations_open(users=user_id)["channel"]["id"])
        return self.dms[ext]

    def post(self, client: WebClient, channel: str, message: dict[str, Any]) -> None:
        client.chat_postMessage(channel=channel, unfurl_links=False, unfurl_media=False,
                                **message)

    def post_prompts(self, client: WebClient, channel: str, prompts: list[Prompt]) -> None:
        for prompt in prompts:
            self.post(client, channel, srn.render(prompt))

    def directory(self, client: WebClient, team: str, user: str) -> Callable[[], Vouched]:
        """users.info, asked only for a person not linked yet: their email, and whether Slack
        confirmed it (`is_email_confirmed`); the team is the one the signed request came from."""
        def look_up() -> Vouched:
            try:
                profile = client.users_info(user=user)["user"]
            except SlackApiError as exc:
                log.warning("users.info failed: %s", exc.response.get("error"))
                return Vouched(None, False, team)
            email = (profile.get("profile") or {}).get("email")
            name = profile.get("real_name") or (profile.get("profile") or {}).get("real_name",
                                                                                  "")
            return Vouched(email, profile.get("is_email_confirmed") is True, team, name)
        return look_up

    def handle(self, client: WebClient, team: str, user: str, dm: str, inbound: Inbound,
               delivery_id: str | None, *, before: Callable[[list[Prompt]], None] | None = None,
               tidy: Callable[[list[Prompt]], None] | None = None) -> None:
        """One event through the chat API; `tidy` (the pressed message) runs after the post."""
        ext = sin.external_id(team, user)
        with self.lock_for(ext):
            who = Who(channel=CHANNEL, external_id=ext, chat_ref=dm)
            prompts = self.chat.handle(who, inbound, delivery_id=delivery_id,
                                       directory=self.directory(client, team, user))
            if before is not None:
                before(prompts)
            self.post_prompts(client, dm, prompts)
            if tidy is not None:
                tidy(prompts)
        if any(p.kind == "done" for p in prompts):  # a new case: the home tab lists it
            shortcuts.publish_home(self, client, team, user)

    # -- listeners -------------------------------------------------------------------------

    def on_message(self, body: dict[str, Any], event: dict[str, Any], client: WebClient,
                   context: Any) -> None:
        if event.get("channel_type") != "im" or event.get("bot_id"):
            return
        if event.get("subtype") not in (None, "file_share"):
            return
        team = context.team_id or body.get("team_id") or ""
        user = event.get("user") or ""
        dm = event["channel"]
        ext = sin.external_id(team, user)
        self.remember_dm(ext, dm)
        event_id = body.get("event_id") or event.get("ts")
        files = event.get("files") or []
        if not files:
            self.handle(client, team, user, dm, sin.message_inbound(event),
                        f"slack:{event_id}")
            return
        who = Who(channel=CHANNEL, external_id=ext, chat_ref=dm)
        with self.lock_for(ext):
            if not self.chat.takes_files(who):  # nothing is fetched for a refused file
                self.post_prompts(client, dm, self.chat.refuse_file(
                    who, f"slack:{event_id}", self.directory(client, team, user)))
                return
        for f in files:
            try:
                ref = sfiles.download(client, context.bot_token or client.token, f,
                                      self.service.files, api_base(self.settings))
            except Invalid as exc:
                self.post(client, dm, srn.info_message(str(exc)))
                continue
            self.handle(client, team, user, dm, Inbound(kind="file", file=ref),
                        f"slack:{event_id}:{f.get('id')}")

    def on_command(self, ack: Callable[..., None], body: dict[str, Any],
                   command: dict[str, Any], client: WebClient, context: Any) -> None:
        name = command.get("command", "")
        in_dm = command.get("channel_name") == "directmessage" or name == "/urlcheck"
        ack() if in_dm else ack(text="I'll answer in my direct messages with you.")
        team = context.team_id or command.get("team_id") or ""
        user = command.get("user_id") or ""
        inbound = sin.slash_inbound(name, command.get("text", ""))
        dm = self.dm_for(client, sin.external_id(team, user), user)
        delivery = f"slack:cmd:{command.get('trigger_id') or ''}" if command.get(
            "trigger_id") else None
        if name == "/urlcheck":
            self.url_check(client, team, user, dm, command, inbound, delivery)
            return
        self.handle(client, team, user, dm, inbound, delivery)

    def url_check(self, client: WebClient, team: str, user: str, dm: str,
                  command: dict[str, Any], inbound: Inbound, delivery: str | None) -> None:
        """`/urlcheck` answers only the person who asked (ephemeral), where they asked."""
        def ephemeral(prompts: list[Prompt]) -> None:
            first = prompts[:1]
            if first:
                client.chat_postEphemeral(channel=command.get("channel_id") or dm, user=user,
                                          unfurl_links=False, unfurl_media=False,
                                          **srn.render(first[0]))
            prompts.clear()  # nothing else goes to the DM

        self.handle(client, team, user, dm, inbound, delivery, before=ephemeral)

    def on_action(self, ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any],
                  client: WebClient, context: Any) -> None:
        ack()
        team = context.team_id or (body.get("team") or {}).get("id") or ""
        user = (body.get("user") or {}).get("id") or ""
        container = body.get("container") or {}
        dm = container.get("channel_id") or (body.get("channel") or {}).get("id") or ""
        ts = container.get("message_ts")
        blocks = (body.get("message") or {}).get("blocks") or []
        action_id = action.get("action_id", "")
        delivery = sin.delivery_for_action(body, action)
        if action_id in (srn.ID_YES, srn.ID_NO):
            if ts:
                client.chat_update(channel=dm, ts=ts, text="Email confirmation",
                                   blocks=srn.answered(blocks, sin.chosen_label(action)))
            self.handle(client, team, user, dm, sin.identity_inbound(action_id), delivery)
            return
        state = body.get("state")
        found = sin.action_inbound(action, state)
        if found is None:
            return
        inbound = found
        label = sin.chosen_label(action, state)
        ephemeral = bool(container.get("is_ephemeral"))
        if ephemeral or inbound.kind == "command":
            # e.g. "Request reclassification" under a /urlcheck answer in a channel: the
            # request itself continues in the DM, never in the channel.
            dm = self.dm_for(client, sin.external_id(team, user), user)

        reply = PressReply(self.answered_in_place, client, dm, ts, blocks,
                           (body.get("message") or {}).get("text") or "casebot", label,
                           ephemeral)
        self.handle(client, team, user, dm, inbound, delivery, before=reply.before,
                    tidy=reply.tidy)

    # -- operator updates ------------------------------------------------------------------

    def send_notice(self, notice: Notice) -> Outcome:
        team, _, user = notice.external_id.partition(":")
        client = self.client_for_team(team)
        if client is None:  # the workspace uninstalled the app
            return Outcome.GIVE_UP
        try:
            dm = notice.chat_ref or self.dm_for(client, notice.external_id, user)
            self.post(client, dm, srn.info_message(notice.text))
        except SlackApiError as exc:
            log.warning("notice not delivered: %s", exc.response.get("error"))
            return Outcome.RETRY
        shortcuts.publish_home(self, client, team, user)  # the case changed: refresh home
        return Outcome.SENT

    def deliver_notices(self) -> int:
        """Send queued case updates to each user's DM; returns how many were sent."""
        return self.chat.deliver_notices(CHANNEL, self.send_notice)

    def start_notices(self, interval: float = 2.0) -> threading.Thread:
        def loop() -> None:
            while not self._stop.wait(interval):
                try:
                    self.deliver_notices()
                except Exception:  # keep polling whatever one round hit
                    log.exception("notice delivery round failed")

        thread = threading.Thread(target=loop, name="slack-notices", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()
