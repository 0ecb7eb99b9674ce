"""The Slack app: the Bolt `App` (given its OAuth stores by the composition root,
bot/processes.py), its listeners (listeners.py for the DM, shortcuts.py for shortcuts and App
Home, both through dispatch.py's one chat call per event) and the operator-notice poller.
Requests come over HTTP (http.py: Bolt's WSGI adapter on waitress) or Socket Mode (main.py)."""

from __future__ import annotations

import logging
import threading
from typing import Any

from slack_bolt import App
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import InstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore

from adapters.slack import render as srn
from adapters.slack.client import api_base, keep_alive_middleware, make_client
from adapters.slack.dispatch import CHANNEL, Dispatch
from adapters.slack.http import serve
from adapters.slack.listeners import DirectMessages
from adapters.slack.mentions import Mentions
from adapters.slack.shortcuts import Shortcuts
from bot.chat import Chat
from bot.protocol import Alert, Bucket, Notice, Outcome, Settings

__all__ = ["BOT_SCOPES", "SlackBot", "api_base", "make_client", "serve"]

log = logging.getLogger(__name__)

# files:write: an operator's files; app_mentions:read: "@casebot is this safe? URL" in a channel
BOT_SCOPES = ["app_mentions:read", "chat:write", "commands", "im:history", "im:read",
              "im:write", "files:read", "files:write", "users:read", "users:read.email"]


class SlackBot:
    """Bolt app plus what it needs: the chat API, per-user ordering, the notice poller.

    With SLACK_CLIENT_ID/SECRET the app installs through OAuth into `installation_store` and
    `state_store` (built where the database is known: bot/processes.py); else it uses the one bot
    token."""

    def __init__(self, settings: Settings, chat: Chat, *,
                 installation_store: InstallationStore | None = None,
                 state_store: OAuthStateStore | None = None,
                 listener_executor: Any = None) -> None:
        self.settings = settings
        self.listener_executor = listener_executor
        self.installation_store = installation_store
        self.state_store = state_store
        self.chat = chat
        self.dispatch = Dispatch(chat, self.client_for_team, api_base(settings))
        chat.fetch_files = self.dispatch.fetch_files  # a message's files, once its person links
        self._stop = threading.Event()
        self._notices: threading.Thread | None = None
        self.app = self._build_app()
        self.app.use(keep_alive_middleware)  # before any listener: its calls reuse connections
        DirectMessages(self.dispatch).register(self.app)
        Shortcuts(self.dispatch).register(self.app)  # message and global shortcuts, App Home
        Mentions(self.dispatch).register(self.app)  # @casebot with URLs in a channel

    def _build_app(self) -> App:
        s = self.settings
        common: dict[str, Any] = {"signing_secret": s.slack_signing_secret or "",
                                  "process_before_response": False}
        if self.listener_executor is not None:
            common["listener_executor"] = self.listener_executor
        if self.installation_store is not None:
            oauth = OAuthSettings(client_id=s.slack_client_id,
                                  client_secret=s.slack_client_secret, scopes=BOT_SCOPES,
                                  installation_store=self.installation_store,
                                  state_store=self.state_store)
            return App(client=make_client(s), oauth_settings=oauth, **common)
        return App(client=make_client(s, s.slack_bot_token), **common)

    def client_for_team(self, team_id: str) -> WebClient | None:
        if self.installation_store is None:
            return self.app.client
        bot = self.installation_store.find_bot(enterprise_id=None, team_id=team_id)
        return make_client(self.settings, bot.bot_token) if bot else None

    def ready(self) -> str | None:
        """`/readyz`: None when this process can serve (the chat layer's database answers)."""
        return self.chat.ready()

    def pace(self, team: str, channel: str) -> None:
        """Wait for this channel's slot in the budget every process shares (Slack's
        chat.postMessage: about one message a second per channel, short bursts allowed)."""
        wait = self.chat.pace([Bucket(f"slack:{team}:{channel}",
                                      self.settings.slack_channel_per_second,
                                      self.settings.slack_channel_burst)])
        if wait > 0:
            self._stop.wait(wait)  # (stopping cuts the wait short: the post still goes)

    # -- operator updates ------------------------------------------------------------------

    def send_notice(self, notice: Notice) -> tuple[Outcome, list[str]]:
        """A case update in the case's thread (the submit confirmation is its parent; with
        none, this message becomes the thread), its buttons on it, its files in the thread;
        returns the outcome and the ts of each message posted (a reply to any reaches the
        case)."""
        team, _, user = notice.external_id.partition(":")
        client = self.client_for_team(team)
        if client is None:  # the workspace uninstalled the app
            return Outcome.GIVE_UP, []
        refs: list[str] = []
        try:
            dm = notice.chat_ref or self.dispatch.dm_for(client, notice.external_id, user)
            self.pace(team, dm)
            ts = self.dispatch.post(client, dm, srn.notice_message(notice.text, notice.buttons),
                                    notice.thread)
            refs.append(ts)
            match notice:  # (the notice's own files: not `.files` of what lies behind Chat)
                case Notice(files=attached):
                    pass
            for f in attached:  # in the thread, or under this message if it starts one
                with self.chat.stored_file(f.sha256) as path:
                    client.files_upload_v2(channel=dm, thread_ts=notice.thread or ts,
                                           file=str(path), filename=f.name, title=f.name)
        except SlackApiError as exc:
            log.warning("notice not delivered: %s", exc.response.get("error"))
            # a message posted stays remembered; the retry posts it again
            return Outcome.RETRY, refs
        except OSError as exc:  # the operator's file is gone from the store
            log.warning("a notice's file could not be read: %s", type(exc).__name__)
            return Outcome.RETRY, refs
        self.dispatch.publish_home(client, team, user)  # the case changed: refresh home
        return Outcome.SENT, refs

    def deliver_notices(self) -> int:
        """Send queued case updates to each user's DM; returns how many were sent."""
        return self.chat.deliver_notices(CHANNEL, self.send_notice)

    # -- staff alerts ----------------------------------------------------------------------

    def staff_client(self) -> WebClient | None:
        """The client of the staff channel's workspace: the one bot token's, or with OAuth
        the install in CASEBOT_STAFF_SLACK_TEAM (main.py refuses to start without it)."""
        if self.installation_store is None:
            return self.app.client
        team = self.settings.staff_slack_team
        return self.client_for_team(team) if team else None

    def send_alert(self, alert: Alert) -> str | None:
        """Post one staff alert to the staff channel; None when posted, else the error."""
        channel = self.chat.staff_channel
        client = self.staff_client()
        if channel is None or client is None:
            return ("the app is not installed in CASEBOT_STAFF_SLACK_TEAM"
                    if channel else "CASEBOT_STAFF_SLACK_CHANNEL is not set")
        try:
            self.pace(self.settings.staff_slack_team or "", channel)
            client.chat_postMessage(channel=channel, **srn.staff_alert(alert))
        except SlackApiError as exc:
            return str(exc.response.get("error") or "slack_error")
        except OSError as exc:  # Slack unreachable
            return type(exc).__name__
        return None

    def deliver_alerts(self) -> int:
        """Post due staff alerts; returns how many were posted (none without a channel)."""
        return self.chat.deliver_alerts(self.send_alert) if self.chat.staff_channel else 0

    def start_notices(self, interval: float | None = None) -> threading.Thread:
        """Deliver notices and staff alerts as they come: woken by the store when one is
        queued (PostgreSQL), else every `interval` seconds (default: store/signals.py's
        poll interval)."""
        def loop() -> None:
            while not self._stop.is_set():
                for deliver in (self.deliver_notices, self.deliver_alerts):
                    try:
                        deliver()
                    except Exception:  # keep polling whatever one round hit
                        log.exception("%s round failed", deliver.__name__)
                self.chat.wait_for_notices(interval)

        thread = threading.Thread(target=loop, name="slack-notices", daemon=True)
        thread.start()
        self._notices = thread
        return thread

    def stop(self, wait: float = 30.0) -> None:
        """Stop delivering: the round in hand (a notice being posted) is finished first,
        for at most `wait` seconds."""
        self._stop.set()
        if self._notices is not None and self._notices is not threading.current_thread():
            self._notices.join(wait)
