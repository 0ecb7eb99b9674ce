"""The Slack app: the Bolt `App` (given its OAuth stores by the composition root,
bot/processes.py), its listeners (listeners.py for the DM, shortcuts.py for shortcuts and App
Home, both through dispatch.py's one chat call per event) and the operator-notice loop of the
embedded deployment (outbound.py posts).
Requests come over HTTP (http.py: Bolt's WSGI adapter on waitress) or Socket Mode (main.py)."""

from __future__ import annotations

import logging
import threading
from typing import Any

from slack_bolt import App
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import InstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore

from adapters.slack.client import api_base, keep_alive_middleware, make_client
from adapters.slack.dispatch import Dispatch
from adapters.slack.http import serve
from adapters.slack.listeners import DirectMessages
from adapters.slack.mentions import Mentions
from adapters.slack.outbound import SlackOutbound
from adapters.slack.shortcuts import Shortcuts
from bot.chat import Chat
from bot.protocol import Alert, Notice, Outcome, Settings

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
        self.outbound = SlackOutbound(settings, chat, self.client_for_team,
                                      oauth=installation_store is not None,
                                      dispatch=self.dispatch, stop=self._stop)
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
        """Wait for this channel's slot in the budget every process shares."""
        self.outbound.pace(team, channel)

    # -- operator updates and staff alerts (adapters/slack/outbound.py) --------------------

    def send_notice(self, notice: Notice) -> tuple[Outcome, list[str]]:
        """Post a case update, then refresh the person's App Home."""
        return self.outbound.send_notice(notice)

    def deliver_notices(self) -> int:
        """Send queued case updates to each user's DM; returns how many were sent."""
        return self.outbound.deliver_notices()

    def staff_client(self) -> WebClient | None:
        return self.outbound.staff_client()

    def send_alert(self, alert: Alert) -> str | None:
        """Post one staff alert to the staff channel; None when posted, else the error."""
        return self.outbound.send_alert(alert)

    def deliver_alerts(self) -> int:
        """Post due staff alerts; returns how many were posted (none without a channel)."""
        return self.outbound.deliver_alerts()

    def start_notices(self, interval: float | None = None) -> threading.Thread:
        """Deliver notices and staff alerts as they come: woken by the store when one is
        queued (PostgreSQL), else every `interval` seconds (default: store/signals.py's
        poll interval). The embedded (SQLite) way: on PostgreSQL `casebot worker` delivers
        them as jobs (bot/chat_jobs.py) and main.py does not start this."""
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
