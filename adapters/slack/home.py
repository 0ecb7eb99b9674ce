"""The App Home tab as a Block Kit view. Pure: open cases in, a `views.publish` view out.

Subjects are user text: escaped for mrkdwn like every other message (render.escape).
"""

from __future__ import annotations

from typing import Any

from adapters.slack.render import BLOCKS_MAX, escape
from bot.protocol import N_, Moment, OpenCase, _, say

HOME_NEW = "home.new"
HOME_URLS = "home.urls"
HOME_PROFILES = "home.profiles"
HOME_ACTIONS = {HOME_NEW: "newcase", HOME_URLS: "checkurl", HOME_PROFILES: "profiles"}
MESSAGE_SHORTCUT = "cb.message_case"
GLOBAL_SHORTCUT = "cb.new_case"
WAITING = "waiting for customer"  # bot/replies.WAITING: the case waits for the customer
WAITING_HINT = N_("Reply in the case's thread in the Messages tab (under its confirmation) to "
                  "answer; your reply goes to the support team.")
NOT_LINKED = N_("Send me a direct message (the Messages tab) to link your work email; your "
                "cases will show here.")


def _button(action_id: str, label: str, primary: bool = False) -> dict[str, Any]:
    button = {"type": "button", "action_id": action_id, "value": action_id,
              "text": {"type": "plain_text", "text": label, "emoji": False}}
    if primary:
        button["style"] = "primary"
    return button


def home_view(cases: list[OpenCase] | None, language: str = "en") -> dict[str, Any]:
    """The home tab: buttons, then the open cases newest first (or how to link, if not);
    in the person's `language` (issue 27)."""
    def t(text: str) -> str:
        return say(_(text), language)

    answer = t(N_("Waiting for your answer"))
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": t(N_("Your support cases"))}},
        {"type": "actions", "block_id": "home.buttons",
         "elements": [_button(HOME_NEW, t(N_("New case")), primary=True),
                      _button(HOME_URLS, t(N_("Check URLs"))),
                      _button(HOME_PROFILES, t(N_("My profiles")))]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": t(N_(
            "Tip: on any message, More actions (⋯) › *Open a support case* starts a case "
            "described by it."))}]},
        {"type": "divider"},
    ]
    if cases is None:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": t(NOT_LINKED)}})
    elif not cases:
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": t(N_("You have no open cases."))}})
    waiting = [c for c in cases or [] if c.status == WAITING]
    if waiting:  # first: what the customer can act on (one action: reply in the thread)
        blocks.append({"type": "section", "block_id": "home.waiting", "text": {
            "type": "mrkdwn", "text": f":speech_balloon: *{answer}*\n" + "\n".join(
                f"*{escape(c.number)}* · {escape(c.subject)}" for c in waiting[:20])}})
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn",
                                                        "text": t(WAITING_HINT)}]})
        blocks.append({"type": "divider"})
    for c in (cases or [])[: BLOCKS_MAX - len(blocks) - 1]:
        badge = f" · :speech_balloon: *{answer}*" if c.status == WAITING else ""
        updated = escape(say(_("updated {when}", when=Moment.utc(c.updated)), language))
        blocks.append({"type": "section", "block_id": f"case.{c.number}", "text": {
            "type": "mrkdwn",
            "text": f"*{escape(c.number)}* · {escape(c.subject)}\n"
                    f"{escape(t(c.status))}{badge} · {updated}"}})
    return {"type": "home", "blocks": blocks}


def home_text(view: dict[str, Any]) -> str:
    """The view's words, for tests and logs."""
    out = []
    for block in view["blocks"]:
        text = block.get("text")
        if isinstance(text, dict):
            out.append(text.get("text", ""))
    return "\n".join(out)
