"""`@casebot is this safe? https://…` in a channel: the URLs in the mention are rated (and
Slack's `user_change`, a member's new language, kept for their next reply).

The answer is a reply in the mention's thread, seen by the channel: ratings are not secret
and whoever asked in the open is usually asking for the channel (docs/decisions.md). It
comes from `Chat.rate_text`, which takes no identity, so anyone in the channel may ask and
nothing about a case or a contact can come out; the URLs are defanged and never unfurled.
A mention with no URL gets a one-line hint that only the asker sees.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from adapters.bounded import RecentSet
from adapters.slack import inbound as sin
from adapters.slack import render as srn
from adapters.slack.dispatch import DM_CACHE, Dispatch
from bot.protocol import _, info, say

NO_URL = _("Mention me with a URL and I'll rate it, e.g. @casebot is this safe? "
           "hxxps://example[.]com/login (or use /urlcheck URL…, which only you see).")


def answer_text(rated: list[list[str]], notes: list[str]) -> str:
    """The thread reply: each URL's rating lines (already in the asker's language),
    numbered, then what was not checked."""
    lines: list[str] = []
    for n, rating in enumerate(rated, start=1):
        lines += [f"{n}. {line}" if i == 0 else line for i, line in enumerate(rating)]
    return "\n".join(lines + notes)


class Mentions:
    def __init__(self, dispatch: Dispatch) -> None:
        self.dispatch = dispatch
        self.answered = RecentSet(DM_CACHE)  # event ids: a redelivered mention answers once

    def register(self, app: App) -> None:
        app.event("app_mention")(self.on_mention)
        app.event("user_change")(self.on_user_change)

    def on_user_change(self, body: dict[str, Any], event: dict[str, Any],
                       client: WebClient) -> None:
        """A member's profile changed (their Slack language among it): kept for their next
        reply (Dispatch.locale_changed); nothing is posted."""
        user = event.get("user")
        if isinstance(user, dict):
            self.dispatch.locale_changed(client, str(body.get("team_id") or ""), user)

    def on_mention(self, body: dict[str, Any], event: dict[str, Any],
                   client: WebClient) -> None:
        channel = str(event.get("channel") or "")
        if event.get("bot_id") or not channel or channel.startswith("D"):
            return  # a bot, or a DM (its message event is answered as a DM message)
        delivery = str(body.get("event_id") or event.get("ts") or "")
        if delivery in self.answered:
            return
        self.answered.add(delivery)
        text = sin.plain_text(str(event.get("text") or ""))
        language = self.dispatch.language_of(str(body.get("team_id") or ""),
                                             str(event.get("user") or ""))
        rated, notes = self.dispatch.chat.rate_text(text, language)
        thread = str(event.get("thread_ts") or event.get("ts") or "") or None
        if not rated:
            hint = "\n".join([*notes, say(NO_URL, language)])
            client.chat_postEphemeral(channel=channel, user=str(event.get("user") or ""),
                                      thread_ts=thread, unfurl_links=False, unfurl_media=False,
                                      **srn.render(info(hint)))
            return
        self.dispatch.post(client, channel, srn.render(info(answer_text(rated, notes))),
                           thread)
