"""Reply keyboards for Telegram prompts, and what each button's text means. Pure.

A tap sends the button's text as the user's own message, so each keyboard comes with the map
{button text -> Meaning}: a choice id, a page of the same keyboard, or a command with the URLs
of the answer it was drawn under. Texts are unique within a keyboard. Long lists are paged (8
a page, ‹ › buttons); a long grouped choice (the URL categories) opens on the likely group and
a button per other group; a multi-select marks picked options with ✓ and adds Done; a review
shows Submit, its Edit buttons two a row and Cancel at once. A question without buttons gets
ReplyKeyboardRemove, so an old keyboard never answers a new question.

A command that carries arguments (Solved / Still broken on case N, a survey's 1–5, "Add to
case N" on a held message) is an inline button on the message it is about (`inline`): its
callback data is the choice id itself ("cmd:solved:10000042"), read back by
`bot.protocol.pressed`, so nothing about it has to be remembered by label.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.protocol import DONE, N_, RECLASSIFY, Choice, Prompt, _, button_id, pressed, say

PAGE = 8
LABEL_MAX = 60
PLACEHOLDER_MAX = 64
CHOOSE = N_("Tap an option, or type its number or name")
DONE_LABEL = N_("Done")
CALLBACK_MAX = 64  # bytes of callback_data Telegram keeps
# reply-keyboard command buttons an info prompt may carry (a tap is read back by its label, so
# only commands without arguments: their arguments are the URLs of the answer drawn) -> the
# command they send (ids: flows/commands.py); the others are inline buttons (`inline`)
COMMAND_BUTTONS = {button_id(RECLASSIFY): RECLASSIFY}
COMMAND_LABELS = {button_id(RECLASSIFY): N_("Request reclassification")}

Markup = ReplyKeyboardMarkup | ReplyKeyboardRemove


@dataclass(frozen=True)
class Meaning:
    """What a button's text stands for: a choice, a page of the same keyboard, or a command
    (with the URLs of the answer it was drawn under; empty when not known)."""

    choice: str | None = None
    page: int | None = None
    command: str | None = None
    urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class Keyboard:
    markup: Markup
    buttons: dict[str, Meaning] = field(default_factory=dict)


REMOVE = Keyboard(ReplyKeyboardRemove())


class _Rows:
    """Keyboard rows with unique button texts (a tap is read back by its text)."""

    def __init__(self) -> None:
        self.rows: list[list[str]] = []
        self.buttons: dict[str, Meaning] = {}

    def row(self, *items: tuple[str, Meaning]) -> None:
        row = []
        for label, meaning in items:
            text, n = label, 2
            while text in self.buttons:
                text, n = f"{label} ({n})", n + 1
            self.buttons[text] = meaning
            row.append(text)
        if row:
            self.rows.append(row)

    def pairs(self, items: list[tuple[str, Meaning]]) -> None:
        for i in range(0, len(items), 2):
            self.row(*items[i:i + 2])

    def keyboard(self, placeholder: str, persistent: bool = True) -> Keyboard:
        if not self.rows:
            return REMOVE
        # one_time: the client hides the keyboard once tapped, until the next question brings
        # its own, so a double tap can't send the label again as the answer to that question
        return Keyboard(ReplyKeyboardMarkup(
            self.rows, resize_keyboard=True, one_time_keyboard=True, is_persistent=persistent,
            input_field_placeholder=placeholder[:PLACEHOLDER_MAX]), self.buttons)


def button_choices(prompt: Prompt) -> tuple[Choice, ...]:
    """What the buttons stand for, in order; a multi-select gets a Done button."""
    if prompt.kind in ("info", "done"):
        return ()
    choices = prompt.choices
    if prompt.kind == "multi" and not any(c.id == DONE for c in choices):
        choices = (*choices, Choice(id=DONE, label=_in(prompt, DONE_LABEL)))
    return choices


def _in(prompt: Prompt, message: str) -> str:
    """This adapter's own words in the language the prompt was rendered in (issue 27)."""
    return say(_(message), prompt.language or "en")


def _paged(prompt: Prompt) -> tuple[Choice, ...]:
    """Buttons that page; a multi-select's Done stays on every page, a review never pages."""
    buttons = button_choices(prompt)
    if prompt.kind == "multi":
        return buttons[:-1]
    if prompt.kind == "review":
        return ()
    return buttons


def _groups(prompt: Prompt) -> list[str]:
    """Groups worth a page each: a long single choice whose options carry groups (the URL
    categories). Page 0 shows the first group's options (the likely ones) and a button per
    other group, so any option is one or two taps away."""
    if prompt.kind != "choice" or len(prompt.choices) <= 2 * PAGE:
        return []
    names = list(dict.fromkeys(c.group for c in prompt.choices))
    return [] if None in names else [str(n) for n in names]


def pages(prompt: Prompt) -> int:
    groups = _groups(prompt)
    if groups:
        return len(groups)
    return max(1, -(-len(_paged(prompt)) // PAGE))


def _label(prompt: Prompt, choice: Choice) -> str:
    label = choice.label
    if choice.group and prompt.kind != "review":
        label = f"{choice.group}: {label}"
    if prompt.kind == "multi" and choice.id != DONE:
        label = ("✓ " if choice.id in prompt.selected else "") + label
    if len(label) > LABEL_MAX:
        label = label[:LABEL_MAX - 1] + "…"
    return label


def _pick(prompt: Prompt, choice: Choice) -> tuple[str, Meaning]:
    return _label(prompt, choice), Meaning(choice=choice.id)


def _grouped(prompt: Prompt, rows: _Rows, page: int) -> None:
    """Page k: group k's options, two a row; page 0 also a button per other group, the
    others a button back to page 0."""
    groups = _groups(prompt)
    rows.pairs([_pick(prompt, c) for c in prompt.choices if c.group == groups[page]])
    if page == 0:
        for k, group in enumerate(groups[1:], start=1):
            count = sum(c.group == group for c in prompt.choices)
            rows.row((f"{group} ({count}) ›", Meaning(page=k)))
    else:
        rows.row((f"‹ {groups[0]}", Meaning(page=0)))


def _review(prompt: Prompt, rows: _Rows) -> None:
    """Submit first, the edits two a row, Cancel last: all on one keyboard."""
    edits = [_pick(prompt, c) for c in prompt.choices if c.id.startswith("edit:")]
    rows.row(*[_pick(prompt, c) for c in prompt.choices if c.id == "submit"])
    rows.pairs(edits)
    rows.row(*[_pick(prompt, c) for c in prompt.choices
               if c.id != "submit" and not c.id.startswith("edit:")])


def keyboard(prompt: Prompt, page: int = 0) -> Keyboard:
    """The question's reply keyboard at `page` (or ReplyKeyboardRemove when it has no
    buttons), with what each button means."""
    buttons = button_choices(prompt)
    if not buttons:
        return offers(prompt)
    page = max(0, min(page, pages(prompt) - 1))
    rows = _Rows()
    if prompt.kind in ("text", "multiline", "files"):
        rows.row(*[_pick(prompt, c) for c in buttons])
        hint = _in(prompt, N_("Send files, or tap a button") if prompt.kind == "files" else
                   N_("Type your answer, or tap a button"))
        return rows.keyboard(hint, persistent=False)
    if prompt.kind == "review":
        _review(prompt, rows)
        return rows.keyboard(_in(prompt, N_("Tap Submit, or an Edit button")))
    if _groups(prompt):
        _grouped(prompt, rows, page)
        return rows.keyboard(_in(prompt, CHOOSE))
    paged = _paged(prompt)
    for choice in paged[page * PAGE:(page + 1) * PAGE]:
        rows.row(_pick(prompt, choice))
    if pages(prompt) > 1:
        nav = []
        if page > 0:
            nav.append((f"‹ {page}/{pages(prompt)}", Meaning(page=page - 1)))
        if page < pages(prompt) - 1:
            nav.append((f"{page + 2}/{pages(prompt)} ›", Meaning(page=page + 1)))
        rows.row(*nav)
    if prompt.kind == "multi":
        rows.row((_in(prompt, DONE_LABEL), Meaning(choice=DONE)))
    return rows.keyboard(_in(prompt, CHOOSE))


def all_buttons(prompt: Prompt | None, language: str = "en") -> dict[str, Meaning]:
    """Every button the question has on any page, and the command buttons (their URLs not
    known; in the question's language, else the person's `language`): what a tap may mean
    when the keyboard drawn is not remembered (a restart)."""
    found: dict[str, Meaning] = {}
    if prompt is not None:
        for page in range(pages(prompt)):
            for text, meaning in keyboard(prompt, page).buttons.items():
                found.setdefault(text, meaning)
    for choice_id, command in COMMAND_BUTTONS.items():
        label = COMMAND_LABELS.get(choice_id, command)
        spoken = (prompt.language if prompt is not None else None) or language
        found.setdefault(say(_(label), spoken) if choice_id in COMMAND_LABELS else label,
                         Meaning(command=command))
    return found


def offers(prompt: Prompt) -> Keyboard:
    """Buttons for the commands an info prompt offers (e.g. Request reclassification)."""
    urls = tuple(prompt.data.get("urls") or ()) if prompt.kind == "info" else ()
    rows = _Rows()
    for c in prompt.choices:
        if urls and c.id in COMMAND_BUTTONS:
            label = (_in(prompt, COMMAND_LABELS[c.id]) if c.id in COMMAND_LABELS
                     else c.label)[:LABEL_MAX]
            rows.row((label, Meaning(command=COMMAND_BUTTONS[c.id], urls=urls)))
    return rows.keyboard(_in(prompt, N_("Tap a button, or type a command")))


def pressable(choice: Choice) -> bool:
    """A command button with its arguments in its id: drawn inline, not on the keyboard."""
    return command_pressed(choice.id) is not None


def command_pressed(data: str) -> tuple[str, str] | None:
    """(command, args) an inline button's callback data stands for; None for anything else
    (an inline button from before reply keyboards)."""
    return None if data in COMMAND_BUTTONS else pressed(data)


def inline(choices: tuple[Choice, ...]) -> InlineKeyboardMarkup | None:
    """The pressable choices as inline buttons: short ones in one row (Solved / Still
    broken, a survey's 1–5), others one a row; None when there are none."""
    buttons = [c for c in choices if pressable(c)]
    if not buttons:
        return None
    for c in buttons:
        assert len(c.id.encode()) <= CALLBACK_MAX, f"callback data too long: {c.id!r}"
    short = len(buttons) <= 5 and sum(len(c.label) for c in buttons) <= 24
    rows = [[_inline_button(c) for c in buttons]] if short else \
        [[_inline_button(c)] for c in buttons]
    return InlineKeyboardMarkup(rows)


def _inline_button(choice: Choice) -> InlineKeyboardButton:
    return InlineKeyboardButton(choice.label[:LABEL_MAX], callback_data=choice.id)


def with_offers(base: Keyboard, offers: list[Keyboard]) -> Keyboard:
    """The question's keyboard plus the command buttons said before it in the same reply."""
    offers = [k for k in offers if k.buttons]
    extra = [(t, m) for k in offers for t, m in k.buttons.items()]
    if not extra:
        return base
    if len(offers) == 1 and not base.buttons:
        return offers[0]
    rows = _Rows()
    if isinstance(base.markup, ReplyKeyboardMarkup):
        for row in base.markup.keyboard:
            rows.row(*[(b.text, base.buttons[b.text]) for b in row])
    for item in extra:
        rows.row(item)
    placeholder = getattr(base.markup, "input_field_placeholder", None) or CHOOSE
    return rows.keyboard(placeholder)


def page_title(prompt: Prompt, page: int) -> str:
    """What a page turn says: the group shown, or which options."""
    groups = _groups(prompt)
    if groups:
        return f"{groups[page]}:" if page else prompt.text
    first, total = page * PAGE + 1, len(_paged(prompt))
    return say(_("Options {first}–{last} of {total}:", first=first,
                 last=min(total, (page + 1) * PAGE), total=total), prompt.language or "en")

