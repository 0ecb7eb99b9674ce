"""Prompt -> Telegram message text and inline keyboard. Pure: no network, no database.

Messages are sent without `parse_mode`, so Telegram shows every character literally: nothing a
user typed (`<b>`, `*bold*`, `<script>`, `_x_`) can become markup. Choices become inline buttons,
8 to a page with ‹ › paging; a multi-select marks picked options with ✓ and adds Done.

callback_data (≤ 64 bytes) is `<action><draft8>.<n>.<tag>`: action `c` = the n-th button
choice, `p` = show page n. `tag` is an HMAC (keyed by the bot token) over the chat, the user,
the draft, the step, the action, n and the choice id, so a button is only good for the chat,
conversation, step and option it was drawn for; anything else is "out of date".

Info prompts may offer commands (/checkurl's "Request reclassification", id `cmd:reclassify`):
those buttons are `k<digest8>.<n>.<tag>`, where digest8 names the URL list the answer showed
and the tag binds chat, user, digest and command; the adapter finds the URLs again by digest.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from flows.commands import BUTTON_COMMANDS, button_id
from flows.model import Choice, Prompt
from flows.steps import DONE

PAGE = 8
MAX_TEXT = 4096
LABEL_MAX = 60
FILES_HINT = "Send documents or photos here (up to 20 MB each), then press Done."
MULTI_HINT = "Tap options to select or clear them (✓), then Done."
MULTILINE_HINT = "Send your answer as one message; it may have several lines."
# command buttons an info prompt may carry -> the command they send (ids: flows/commands.py)
COMMAND_BUTTONS = {button_id(name): name for name in sorted(BUTTON_COMMANDS)}


class Signer:
    """Tags callback_data so buttons can't be reused across chats, drafts or steps."""

    def __init__(self, secret: str | bytes) -> None:
        key = secret.encode() if isinstance(secret, str) else secret
        self.key = hashlib.sha256(b"casebot-telegram-callback\0" + key).digest()

    def tag(self, chat_id: int | str, user_id: int | str, draft: str | None, step: str | None,
            action: str, n: int, choice_id: str) -> str:
        msg = "\x1f".join([str(chat_id), str(user_id), draft or "-", step or "-", action, str(n),
                           choice_id]).encode()
        mac = hmac.new(self.key, msg, hashlib.sha256).digest()[:9]
        return base64.urlsafe_b64encode(mac).decode()

    def data(self, ctx: Target, prompt: Prompt, action: str, n: int, choice_id: str) -> str:
        tag = self.tag(ctx.chat_id, ctx.user_id, prompt.draft, prompt.step, action, n, choice_id)
        return f"{action}{(prompt.draft or '-')[:8]}.{n}.{tag}"

    def command_data(self, ctx: Target, digest: str, n: int, choice_id: str) -> str:
        tag = self.tag(ctx.chat_id, ctx.user_id, "urls:" + digest, "cmd", "k", n, choice_id)
        return f"k{digest}.{n}.{tag}"

    def check_command(self, ctx: Target, digest: str, n: int, tag: str) -> str | None:
        """The command button's choice id when `tag` fits, else None."""
        for choice_id in COMMAND_BUTTONS:
            want = self.tag(ctx.chat_id, ctx.user_id, "urls:" + digest, "cmd", "k", n,
                            choice_id)
            if hmac.compare_digest(want, tag):
                return choice_id
        return None

    def check(self, ctx: Target, prompt: Prompt, action: str, n: int, tag: str) -> Choice | None:
        """The button's choice (a dummy for page buttons) when `tag` fits `prompt`, else None."""
        buttons = button_choices(prompt)
        if action == "c":
            if not 0 <= n < len(buttons):
                return None
            choice = buttons[n]
        elif action == "p":
            if not 0 <= n < pages(prompt):
                return None
            choice = Choice(id="", label="")
        else:
            return None
        want = self.tag(ctx.chat_id, ctx.user_id, prompt.draft, prompt.step, action, n, choice.id)
        return choice if hmac.compare_digest(want, tag) else None


@dataclass(frozen=True)
class Target:
    """Who a keyboard is drawn for (a DM: chat id == user id, but both are bound)."""

    chat_id: int | str
    user_id: int | str


def button_choices(prompt: Prompt) -> tuple[Choice, ...]:
    """What the buttons stand for, in order; a multi-select gets a Done button."""
    if prompt.kind in ("info", "done"):
        return ()
    choices = prompt.choices
    if prompt.kind == "multi" and not any(c.id == DONE for c in choices):
        choices = (*choices, Choice(id=DONE, label="Done"))
    return choices


def _paged(prompt: Prompt) -> tuple[Choice, ...]:
    """Buttons that page; a multi-select's Done stays on every page."""
    buttons = button_choices(prompt)
    if prompt.kind == "multi":
        return buttons[:-1]
    return buttons


def pages(prompt: Prompt) -> int:
    return max(1, -(-len(_paged(prompt)) // PAGE))


def page_of(prompt: Prompt, index: int) -> int:
    return min(index // PAGE, pages(prompt) - 1)


def _label(prompt: Prompt, choice: Choice) -> str:
    label = choice.label
    if choice.group and prompt.kind != "review":
        label = f"{choice.group}: {label}"
    if prompt.kind == "multi" and choice.id != DONE:
        label = ("✓ " if choice.id in prompt.selected else "") + label
    if len(label) > LABEL_MAX:
        label = label[:LABEL_MAX - 1] + "…"
    return label


def keyboard(prompt: Prompt, signer: Signer, target: Target,
             page: int = 0) -> InlineKeyboardMarkup | None:
    """One button a row, 8 a page, ‹ › to page, and Done last for a multi-select."""
    buttons = button_choices(prompt)
    if not buttons:
        return None
    paged = _paged(prompt)
    page = max(0, min(page, pages(prompt) - 1))
    rows = []
    for i in range(page * PAGE, min(len(paged), (page + 1) * PAGE)):
        rows.append([InlineKeyboardButton(_label(prompt, paged[i]),
                                          callback_data=signer.data(target, prompt, "c", i,
                                                                    paged[i].id))])
    if pages(prompt) > 1:
        nav = []
        if page > 0:
            nav.append(InlineKeyboardButton(
                f"‹ {page}/{pages(prompt)}",
                callback_data=signer.data(target, prompt, "p", page - 1, "")))
        if page < pages(prompt) - 1:
            nav.append(InlineKeyboardButton(
                f"{page + 2}/{pages(prompt)} ›",
                callback_data=signer.data(target, prompt, "p", page + 1, "")))
        rows.append(nav)
    if prompt.kind == "multi":
        done = len(buttons) - 1
        rows.append([InlineKeyboardButton(
            "Done", callback_data=signer.data(target, prompt, "c", done, DONE))])
    return InlineKeyboardMarkup(rows)


def urls_digest(urls: list[str] | tuple[str, ...]) -> str:
    """8 hex digits naming a URL list (fits callback_data; the list itself may not)."""
    return hashlib.sha256("\n".join(urls).encode()).hexdigest()[:8]


def command_keyboard(prompt: Prompt, signer: Signer,
                     target: Target) -> InlineKeyboardMarkup | None:
    """Buttons for the commands an info prompt offers (e.g. Request reclassification)."""
    urls = prompt.data.get("urls") if prompt.kind == "info" else None
    offered = [c for c in prompt.choices if c.id in COMMAND_BUTTONS]
    if not urls or not offered:
        return None
    digest = urls_digest(list(urls))
    return InlineKeyboardMarkup([[InlineKeyboardButton(
        c.label[:LABEL_MAX], callback_data=signer.command_data(target, digest, n, c.id))]
        for n, c in enumerate(offered)])


def text(prompt: Prompt) -> str:
    """The message text: error first, the question, hints, a readable review."""
    parts: list[str] = []
    if prompt.error:
        parts.append(f"⚠️ {prompt.error}")
    body = prompt.text
    if prompt.kind == "review":
        lines = [prompt.text, ""]
        for item in prompt.summary:
            value = item.value.split("\n")
            lines.append(f"• {item.label}: {value[0]}")
            lines += [f"    {more}" for more in value[1:]]
        body = "\n".join(lines)
    parts.append(body)
    if prompt.kind in ("info", "done"):
        return _fit("\n\n".join(parts))
    if prompt.hint:
        parts.append(prompt.hint)
    hinted = [c for c in prompt.choices if c.hint]
    if hinted and prompt.kind != "review":
        parts.append("\n".join(f"• {c.label} — {c.hint}" for c in hinted))
    if prompt.kind == "multi":
        parts.append(MULTI_HINT)
    elif prompt.kind == "files":
        parts.append(FILES_HINT)
    elif prompt.kind == "multiline":
        parts.append(MULTILINE_HINT)
    if prompt.kind in ("text", "multiline") and prompt.data.get("default"):
        parts.append("Press Keep to keep the current value, or type a new one.")
    return _fit("\n\n".join(parts))


def _fit(value: str) -> str:
    return value if len(value) <= MAX_TEXT else value[:MAX_TEXT - 1] + "…"


def chunks(value: str, size: int = MAX_TEXT) -> list[str]:
    """Split a long info text (a case with a long description) into sendable messages."""
    out: list[str] = []
    while len(value) > size:
        cut = value.rfind("\n", 0, size)
        cut = cut if cut > size // 2 else size
        out.append(value[:cut])
        value = value[cut:].lstrip("\n")
    out.append(value)
    return out


def info_text(prompt: Prompt) -> list[str]:
    """Info and done prompts may be long (a case's details); they are split, never cut."""
    head = f"⚠️ {prompt.error}\n\n" if prompt.error else ""
    return chunks(head + prompt.text)


def chosen(original: str, label: str) -> str:
    """The question message after a press: its text plus the chosen value, no buttons."""
    tail = f"\n\n→ {label}"
    room = MAX_TEXT - len(tail)
    body = original if len(original) <= room else original[:room - 1] + "…"
    return body + tail
