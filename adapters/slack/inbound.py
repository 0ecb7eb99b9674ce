"""Slack payloads -> Inbound. Pure: the app passes dicts in, gets values out.

Slack sends message text with its own markup (`&lt;`, `<http://x|x>`, `<@U1>`, `<!here>`); the
flow wants what the user typed, so the markup is turned back into plain text here.
"""

from __future__ import annotations

import re
from typing import Any

from adapters.slack.render import ID_YES, parse_block_id
from bot.protocol import CONFIRM_STEP, DONE, NO, YES, Inbound, PendingFile, pressed

_TOKEN = re.compile(r"<([^<>]*)>")
_SPECIAL = {"channel": "@channel", "here": "@here", "everyone": "@everyone"}


def _token(match: re.Match[str]) -> str:
    body = match.group(1)
    target, _, label = body.partition("|")
    if target.startswith("!"):
        name = target[1:].split("^", 1)[0]
        return _SPECIAL.get(name, "@" + (label or name))
    if target.startswith("@"):
        return "@" + (label or target[1:])
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("mailto:"):
        return label or target[len("mailto:"):]
    if label and _bare(label) == _bare(target):
        return label  # Slack auto-linked what the user typed: keep their spelling
    return target


def _bare(url: str) -> str:
    return re.sub(r"^[a-z][a-z0-9+.-]*://", "", url, flags=re.I).rstrip("/")


def plain_text(text: str) -> str:
    """Slack message text -> what the user typed (mentions and links as plain words)."""
    out = _TOKEN.sub(_token, text or "")
    return out.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def external_id(team_id: str, user_id: str) -> str:
    return f"{team_id}:{user_id}"


def message_inbound(event: dict[str, Any]) -> Inbound:
    """A DM message typed by the user. "new case" and answers alike go to the service; one
    typed in a thread carries the thread's parent (a case's thread reaches its case), with
    files as the platform's references (fetched only if the chat layer asks)."""
    text = plain_text(event.get("text", ""))
    thread, ref = thread_of(event), message_ref(event)
    files = event.get("files") or []
    if files:
        return Inbound(kind="file", pending_files=pending_of(files), text=text, thread=thread,
                       ref=ref)
    return Inbound(kind="text", text=text, thread=thread, ref=ref)


def thread_of(event: dict[str, Any]) -> str:
    """The parent's ts of a message typed in a thread ("" for a top-level message, whose
    `thread_ts`, when Slack sends one, is its own ts)."""
    thread = str(event.get("thread_ts") or "")
    return thread if thread and thread != event.get("ts") else ""


def message_ref(event: dict[str, Any]) -> str:
    """The message's own id, stored with what it adds to a case so a redelivery is stored
    once. A ts is unique only within its channel, so the DM's id goes with it."""
    ts = str(event.get("ts") or "")
    return f"{event.get('channel') or ''}:{ts}" if ts else ""


SUBCOMMANDS = {"new": "newcase", "newcase": "newcase", "list": "cases", "cases": "cases",
               "show": "case", "profiles": "profiles", "profile": "profiles", "help": "help",
               "cancel": "cancel", "back": "back", "where": "where", "continue": "where",
               "checkurl": "checkurl", "urlcheck": "checkurl"}


def slash_inbound(command: str, text: str) -> Inbound:
    """`/case new|list|show N|profiles|help` and `/urlcheck URL…` -> a command Inbound."""
    text = plain_text(text).strip()
    if command.lstrip("/") == "urlcheck":
        return Inbound(kind="command", command="checkurl", args=text, text=text)
    head, _, rest = text.partition(" ")
    sub = head.lower().lstrip("/")
    if not sub:
        return Inbound(kind="command", command="help", text=text)
    if sub.lstrip("#").isdigit():
        return Inbound(kind="command", command="case", args=sub, text=text)
    name = SUBCOMMANDS.get(sub)
    if name is None:
        return Inbound(kind="command", command=sub, args=rest.strip(), text=text)
    return Inbound(kind="command", command=name, args=rest.strip(), text=text)


def action_inbound(action: dict[str, Any], state: dict[str, Any] | None) -> Inbound | None:
    """A press on one of our controls; None for presses that only change a selection."""
    action_id = action.get("action_id", "")
    draft, step = parse_block_id(action.get("block_id", ""))
    if action_id == "cb.multi":
        return None  # read on Confirm, from the message state
    if action_id == "cb.confirm":
        values = ((state or {}).get("values") or {}).get(action.get("block_id", ""), {})
        picked = values.get("cb.multi")
        if picked is not None and "selected_options" in picked:
            ids = tuple(o["value"] for o in picked.get("selected_options") or [])
            return Inbound(kind="multi", choices=ids, done=True, step=step, draft=draft)
        return Inbound(kind="choice", choice=DONE, step=step, draft=draft)
    if action.get("type") == "static_select":
        value = (action.get("selected_option") or {}).get("value")
        if value is None:
            return None
        return Inbound(kind="choice", choice=value, step=step, draft=draft)
    if action.get("type") == "button" and action_id.startswith("cb.cmd."):
        return command_inbound(action.get("value", ""))
    if action.get("type") == "button" and action_id.startswith("cb.btn."):
        return Inbound(kind="choice", choice=action.get("value", ""), step=step, draft=draft)
    return None


def command_inbound(value: str) -> Inbound | None:
    """A command button (its id, "cmd:NAME:ARG…", + optional URL lines, see
    render.command_value) -> the command with its args ("cmd:rate:7:4" is `/rate 7 4`);
    None for any command not offered as a button."""
    head, _, urls = value.partition("\n")
    found = pressed(head)
    if found is None:
        return None
    command, args = found
    return Inbound(kind="command", command=command, args=args or urls.strip())


def identity_inbound(action_id: str) -> Inbound:
    """The Yes / No under "Is ADDRESS your work email?" (render.confirm_email)."""
    return Inbound(kind="choice", step=CONFIRM_STEP, choice=YES if action_id == ID_YES else NO)


def chosen_label(action: dict[str, Any], state: dict[str, Any] | None = None) -> str:
    """What the user picked, as shown on the control (for the chat.update that replaces it)."""
    if action.get("type") == "static_select":
        return str(((action.get("selected_option") or {}).get("text") or {}).get("text", ""))
    if action.get("action_id") == "cb.confirm":
        values = ((state or {}).get("values") or {}).get(action.get("block_id", ""), {})
        opts = (values.get("cb.multi") or {}).get("selected_options")
        if opts is not None:
            return ", ".join(o["text"]["text"] for o in opts) or "none"
        return "Confirmed"
    return str((action.get("text") or {}).get("text", ""))


def delivery_for_action(body: dict[str, Any], action: dict[str, Any]) -> str:
    """The same press delivered twice has the same action_ts; two clicks differ."""
    user = (body.get("user") or {}).get("id", "")
    return f"slack:action:{user}:{action.get('action_ts') or body.get('trigger_id', '')}"


ACTION_PATTERN = re.compile(r"^cb\.")  # every control casebot draws (render.ACTION_PREFIX)


def pending_of(files: list[dict[str, Any]]) -> tuple[PendingFile, ...]:
    """A message's files as Slack file ids (fetched only when the chat layer asks)."""
    return tuple(PendingFile(str(f["id"]), str(f.get("name") or f.get("title") or "a file"),
                             f.get("size") if isinstance(f.get("size"), int) else None)
                 for f in files)
