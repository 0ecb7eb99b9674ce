"""What casebot posts to Slack unasked: case updates in a person's DM, staff alerts in the
staff channel, and the App Home refreshed after a case changed.

One object for both ways these go out: the Slack process's own loop (SQLite, adapters/slack/
app.py `start_notices`) and the jobs of `casebot worker` (PostgreSQL, bot/chat_jobs.py), which
runs no Bolt app and gets a client per workspace the same way: the one bot token, or the
installation store where the workspace installed the app through OAuth. Every post waits for
its channel's slot in the rate budget every process shares (store/budget.py).
"""

from __future__ import annotations

import logging
import threading

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import InstallationStore

from adapters.slack import render as srn
from adapters.slack.client import api_base, clients_for
from adapters.slack.dispatch import CHANNEL, Clients, Dispatch
from bot.chat import Chat
from bot.protocol import Alert, Bucket, Notice, Outcome, Settings

log = logging.getLogger(__name__)


class SlackOutbound:
    """Posts notices and alerts; thread-safe. `stop`: set to cut a rate wait short."""

    def __init__(self, settings: Settings, chat: Chat, clients: Clients, *, oauth: bool,
                 dispatch: Dispatch | None = None, stop: threading.Event | None = None) -> None:
        self.settings = settings
        self.chat = chat
        self.clients = clients
        self.oauth = oauth  # installs through OAuth: the staff workspace must be named
        self.dispatch = dispatch or Dispatch(chat, clients, api_base(settings))
        self.stop = stop or threading.Event()

    @classmethod
    def standalone(cls, settings: Settings, chat: Chat,
                   installation_store: InstallationStore | None = None) -> SlackOutbound:
        """Outside the Slack app (`casebot worker`): its own clients, from the bot token or
        the installation store."""
        return cls(settings, chat, clients_for(settings, installation_store),
                   oauth=installation_store is not None)

    def pace(self, team: str, channel: str) -> None:
        """Wait for this channel's slot in the budget every process shares (Slack's
        chat.postMessage: about one message a second per channel, short bursts allowed)."""
        wait = self.chat.pace([Bucket(f"slack:{team}:{channel}",
                                      self.settings.slack_channel_per_second,
                                      self.settings.slack_channel_burst)])
        if wait > 0:
            self.stop.wait(wait)  # (stopping cuts the wait short: the post still goes)

    # -- case updates ----------------------------------------------------------------------

    def post_notice(self, notice: Notice) -> tuple[Outcome, list[str]]:
        """A case update in the case's thread (the submit confirmation is its parent; with
        none, this message becomes the thread), its buttons on it, its files in the thread;
        returns the outcome and the ts of each message posted (a reply to any reaches the
        case). The App Home is not refreshed here (`publish_home`)."""
        team, _, user = notice.external_id.partition(":")
        client = self.clients(team)
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
        except OSError as exc:  # the operator's file is gone from the store, Slack unreachable
            log.warning("a notice was not delivered: %s", type(exc).__name__)
            return Outcome.RETRY, refs
        return Outcome.SENT, refs

    def send_notice(self, notice: Notice) -> tuple[Outcome, list[str]]:
        """`post_notice`, then the App Home refreshed (the case changed): the loop's way."""
        outcome, refs = self.post_notice(notice)
        if outcome is Outcome.SENT:
            self.publish_home(notice.external_id)
        return outcome, refs

    def publish_home(self, external_id: str) -> None:
        """views.publish the person's open cases as they are now (idempotent: the view is
        replaced whole)."""
        team, _, user = external_id.partition(":")
        client = self.clients(team)
        if client is not None:
            self.dispatch.publish_home(client, team, user)

    def deliver_notices(self) -> int:
        """Send queued case updates to each user's DM; returns how many were sent."""
        return self.chat.deliver_notices(CHANNEL, self.send_notice)

    # -- staff alerts ----------------------------------------------------------------------

    def staff_client(self) -> WebClient | None:
        """The client of the staff channel's workspace: the one bot token's, or with OAuth
        the install in CASEBOT_STAFF_SLACK_TEAM (main.py refuses to start without it)."""
        team = self.settings.staff_slack_team
        if not self.oauth:
            return self.clients(team or "")
        return self.clients(team) if team else None

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
