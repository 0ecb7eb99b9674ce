"""Prompt -> Block Kit message. Pure: no SDK, no I/O, so every message can be checked in tests.

Every piece of text that may hold user input is escaped for mrkdwn (`&`, `<`, `>`), so a typed
`<!channel>` or `<@U123>` is shown literally and never notifies anyone. Controls carry the
draft id and the step in their block id, so a press on an old message is recognised as stale.
"""

from __future__ import annotations

from typing import Any

from bot.protocol import COMMAND_PREFIX, CONFIRM_STEP, N_, Alert, Choice, Prompt, _, say

Block = dict[str, Any]
Message = dict[str, Any]

MAX_BUTTONS = 5
MAX_OPTIONS = 100  # Slack's cap per select, and per option group
MAX_GROUPS = 100
SECTION_MAX = 3000
FIELD_MAX = 2000
LABEL_MAX = 75
VALUE_MAX = 150
BLOCKS_MAX = 50

ACTION_PREFIX = "cb."
ID_YES = "cb.id.yes"
ID_NO = "cb.id.no"

HINTS = {
    "text": N_("Type your answer as a message here."),
    "multiline": N_("Type your answer as a message here (several lines are fine)."),
    "files": N_("Drag files into this conversation, then press Done."),
    "multi": N_("Pick one or more, then press Confirm (or type them, separated by commas)."),
}


def escape(text: str) -> str:
    """mrkdwn escaping: the three characters Slack gives meaning to."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(text: str, limit: int = LABEL_MAX) -> dict[str, Any]:
    return {"type": "plain_text", "text": _cut(text, limit) or " ", "emoji": False}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def sections(text: str) -> list[Block]:
    """Already-escaped mrkdwn, split over as many sections as Slack's length limit needs."""
    out: list[Block] = []
    rest = text
    while rest:
        part = rest[:SECTION_MAX]
        if len(rest) > SECTION_MAX and "\n" in part:
            part = part[: part.rfind("\n") + 1]
        # never split inside an escape like &amp;
        amp = part.rfind("&", max(0, len(part) - 5))
        if len(rest) > len(part) and amp != -1 and ";" not in part[amp:]:
            part = part[:amp]
        out.append({"type": "section", "text": _mrkdwn(part)})
        rest = rest[len(part):]
    return out or [{"type": "section", "text": _mrkdwn(" ")}]


def block_id(kind: str, prompt: Prompt) -> str:
    return f"cb|{kind}|{prompt.draft or ''}|{prompt.step or ''}"[:255]


def parse_block_id(value: str) -> tuple[str | None, str | None]:
    """(draft, step) of a block id made by `block_id`; (None, None) for anything else."""
    parts = value.split("|", 3)
    if len(parts) != 4 or parts[0] != "cb":
        return None, None
    return parts[2] or None, parts[3] or None


def _option(choice: Choice) -> dict[str, Any]:
    opt: dict[str, Any] = {"text": _plain(choice.label), "value": choice.id[:VALUE_MAX]}
    if choice.hint:
        opt["description"] = _plain(choice.hint)
    return opt


def _options(choices: tuple[Choice, ...] | list[Choice]) -> dict[str, Any]:
    """`options`, or `option_groups` when the choices carry groups (e.g. URL categories)."""
    if not any(c.group for c in choices):
        return {"options": [_option(c) for c in choices[:MAX_OPTIONS]]}
    groups: dict[str, list[Choice]] = {}
    for c in choices:
        groups.setdefault(c.group or "Other", []).append(c)
    return {"option_groups": [{"label": _plain(name), "options": [_option(c) for c in
                                                                  members[:MAX_OPTIONS]]}
                              for name, members in list(groups.items())[:MAX_GROUPS]]}


def _button(choice: Choice, n: int, style: str | None = None) -> dict[str, Any]:
    btn: dict[str, Any] = {"type": "button", "action_id": f"cb.btn.{n}",
                           "text": _plain(choice.label), "value": choice.id[:2000]}
    if style:
        btn["style"] = style
    return btn


def _style(choice_id: str) -> str | None:
    return {"submit": "primary", "cancel": "danger"}.get(choice_id)


def _in(prompt: Prompt, message: str) -> str:
    """This adapter's own words in the language the prompt was rendered in (issue 27)."""
    return say(_(message), prompt.language or "en")


def _choice_controls(prompt: Prompt, choices: tuple[Choice, ...] | list[Choice],
                     placeholder: str = N_("Choose…")) -> list[dict[str, Any]]:
    if len(choices) <= MAX_BUTTONS:
        return [_button(c, n, _style(c.id)) for n, c in enumerate(choices)]
    return [{"type": "static_select", "action_id": "cb.select",
             "placeholder": _plain(_in(prompt, placeholder)), **_options(choices)}]


def _hint_lines(choices: tuple[Choice, ...]) -> str:
    """Buttons have no room for hints (e.g. severity meanings): list them above."""
    return "\n".join(f"• *{escape(c.label)}* — {escape(c.hint)}" for c in choices if c.hint)


def render(prompt: Prompt) -> Message:
    """One prompt -> `{"text": fallback, "blocks": [...]}` for chat.postMessage."""
    if prompt.step == CONFIRM_STEP:
        return confirm_email(prompt.data.get("email", ""), prompt.language or "en")
    blocks: list[Block] = []
    if prompt.error:
        blocks += sections(f":warning: {escape(prompt.error)}")
    blocks += sections(escape(prompt.text))
    if prompt.kind == "review":
        fields = [_mrkdwn(_cut(f"*{escape(item.label)}*\n{escape(item.value or '—')}",
                               FIELD_MAX)) for item in prompt.summary]
        for i in range(0, len(fields), 10):
            blocks.append({"type": "section", "fields": fields[i:i + 10]})
    if prompt.kind in ("choice",) and len(prompt.choices) <= MAX_BUTTONS:
        hints = _hint_lines(prompt.choices)
        if hints:
            blocks += sections(hints)
    if prompt.hint:
        blocks.append({"type": "context", "elements": [_mrkdwn(escape(prompt.hint))]})
    if prompt.kind in HINTS:
        blocks.append({"type": "context",
                       "elements": [_mrkdwn(escape(_in(prompt, HINTS[prompt.kind])))]})
    blocks += controls(prompt)
    fallback = escape(_cut((f"{prompt.error}\n" if prompt.error else "") + prompt.text, 3000))
    return {"text": fallback, "blocks": blocks[:BLOCKS_MAX]}


BUTTON_VALUE_MAX = 2000


def command_value(choice_id: str, prompt: Prompt) -> str:
    """A command button's value: "cmd:NAME", plus the prompt's URLs one per line when they fit
    in Slack's 2,000 characters (10 URLs of up to 2,048 may not; the service then uses the
    URLs this person checked last)."""
    urls = (prompt.data or {}).get("urls") or []
    value = "\n".join([choice_id, *urls])
    return value if urls and len(value) <= BUTTON_VALUE_MAX else choice_id


def _command_buttons(prompt: Prompt) -> list[Block]:
    """Info prompts may offer commands, each a button whose value is the command's choice
    id with its args ("cmd:solved:10000042", "cmd:addto:7:10000042"; inbound.command_inbound
    reads it back): /checkurl's "Request reclassification", "Add to case N" / "New case",
    a case's Solved / Still broken and its survey's 1–5."""
    buttons = [c for c in prompt.choices if c.id.startswith(COMMAND_PREFIX)][:MAX_BUTTONS]
    if not buttons:
        return []
    elements = []
    for n, c in enumerate(buttons):
        btn = _button(c, n)
        btn["action_id"] = f"cb.cmd.{n}"
        btn["value"] = command_value(c.id, prompt)
        elements.append(btn)
    return [{"type": "actions", "block_id": block_id("info", prompt), "elements": elements}]


def controls(prompt: Prompt) -> list[Block]:
    if prompt.kind == "info":
        return _command_buttons(prompt)
    if prompt.kind == "done":
        return []
    if prompt.kind == "review":
        edits = [c for c in prompt.choices if c.id.startswith("edit:")]
        others = [c for c in prompt.choices if not c.id.startswith("edit:")]
        elements = [_button(c, n, _style(c.id)) for n, c in enumerate(others[:20])]
        if edits:
            elements.append({"type": "static_select", "action_id": "cb.select",
                             "placeholder": _plain(_in(prompt, N_("Edit a field…"))),
                             **_options(edits)})
        return [{"type": "actions", "block_id": block_id("review", prompt),
                 "elements": elements}] if elements else []
    if prompt.kind == "multi":
        return _multi(prompt)
    if not prompt.choices:
        return []
    return [{"type": "actions", "block_id": block_id(prompt.kind, prompt),
             "elements": _choice_controls(prompt, prompt.choices)}]


def _multi(prompt: Prompt) -> list[Block]:
    elements: list[dict[str, Any]] = []
    if prompt.choices:
        select: dict[str, Any] = {"type": "multi_static_select", "action_id": "cb.multi",
                                  "placeholder": _plain(_in(prompt, N_("Pick one or more…"))),
                                  **_options(prompt.choices)}
        chosen = [_option(c) for c in prompt.choices[:MAX_OPTIONS] if c.id in prompt.selected]
        if chosen:
            select["initial_options"] = chosen
        elements.append(select)
    label = N_("Confirm") if prompt.choices else N_("Done")
    elements.append({"type": "button", "action_id": "cb.confirm", "style": "primary",
                     "text": _plain(_in(prompt, label)), "value": "__done__"})
    return [{"type": "actions", "block_id": block_id("multi", prompt), "elements": elements}]


def answered(blocks: list[Block], label: str) -> list[Block]:
    """The message a control was pressed on, its controls replaced by what was chosen."""
    kept = [b for b in blocks if b.get("type") != "actions"]
    return [*kept, {"type": "context", "elements": [_mrkdwn(f"→ *{escape(label)}*")]}]


def notice_message(text: str, buttons: tuple[Choice, ...] = ()) -> Message:
    """An operator notice: its text, and its command buttons (Solved / Still broken, 1–5)."""
    return render(Prompt(kind="info", text=text, choices=buttons))


def info_message(text: str) -> Message:
    return {"text": escape(_cut(text, 3000)), "blocks": sections(escape(text))[:BLOCKS_MAX]}


def confirm_email(email: str, language: str = "en") -> Message:
    """The one-time question that links a Slack user to the email Slack knows for them."""
    text = say(_("Hello! Is {email} your work email? Cases you open here are filed under it "
                 "and updates go there.", email=escape(email)), language)
    return {"text": text, "blocks": [
        *sections(text),
        {"type": "actions", "block_id": "cb|identity||", "elements": [
            {"type": "button", "action_id": ID_YES, "style": "primary",
             "text": _plain(say(_("Yes"), language)), "value": "yes"},
            {"type": "button", "action_id": ID_NO, "text": _plain(say(_("No"), language)),
             "value": "no"}]}]}


ALERT_ICONS = {"new": ":rotating_light:", "overdue": ":alarm_clock:", "reply": ":speech_balloon:"}


def staff_alert(alert: Alert) -> Message:
    """A staff alert for the staff channel: what happened, then the case's number (a link to
    the console's page of it when CASEBOT_WEB_URL is set), severity, subject, account, owner
    and due time as fields. The fallback text (notifications) names the case and account."""
    number = escape(alert.case)
    case = f"<{escape(alert.link)}|{number}>" if alert.link else number
    facts = [("Case", case), ("Severity", escape(alert.severity or "—")),
             ("Subject", escape(alert.subject)), ("Account", escape(alert.account or "—")),
             ("Contact", escape(alert.contact or "—")),
             ("Owner", escape(alert.assignee or "nobody yet"))]
    if alert.due:
        facts.append(("Due", escape(alert.due)))
    head = f"{ALERT_ICONS.get(alert.kind, ':bell:')} *{escape(_cut(alert.text, 500))}*"
    return {"text": escape(_cut(f"{alert.text} ({alert.account})" if alert.account
                                else alert.text, 3000)),
            "blocks": [{"type": "section", "text": _mrkdwn(head),
                        "fields": [_mrkdwn(_cut(f"*{label}*\n{value}", FIELD_MAX))
                                   for label, value in facts]}]}
