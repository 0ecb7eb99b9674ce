"""Where a Slack request can start besides the DM (issue 15): the message shortcut "Open a
support case" on any message, the global shortcut "New support case", and the App Home tab.

The request itself always goes on in the person's DM with the app (docs/decisions.md): the
same questions, the same renderer, one conversation to resume. The message's files are
downloaded only for a linked contact: at once when the person is linked already, else by file
id once they link (`fetch_files`, called by the chat layer on whichever worker that happens).
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
from adapters.slack.client import api_base
from bot.chat import Fetched, none_fetched
from bot.service import Who
from flows.model import Inbound, PendingFile

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
    ext = sin.external_id(team, user)
    dm = bot.dm_for(client, ext, user)
    files = [f for f in message.get("files") or [] if f.get("id")]
    who = Who("slack", ext, chat_ref=dm)
    with bot.lock_for(ext):
        downloaded = None
        if files and bot.chat.linked(who):  # the usual case: fetched from the message itself
            downloaded = sfiles.download_all(client, context.bot_token or client.token, files,
                                             bot.service.files, api_base(bot.settings))
        prompts = bot.chat.describe(who, text, source=link, files=pending_of(files),
                                    downloaded=downloaded,
                                    delivery_id=f"slack:shortcut:{body.get('trigger_id')}",
                                    directory=bot.directory(client, team, user))
        bot.post_prompts(client, dm, prompts)


def pending_of(files: list[dict[str, Any]]) -> tuple[PendingFile, ...]:
    """A message's files as Slack file ids, kept with the request of a person not linked yet."""
    return tuple(PendingFile(str(f["id"]), str(f.get("name") or f.get("title") or "a file"),
                             f.get("size") if isinstance(f.get("size"), int) else None)
                 for f in files)


def fetch_files(bot: SlackBot, who: Who, pending: tuple[PendingFile, ...]) -> Fetched:
    """The chat layer's way to fetch a message's files once its person is linked, in this
    process (maybe not the one that saw the shortcut): the team's bot token, and files.info
    for each file's download URL."""
    team = who.external_id.partition(":")[0]
    client = bot.client_for_team(team)
    if client is None:  # the workspace uninstalled the app since
        return none_fetched(pending)
    return sfiles.download_all(client, client.token,
                               [{"id": p.id, "name": p.name, "size": p.size} for p in pending],
                               bot.service.files, api_base(bot.settings))


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
