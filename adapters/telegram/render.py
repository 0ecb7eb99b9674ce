"""Prompt -> Telegram message texts and the keyboard they carry. Pure: no network, no database.

Messages are sent without `parse_mode`, so Telegram shows every character literally: nothing a
user typed (`<b>`, `*bold*`, `<script>`, `_x_`) can become markup.

Choices are reply keyboards (keyboards.py), as in PTB's conversationbot example: a tap sends the
button's text as the user's own message, so the transcript reads question / answer, no message
keeps live buttons, and a tap costs one Bot API call. The answer to one action is one message
when it fits (notes and the next question joined), and every message sent as an answer carries
the keyboard of the question it leaves the user at, or ReplyKeyboardRemove.

Two exceptions, both about a submitted case: a prompt with command buttons that carry
arguments ("Add to case N" / "New case" on a held message) is its own message with those
inline buttons under it (`Outgoing.inline`); and the messages that hold a submit
confirmation say which case they confirm (`Outgoing.cases`), so the adapter can remember
them and a reply to one reaches that case.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from telegram import InlineKeyboardMarkup

from adapters.telegram import keyboards
from adapters.telegram.keyboards import REMOVE, Keyboard, keyboard
from bot.protocol import N_, Prompt, _, say

MAX_TEXT = 4096
FILES_HINT = N_("Send documents or photos here (up to 20 MB each), then tap Done.")
MULTI_HINT = N_("Tap options to select or clear them (✓), then Done.")
MULTILINE_HINT = N_("Send your answer as one message; it may have several lines.")


@dataclass(frozen=True)
class Outgoing:
    """What to send for a batch of prompts: the messages (each carries `keyboard`, but a
    message in `inline` carries its inline buttons instead), the question the keyboard
    answers (None when only information was said) and its page; `cases`: message index ->
    the number of the case a submit confirmation in it is about."""

    texts: list[str]
    keyboard: Keyboard
    prompt: Prompt | None = None
    page: int = 0
    inline: dict[int, InlineKeyboardMarkup] = field(default_factory=dict)
    cases: dict[int, str] = field(default_factory=dict)

    def markup(self, index: int) -> InlineKeyboardMarkup | keyboards.Markup:
        return self.inline.get(index) or self.keyboard.markup


def reply(prompts: list[Prompt], page: int = 0) -> Outgoing:
    """One reply to one user action: the prompts' texts packed into as few messages as fit
    (usually one), each carrying the keyboard of the last question asked; a prompt with
    inline buttons is a message of its own, the buttons under it."""
    asked = [p for p in prompts if p.kind not in ("info", "done")]
    question = asked[-1] if asked else None
    offers = [keyboards.offers(p) for p in prompts if p.kind == "info" and p.choices]
    base = keyboard(question, page) if question is not None else REMOVE
    texts: list[str] = []
    inline: dict[int, InlineKeyboardMarkup] = {}
    cases: dict[int, str] = {}
    joinable = False  # the last message may take more text
    for p in prompts:
        buttons = keyboards.inline(p.choices) if p.kind == "info" else None
        parts = info_text(p) if p.kind in ("info", "done") else [text(p)]
        if buttons is not None:
            texts += parts
            inline[len(texts) - 1] = buttons
            joinable = False
            continue
        start = len(texts)  # the first message holding this prompt's text
        if joinable:  # it may join the last message
            merged = pack(texts[-1:] + parts)
            if merged[0] != texts[-1]:  # it did
                start -= 1
            texts[-1:] = merged
        else:
            texts += pack(parts)
        joinable = True
        number = p.data.get("number") if p.kind == "done" else None
        if number:
            cases.update({i: str(number) for i in range(start, len(texts))})
    return Outgoing(texts, keyboards.with_offers(base, offers), question, page, inline,
                    cases)


def page_reply(prompt: Prompt, page: int) -> Outgoing:
    """A page or group of the same question (a tap on › or on a group)."""
    page = max(0, min(page, keyboards.pages(prompt) - 1))
    return Outgoing([keyboards.page_title(prompt, page)], keyboard(prompt, page), prompt, page)


def selection_reply(prompt: Prompt, page: int) -> Outgoing:
    """A multi-select after a tap toggled an option: what is picked so far, same page."""
    labels = {c.id: c.label for c in prompt.choices}
    picked = ", ".join(labels.get(s, s) for s in prompt.selected) or _("nothing yet")
    note = say(_("Selected: {picked}. Tap more to add or clear, then Done.", picked=picked),
               prompt.language or "en")
    return Outgoing([_fit(note)], keyboard(prompt, page), prompt, page)


def text(prompt: Prompt) -> str:
    """The message text: error first, the question, hints, a readable review."""
    parts: list[str] = []
    if prompt.error:
        parts.append(f"⚠️ {prompt.error}")
    parts.append(_review(prompt) if prompt.kind == "review" else prompt.text)
    if prompt.kind not in ("info", "done"):
        parts += _hints(prompt)
    return _fit("\n\n".join(parts))


def _review(prompt: Prompt) -> str:
    """The review's question, then one bullet per answer (later lines of a value indented)."""
    lines = [prompt.text, ""]
    for item in prompt.summary:
        value = item.value.split("\n")
        lines.append(f"• {item.label}: {value[0]}")
        lines += [f"    {more}" for more in value[1:]]
    return "\n".join(lines)


_KIND_HINTS = {"multi": MULTI_HINT, "files": FILES_HINT, "multiline": MULTILINE_HINT}


def _hints(prompt: Prompt) -> list[str]:
    """What follows a question: its hint, the options' hints, how to answer this kind."""
    parts: list[str] = []
    if prompt.hint:
        parts.append(prompt.hint)
    hinted = [c for c in prompt.choices if c.hint]
    if hinted and prompt.kind != "review":
        parts.append("\n".join(f"• {c.label} — {c.hint}" for c in hinted))
    language = prompt.language or "en"
    if prompt.kind in _KIND_HINTS:
        parts.append(say(_(_KIND_HINTS[prompt.kind]), language))
    if prompt.kind in ("text", "multiline") and prompt.data.get("default"):
        parts.append(say(_("Tap Keep to keep the current value, or type a new one."), language))
    return parts


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


def pack(pieces: list[str]) -> list[str]:
    """Consecutive texts joined by a blank line while they fit one message."""
    out: list[str] = []
    for piece in pieces:
        if out and len(out[-1]) + 2 + len(piece) <= MAX_TEXT:
            out[-1] += "\n\n" + piece
        else:
            out.append(piece)
    return out


def info_text(prompt: Prompt) -> list[str]:
    """Info and done prompts may be long (a case's details); they are split, never cut."""
    head = f"⚠️ {prompt.error}\n\n" if prompt.error else ""
    return chunks(head + prompt.text)
