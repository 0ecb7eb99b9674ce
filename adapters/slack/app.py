"""The Slack app: Bolt listeners that ack at once and run `Service.handle` after the ack.

This is the only module that touches slack_bolt / slack_sdk. Requests arrive on one endpoint,
`/slack/events` (events, interactivity, slash commands), or over Socket Mode. Every listener
acks first (Bolt answers Slack within its 3 seconds) and does the work in Bolt's listener
thread; a per-user lock keeps one person's events in order.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import urllib.parse
import urllib.request
from collections import OrderedDict
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cachetools import LRUCache
from slack_bolt import App, BoltRequest
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlmodel import Session

from adapters.slack import inbound as sin
from adapters.slack import render as srn
from bot import notices
from bot.service import OUT_OF_DATE, NotLinked, Service, Who
from bot.settings import PER_USER_ENTRIES, Settings
from flows.errors import Invalid
from flows.model import Inbound, Prompt

log = logging.getLogger(__name__)

CHANNEL = "slack"
DEFAULT_API_URL = "https://slack.com/api/"
BOT_SCOPES = ["chat:write", "commands", "im:history", "im:read", "im:write", "files:read",
              "users:read", "users:read.email"]
CHUNK = 1024 * 1024
ASK_EMAIL = ("What is your work email address? Type it as a message; I'll send a code there "
             "to confirm it's yours.")
NO_VERIFICATION = ("I can't verify email addresses yet. Please ask your support administrator "
                   "to link your Slack account (casebot contacts link --slack TEAM:USER).")


def api_base(settings: Settings) -> str:
    url = settings.slack_api_url or DEFAULT_API_URL
    return url if url.endswith("/") else url + "/"


def make_client(settings: Settings, token: str | None = None) -> WebClient:
    """A WebClient on SLACK_API_URL that waits out HTTP 429 for as long as Retry-After says."""
    client = WebClient(token=token, base_url=api_base(settings))
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=3))
    return client


class _Seen:
    """Recently seen delivery ids, for replies made before a user is linked (not in the DB)."""

    def __init__(self, size: int = 2048) -> None:
        self.ids: OrderedDict[str, None] = OrderedDict()
        self.lock = threading.Lock()
        self.size = size

    def first(self, key: str | None) -> bool:
        if key is None:
            return True
        with self.lock:
            if key in self.ids:
                return False
            self.ids[key] = None
            while len(self.ids) > self.size:
                self.ids.popitem(last=False)
            return True


class SlackBot:
    """Bolt app plus what it needs: the service, per-user locks, the notice poller."""

    def __init__(self, settings: Settings, service: Service,
                 listener_executor: Any = None) -> None:
        self.settings = settings
        self.listener_executor = listener_executor
        self.service = service
        self.seen = _Seen()
        # per-user memory is bounded (issue 11): the least recently used entries go first
        self.declined: LRUCache[str, bool] = LRUCache(PER_USER_ENTRIES)
        self.dms: LRUCache[str, str] = LRUCache(PER_USER_ENTRIES)
        self._locks: LRUCache[str, threading.Lock] = LRUCache(PER_USER_ENTRIES)
        self._locks_guard = threading.Lock()
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
        app.event("message")(self.on_message)
        app.event("app_home_opened")(lambda: None)
        app.command("/case")(self.on_command)
        app.command("/urlcheck")(self.on_command)
        app.action(re.compile(r"^cb\."))(self.on_action)

    # -- helpers ---------------------------------------------------------------------------

    def lock_for(self, ext: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(ext, threading.Lock())

    def client_for_team(self, team_id: str) -> WebClient | None:
        if self.installation_store is None:
            return self.app.client
        bot = self.installation_store.find_bot(enterprise_id=None, team_id=team_id)
        return make_client(self.settings, bot.bot_token) if bot else None

    def dm_for(self, client: WebClient, ext: str, user_id: str) -> str:
        if ext not in self.dms:
            self.dms[ext] = client.conversations_open(users=user_id)["channel"]["id"]
        return self.dms[ext]

    def post(self, client: WebClient, channel: str, message: dict[str, Any]) -> None:
        client.chat_postMessage(channel=channel, unfurl_links=False, unfurl_media=False,
                                **message)

    def post_prompts(self, client: WebClient, channel: str, prompts: list[Prompt]) -> None:
        for prompt in prompts:
            self.post(client, channel, srn.render(prompt))

    def handle(self, client: WebClient, team: str, user: str, dm: str, inbound: Inbound,
               delivery_id: str | None, *, auto_start: bool = False,
               after: Callable[[list[Prompt]], None] | None = None) -> None:
        """One event: run it through the service and post the answer (or verify first)."""
        ext = sin.external_id(team, user)
        with self.lock_for(ext):
            who = Who(channel=CHANNEL, external_id=ext, chat_ref=dm)
            try:
                prompts = self.service.handle(who, inbound, delivery_id=delivery_id,
                                              auto_start=auto_start)
            except NotLinked:
                if self.seen.first(delivery_id):
                    self.identify(client, team, user, dm, inbound)
                return
            if after is not None:
                after(prompts)
            self.post_prompts(client, dm, prompts)

    # -- identity ----------------------------------------------------------------------------

    def identify(self, client: WebClient, team: str, user: str, dm: str,
                 inbound: Inbound) -> None:
        """Link this Slack user to a contact: their Slack email (confirmed), or a mailed code."""
        ext = sin.external_id(team, user)
        text = inbound.text.strip() if inbound.kind == "text" else ""
        verification = _verification()
        try:
            if text and "@" in text:
                if verification is None:
                    self.post(client, dm, srn.info_message(NO_VERIFICATION))
                    return
                msg = verification.start_verification(self.service, CHANNEL, ext, text,
                                                      chat_ref=dm)
                self.post(client, dm, srn.info_message(msg))
                return
            if text and verification is not None and verification.looks_like_code(text):
                _, name = self.slack_email(client, user)
                address = verification.confirm_verification(self.service, CHANNEL, ext, text,
                                                            chat_ref=dm, name=name)
                self.post(client, dm, srn.info_message(
                    f"Thank you: your Slack account is now linked to {address}."))
                self.continue_after_link(client, team, user, dm)
                return
        except Invalid as exc:
            self.post(client, dm, srn.info_message(str(exc)))
            return
        if verification is not None and verification.awaiting_code(self.service, CHANNEL, ext):
            self.post(client, dm, srn.info_message(
                "Please send the 8-digit code from the email I sent you, or send your email "
                "address again to get a new code."))
            return
        email = None if ext in self.declined else self.slack_email(client, user)[0]
        if email:
            self.post(client, dm, srn.confirm_email(email))
        else:
            self.post(client, dm, srn.info_message(ASK_EMAIL))

    def slack_email(self, client: WebClient, user: str) -> tuple[str | None, str]:
        try:
            profile = client.users_info(user=user)["user"]
        except SlackApiError as exc:
            log.warning("users.info failed: %s", exc.response.get("error"))
            return None, ""
        email = (profile.get("profile") or {}).get("email")
        name = profile.get("real_name") or (profile.get("profile") or {}).get("real_name", "")
        return email, name

    def continue_after_link(self, client: WebClient, team: str, user: str, dm: str,
                            email: str | None = None, name: str = "") -> None:
        who = Who(channel=CHANNEL, external_id=sin.external_id(team, user), email=email,
                  name=name, chat_ref=dm)
        try:
            prompts = self.service.handle(who, Inbound(kind="command", command="where"),
                                          auto_start=True)
        except NotLinked:
            return
        self.post_prompts(client, dm, prompts)

    def on_identity(self, client: WebClient, team: str, user: str, dm: str, yes: bool) -> None:
        ext = sin.external_id(team, user)
        with self.lock_for(ext):
            if not yes:
                self.declined[ext] = True
                self.post(client, dm, srn.info_message(ASK_EMAIL))
                return
            email, name = self.slack_email(client, user)
            if not email:
                self.post(client, dm, srn.info_message(ASK_EMAIL))
                return
            self.declined.pop(ext, None)
            self.continue_after_link(client, team, user, dm, email, name)

    # -- listeners -------------------------------------------------------------------------

    def on_message(self, body: dict, event: dict, client: WebClient, context: Any) -> None:
        if event.get("channel_type") != "im" or event.get("bot_id"):
            return
        if event.get("subtype") not in (None, "file_share"):
            return
        team = context.team_id or body.get("team_id") or ""
        user = event.get("user") or ""
        dm = event["channel"]
        ext = sin.external_id(team, user)
        self.dms[ext] = dm
        event_id = body.get("event_id") or event.get("ts")
        files = event.get("files") or []
        if not files:
            self.handle(client, team, user, dm, sin.message_inbound(event),
                        f"slack:{event_id}")
            return
        for f in files:
            try:
                ref = self.download(client, context, f)
            except Invalid as exc:
                if self.seen.first(f"slack:{event_id}:{f.get('id')}:refused"):
                    self.post(client, dm, srn.info_message(str(exc)))
                continue
            self.handle(client, team, user, dm, Inbound(kind="file", file=ref),
                        f"slack:{event_id}:{f.get('id')}")

    def on_command(self, ack: Callable, body: dict, command: dict, client: WebClient,
                   context: Any) -> None:
        name = command.get("command", "")
        in_dm = command.get("channel_name") == "directmessage" or name == "/urlcheck"
        ack() if in_dm else ack(text="I'll answer in my direct messages with you.")
        team = context.team_id or command.get("team_id") or ""
        user = command.get("user_id") or ""
        inbound = sin.slash_inbound(name, command.get("text", ""))
        ext = sin.external_id(team, user)
        dm = self.dm_for(client, ext, user)
        delivery = f"slack:cmd:{command.get('trigger_id') or ''}" if command.get(
            "trigger_id") else None
        if name == "/urlcheck":
            self.url_check(client, team, user, dm, command, inbound, delivery)
            return
        self.handle(client, team, user, dm, inbound, delivery)

    def url_check(self, client: WebClient, team: str, user: str, dm: str, command: dict,
                  inbound: Inbound, delivery: str | None) -> None:
        """`/urlcheck` answers only the person who asked (ephemeral), where they asked."""
        def ephemeral(prompts: list[Prompt]) -> None:
            first = prompts[:1]
            if first:
                client.chat_postEphemeral(channel=command.get("channel_id") or dm, user=user,
                                          unfurl_links=False, unfurl_media=False,
                                          **srn.render(first[0]))
            prompts.clear()  # nothing else goes to the DM

        self.handle(client, team, user, dm, inbound, delivery, after=ephemeral)

    def on_action(self, ack: Callable, body: dict, action: dict, client: WebClient,
                  context: Any) -> None:
        ack()
        team = context.team_id or (body.get("team") or {}).get("id") or ""
        user = (body.get("user") or {}).get("id") or ""
        container = body.get("container") or {}
        dm = container.get("channel_id") or (body.get("channel") or {}).get("id") or ""
        ts = container.get("message_ts")
        blocks = (body.get("message") or {}).get("blocks") or []
        action_id = action.get("action_id", "")
        if action_id in (srn.ID_YES, srn.ID_NO):
            if ts:
                client.chat_update(channel=dm, ts=ts, text="Email confirmation",
                                   blocks=srn.answered(blocks, sin.chosen_label(action)))
            self.on_identity(client, team, user, dm, action_id == srn.ID_YES)
            return
        state = body.get("state")
        inbound = sin.action_inbound(action, state)
        if inbound is None:
            return
        label = sin.chosen_label(action, state)
        ephemeral = bool(container.get("is_ephemeral"))
        if ephemeral or inbound.kind == "command":
            # e.g. "Request reclassification" under a /urlcheck answer in a channel: the
            # request itself continues in the DM, never in the channel.
            dm = self.dm_for(client, sin.external_id(team, user), user)

        def replace_controls(prompts: list[Prompt]) -> None:
            if not prompts or not ts or ephemeral:
                return  # an ephemeral message can't be chat.update'd
            stale = prompts[0].kind == "info" and prompts[0].text == OUT_OF_DATE
            new_blocks = (srn.answered(blocks, "out of date") if stale
                          else srn.answered(blocks, label))
            fallback = (body.get("message") or {}).get("text") or "casebot"
            client.chat_update(channel=dm, ts=ts, text=fallback, blocks=new_blocks)

        self.handle(client, team, user, dm, inbound, sin.delivery_for_action(body, action),
                    after=replace_controls)

    # -- files -----------------------------------------------------------------------------

    def download(self, client: WebClient, context: Any, f: dict[str, Any]) -> Any:
        """Fetch a DM file with the bot token and store it (streamed, size-checked)."""
        if not f.get("url_private_download"):
            f = client.files_info(file=f["id"])["file"]
        name = f.get("name") or f.get("title") or "file"
        limit = self.service.files.max_bytes
        if int(f.get("size") or 0) > limit:
            raise Invalid(f"{name} is larger than the {limit // (1024 * 1024)} MB limit. "
                          "Compress it, split it, or use the support portal's large-file "
                          "upload.")
        url = f.get("url_private_download") or ""
        if not self._trusted(url):
            raise Invalid(f"I couldn't fetch {name} from Slack. Please share it again.")
        token = context.bot_token or client.token
        opener = urllib.request.build_opener(_NoForeignRedirect(self._trusted))
        req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        try:
            with opener.open(req, timeout=60) as resp:
                return self.service.files.put_chunks(iter(lambda: resp.read(CHUNK), b""),
                                                     name)
        except OSError as exc:
            log.warning("file download failed: %s", type(exc).__name__)
            raise Invalid(f"I couldn't fetch {name} from Slack. Please share it again.") \
                from exc

    def _trusted(self, url: str) -> bool:
        """The bot token only ever goes to Slack (or to the configured stand-in)."""
        parts = urllib.parse.urlsplit(url)
        host = (parts.hostname or "").lower()
        api = urllib.parse.urlsplit(api_base(self.settings))
        if parts.scheme == api.scheme and host == (api.hostname or "").lower() \
                and parts.port == api.port:
            return True
        return parts.scheme == "https" and (host == "slack.com" or host.endswith(".slack.com"))

    # -- operator updates ------------------------------------------------------------------

    def deliver_notices(self) -> int:
        """Send queued case updates to each user's DM; returns how many were sent."""
        sent = 0
        with Session(self.service.engine, expire_on_commit=False) as s:
            for notice in notices.claim(s, CHANNEL):
                team, _, user = notice.external_id.partition(":")
                try:
                    client = self.client_for_team(team)
                    if client is None:
                        notices.mark_failed(s, notice, final=True)
                        continue
                    dm = notice.chat_ref or self.dm_for(client, notice.external_id, user)
                    self.post(client, dm, srn.info_message(notice.text))
                    notices.mark_sent(s, notice)
                    sent += 1
                except SlackApiError as exc:
                    log.warning("notice not delivered: %s", exc.response.get("error"))
                    notices.mark_failed(s, notice, final=notice.attempts >= 4)
                s.commit()
        return sent

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


class _NoForeignRedirect(urllib.request.HTTPRedirectHandler):
    def __init__(self, trusted: Callable[[str], bool]) -> None:
        self.trusted = trusted

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        if not self.trusted(newurl):
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _verification() -> Any:
    """bot.verification (mailed codes); None only in a build without it."""
    try:
        from bot import verification
    except ImportError:  # pragma: no cover
        return None
    return verification


# -- HTTP -----------------------------------------------------------------------------------

class _Server(ThreadingHTTPServer):
    """The stdlib server with a real listen backlog: its default of 5 drops bursts of users."""

    request_queue_size = 128
    daemon_threads = True


def serve(bot: SlackBot, host: str = "0.0.0.0", port: int = 3000,
          path: str = "/slack/events") -> ThreadingHTTPServer:
    """A threaded HTTP server: POST `path` goes to Bolt; GET install/redirect to OAuth."""
    app = bot.app
    oauth = app.oauth_flow

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("http: " + format, *args)

        def do_GET(self) -> None:
            req_path, _, query = self.path.partition("?")
            if oauth is not None and req_path in (oauth.install_path, oauth.redirect_uri_path):
                req = BoltRequest(body="", query=query, headers=dict(self.headers))
                resp = (oauth.handle_installation(req) if req_path == oauth.install_path
                        else oauth.handle_callback(req))
                self.reply(resp.status, resp.headers, resp.body)
            elif req_path == "/healthz":
                self.reply(200, {}, "ok")
            else:
                self.reply(404, {}, "")

        def do_POST(self) -> None:
            req_path, _, query = self.path.partition("?")
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8") if length else ""
            if req_path != path:
                self.reply(404, {}, "")
                return
            resp = app.dispatch(BoltRequest(body=body, query=query,
                                            headers={k: v for k, v in self.headers.items()}))
            self.reply(resp.status, resp.headers, resp.body)

        def reply(self, status: int, headers: dict[str, Any], body: str) -> None:
            data = (body or "").encode("utf-8")
            self.send_response(status)
            for k, vs in headers.items():
                if k.lower() == "content-length":
                    continue
                for v in vs if isinstance(vs, list | tuple) else [vs]:
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return _Server((host, port), Handler)


def _config_error(settings: Settings, socket: bool) -> str | None:
    oauth = bool(settings.slack_client_id and settings.slack_client_secret)
    if not oauth and not settings.slack_bot_token:
        return ("Set SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and "
                "SLACK_CLIENT_SECRET (installs through OAuth).")
    if not settings.slack_signing_secret and not socket:
        return "Set SLACK_SIGNING_SECRET (Basic Information > App Credentials)."
    if socket and not settings.slack_app_token:
        return ("Socket Mode needs SLACK_APP_TOKEN (an xapp- token with connections:write, "
                "Basic Information > App-Level Tokens).")
    if socket and oauth:
        return "Socket Mode works with SLACK_BOT_TOKEN only; unset SLACK_CLIENT_ID/SECRET."
    return None


def run(settings: Settings, socket: bool = False, port: int = 3000) -> int:
    """`casebot slack`: serve until interrupted. Returns the process exit code."""
    from bot.app import build_service

    problem = _config_error(settings, socket)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                        "%(message)s")
    try:
        bot = SlackBot(settings, build_service(settings))
    except SlackApiError as exc:
        print(f"Slack refused the credentials: {exc.response.get('error')}", file=sys.stderr)
        return 1
    bot.start_notices()
    try:
        if socket:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            handler = SocketModeHandler(bot.app, settings.slack_app_token)
            try:
                handler.start()
            except SlackApiError as exc:
                print(f"Slack refused SLACK_APP_TOKEN: {exc.response.get('error')}. Use the "
                      "app-level token (xapp-…) with the connections:write scope.",
                      file=sys.stderr)
                return 1
            finally:
                handler.close()
            return 0
        server = serve(bot, "0.0.0.0", port)
        print(f"casebot Slack app listening on http://0.0.0.0:{port}/slack/events",
              file=sys.stderr)
        try:
            server.serve_forever(0.2)
        finally:
            server.server_close()
    except KeyboardInterrupt:
        pass
    finally:
        bot.stop()
    return 0
