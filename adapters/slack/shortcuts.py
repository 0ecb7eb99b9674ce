"""Where a Slack request can start besides the DM (issue 15): the message shortcut "Open a
support case" on any message, the global shortcut "New support case", and the App Home tab.

The request itself always goes on in the person's DM with the app (docs/decisions.md): the
same questions, the same renderer, one conversation to resume. The message's files are
fetched only for a linked contact: with this event's token when the person is linked already,
else by file id once they link (`Dispatch.fetch_files`, called by the chat layer on whichever
worker that happens).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from adapters.slack import home
from adapters.slack import inbound as sin
from adapters.slack.dispatch import Dispatch
from bot.protocol import FromMessage, Inbound

log = logging.getLogger(__name__)


class Shortcuts:
    def __init__(self, dispatch: Dispatch) -> None:
        self.dispatch = dispatch

    def register(self, app: App) -> None:
        app.shortcut(home.MESSAGE_SHORTCUT)(self.on_message_shortcut)
        app.shortcut(home.GLOBAL_SHORTCUT)(self.on_global_shortcut)
        app.event("app_home_opened")(self.on_home_opened)
        for action_id in home.HOME_ACTIONS:
            app.action(action_id)(self.on_home_button)

    def on_message_shortcut(self, ack: Callable[..., None], body: dict[str, Any],
                            client: WebClient, context: Any) -> None:
        """"Open a support case" on a message: its text describes the request, its files are
        attached (checked as uploads are), a permalink is kept on the case."""
        ack()
        team, user = _team_user(body, context)
        message = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id") or ""
        text = sin.plain_text(message.get("text") or "")
        link = permalink(client, channel, message.get("ts") or "") if channel else ""
        dm = self.dispatch.dm_for(client, sin.external_id(team, user), user)
        files = [f for f in message.get("files") or [] if f.get("id")]
        # the usual case, a linked person: fetched from the message itself, with this token
        self.dispatch.handle(client, team, user, dm,
                             FromMessage(text, source=link, files=sin.pending_of(files)),
                             f"slack:shortcut:{body.get('trigger_id')}", files=files,
                             token=context.bot_token)

    def on_global_shortcut(self, ack: Callable[..., None], body: dict[str, Any],
                           client: WebClient, context: Any) -> None:
        """"New support case" from the shortcut menu: /case new, answered in the DM."""
        ack()
        team, user = _team_user(body, context)
        dm = self.dispatch.dm_for(client, sin.external_id(team, user), user)
        self.dispatch.handle(client, team, user, dm, Inbound(kind="command", command="newcase"),
                             f"slack:shortcut:{body.get('trigger_id')}")

    def on_home_button(self, ack: Callable[..., None], body: dict[str, Any],
                       action: dict[str, Any], client: WebClient, context: Any) -> None:
        ack()
        team, user = _team_user(body, context)
        command = home.HOME_ACTIONS.get(action.get("action_id", ""))
        if command is None:
            return
        dm = self.dispatch.dm_for(client, sin.external_id(team, user), user)
        self.dispatch.handle(client, team, user, dm, Inbound(kind="command", command=command),
                             sin.delivery_for_action(body, action))

    def on_home_opened(self, event: dict[str, Any], client: WebClient, context: Any,
                       body: dict[str, Any]) -> None:
        if event.get("tab") not in (None, "home"):
            return
        team = context.team_id or body.get("team_id") or ""
        self.dispatch.publish_home(client, team, event.get("user") or "")


def _team_user(body: dict[str, Any], context: Any) -> tuple[str, str]:
    team = context.team_id or (body.get("team") or {}).get("id") or ""
    return team, (body.get("user") or {}).get("id") or ""


def permalink(client: WebClient, channel: str, ts: str) -> str:
    try:
        return str(client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
    except SlackApiError as exc:
        log.warning("chat.getPermalink failed: %s", exc.response.get("error"))
        return ""
