"""Where a Slack request can start besides the DM (issue 15): the message shortcut "Open a
support case" on any message, the global shortcut "New support case", and the App Home tab.

The request itself always goes on in the person's DM with the app (docs/decisions.md): the
same questions, the same renderer, one conversation to resume. The message's files are
downloaded only once the chat layer says the person is a linked contact (`Chat.describe`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from adapters.slack import files as sfiles
from adapters.slack import home
from adapters.slack import inbound as sin
from adapters.slack import render as srn
from adapters.slack.client import api_base
from bot.service import Who
from flows.errors import Invalid
from flows.model import FileRef, Inbound

if TYPE_CHECKING:
    from adapters.slack.app import SlackBot

log = logging.getLogger(__name__)


def register(bot: SlackBot) -> None:
    app = bot.app
    app.shortcut(home.MESSAGE_SHORTCUT)(lambda ack, body, client, context: on_message_shortcut(
        bot, ack, body, client, context))
    app.shortcut(home.GLOBAL_SHORTCUT)(lambda ack, body, client, context: on_global_shortcut(
        bot, ack, body, client, context))
    app.event("app_home_opened")(lambda event, client, context, body: on_home_opened(
        bot, event, client, context, body))
    for action_id in home.HOME_ACTIONS:
        app.action(action_id)(lambda ack, body, action, client, context: on_home_button(
            bot, ack, body, action, client, context))


def _team_user(body: dict[str, Any], context: Any) -> tuple[str, str]:
    team = context.team_id or (body.get("team") or {}).get("id") or ""
    return team, (body.get("user") or {}).get("id") or ""


def permalink(client: WebClient, channel: str, ts: str) -> str:
    try:
        return str(client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
    except SlackApiError as exc:
        log.warning("chat.getPermalink failed: %s", exc.response.get("error"))
        return ""


def on_message_shortcut(bot: SlackBot, ack: Callable[..., None], body: dict[str, Any],
                        client: WebClient, context: Any) -> None:
    """"Open a support case" on a message: its text describes the request, its files are
    attached (checked as uploads are), a permalink is kept on the case."""
    ack()
    team, user = _team_user(body, context)
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id") or ""
    text = sin.plain_text(message.get("text") or "")
    link = permalink(client, channel, message.get("ts") or "") if channel else ""
    dm = bot.dm_for(client, sin.external_id(team, user), user)
    token = context.bot_token or client.token
    notes: list[str] = []

    def fetch() -> list[FileRef]:
        refs = []
        for f in message.get("files") or []:
            try:
                refs.append(sfiles.download(client, token, f, bot.service.files,
                                            api_base(bot.settings)))
            except Invalid as exc:
                notes.append(str(exc))
            except SlackApiError as exc:  # e.g. a file in a channel the app can't read
                log.warning("files.info failed: %s", exc.response.get("error"))
                notes.append(f"I couldn't fetch {f.get('name') or 'a file'} from Slack; "
                             "send it here when the request asks for files.")
        return refs

    ext = sin.external_id(team, user)
    with bot.lock_for(ext):
        prompts = bot.chat.describe(Who("slack", ext, chat_ref=dm), text, source=link,
                                    fetch=fetch if message.get("files") else None,
                                    delivery_id=f"slack:shortcut:{body.get('trigger_id')}",
                                    directory=bot.directory(client, team, user))
        for note in notes:
            bot.post(client, dm, srn.info_message(note))
        bot.post_prompts(client, dm, prompts)


def on_global_shortcut(bot: SlackBot, ack: Callable[..., None], body: dict[str, Any],
                       client: WebClient, context: Any) -> None:
    """"New support case" from the shortcut menu: /case new, answered in the DM."""
    ack()
    team, user = _team_user(body, context)
    dm = bot.dm_for(client, sin.external_id(team, user), user)
    bot.handle(client, team, user, dm, Inbound(kind="command", command="newcase"),
               f"slack:shortcut:{body.get('trigger_id')}")


def on_home_button(bot: SlackBot, ack: Callable[..., None], body: dict[str, Any],
                   action: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    team, user = _team_user(body, context)
    command = home.HOME_ACTIONS.get(action.get("action_id", ""))
    if command is None:
        return
    dm = bot.dm_for(client, sin.external_id(team, user), user)
    bot.handle(client, team, user, dm, Inbound(kind="command", command=command),
               sin.delivery_for_action(body, action))


def on_home_opened(bot: SlackBot, event: dict[str, Any], client: WebClient, context: Any,
                   body: dict[str, Any]) -> None:
    if event.get("tab") not in (None, "home"):
        return
    team = context.team_id or body.get("team_id") or ""
    publish_home(bot, client, team, event.get("user") or "")


def publish_home(bot: SlackBot, client: WebClient, team: str, user: str) -> None:
    """views.publish the person's open cases (on opening the tab, and when a case changes)."""
    who = Who("slack", sin.external_id(team, user))
    try:
        client.views_publish(user_id=user, view=home.home_view(bot.chat.open_cases(who)))
    except SlackApiError as exc:
        log.warning("views.publish failed: %s", exc.response.get("error"))
