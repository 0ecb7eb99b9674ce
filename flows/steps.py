"""Kinds of form step: a choice, a multi-select, a line or block of text, and compound steps.

A step knows when it applies, how to ask, how to read an answer and how to show it in the
review, and whether casebot already knows the answer (`fill`: then it is shown in the review,
not asked). It is data plus small functions: no state between events lives here. Each question
is its own step (a state of the machine); `pending` only holds a selection being built (the
options ticked so far), which the engine stores with the conversation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from flows.context import Ctx
from flows.errors import Invalid
from flows.flow import Jump
from flows.formstate import FOUND, Answers
from flows.i18n import Msg, _, joined, ngettext
from flows.model import Choice, Inbound, Prompt, PromptKind
from flows.normalize import normal, typed_list, typed_number, typed_value

Cond = Callable[[Answers, Ctx], bool]

SKIP = "__skip__"
DEFAULT = "__default__"
DONE = "__done__"
# Words that answer an optional step with "nothing" (intake.md, "Asking less than the portal"),
# in English and Japanese, as `said` reads them; NONE_WORDS also empty a list that has a value.
NONE_WORDS = ("none", "no", "なし", "無し", "いいえ")
SKIP_WORDS = ("", "skip", "-", "スキップ", *NONE_WORDS)
# Words that end a list step (as the Done button does).
DONE_WORDS = ("done", ".", "/done", "。", "完了")
# Words that empty a list in the middle of a typed answer ("none, alice@example.com").
CLEAR_WORDS = ("none", "clear", "なし", "無し")
# Japanese yes and no, as the English words the options are named with ("はい" picks "Yes,
# delete it").
_YES_NO = {"yes": "yes", "はい": "yes", "no": "no", "いいえ": "no"}


def said(text: str) -> str:
    """A typed word as the word lists above hold it: `normal`, trimmed, lower-case, without a
    closing 。 ("スキップ。", "done" in full-width letters); "。" alone stays (it ends a list
    as "." does)."""
    word = normal(text).strip().casefold()
    return typed_value(word) or word


@dataclass(frozen=True)
class Stay:
    """The step is not finished: remember `pending` and ask again (e.g. a multi-select toggle)."""

    pending: Any
    note: str = ""
    error: str = ""


def always(a: Answers, ctx: Ctx) -> bool:
    return True


class Step:
    """Base step. Subclasses override `ask` and `read`."""

    kind: PromptKind = "text"

    def __init__(
        self,
        name: str,
        label: str,
        question: str,
        *,
        when: Cond = always,
        within: Cond | None = None,
        deciding: bool = False,
        optional: bool = False,
        hint: str = "",
    ) -> None:
        self.name = name
        self.label = label
        self.question = question
        self.when = when
        # a group of consecutive questions asked only when `within` holds (the URL questions
        # of a URL Reclassification): the machine passes the whole group in one `skip`
        self.within = within
        self.deciding = deciding
        self.optional = optional
        self.hint = hint

    def applies(self, a: Answers, ctx: Ctx) -> bool:
        return self.when(a, ctx)

    def answered(self, a: Answers) -> bool:
        return self.name in a

    def still_valid(self, value: Any, a: Answers, ctx: Ctx) -> bool:
        return True

    def fill(self, a: Answers, ctx: Ctx) -> Any:
        """The answer casebot already knows (shown in the review, not asked), or None: by
        default what the first message said (`FOUND`)."""
        return (a.get(FOUND) or {}).get(self.name)

    def arrival(self, a: Answers, ctx: Ctx) -> Jump | None:
        """A sub-flow to open instead of asking (e.g. no profile yet: the profile form)."""
        return None

    def ask(self, a: Answers, ctx: Ctx, pending: Any) -> Prompt:
        return Prompt(kind=self.kind, text=self.question, step=self.name, hint=self.hint,
                      optional=self.optional)

    def read(self, inbound: Inbound, a: Answers, ctx: Ctx, pending: Any) -> Any:
        raise NotImplementedError

    def show(self, value: Any, a: Answers, ctx: Ctx) -> str:
        if value is None or value == "" or value == []:
            return "—"
        if isinstance(value, list | tuple):
            return joined(", ", [str(v) for v in value])
        return str(value)


def match_choice(inbound: Inbound, choices: Sequence[Choice]) -> Choice | None:
    """Find the choice an answer means: its id, its 1-based number, or its label."""
    if inbound.kind == "choice" and inbound.choice is not None:
        return next((c for c in choices if c.id == inbound.choice), None)
    text = typed_value(inbound.text)  # full-width forms folded, a closing 。 dropped
    if not text:
        return None
    number = typed_number(inbound.text)
    if number is not None and 1 <= number <= len(choices):
        return choices[number - 1]
    low = _key(text)
    typed = " ".join(inbound.text.split()).casefold()  # an id is matched as it was typed
    exact = [c for c in choices if _key(c.label) == low or c.id.casefold() == typed]
    if exact:
        return exact[0]
    # the line as the console shows it: "Low — Cosmetic issue…" (label, dash, hint)
    shown = [c for c in choices if c.hint and _key(f"{c.label} — {c.hint}").startswith(low)
             and low.startswith(_key(c.label) + " ")]
    if len(shown) == 1:
        return shown[0]
    # yes or no (or はい, いいえ) picks the one option that starts with it ("Yes, 24x7")
    answer = _YES_NO.get(low)
    named = [c for c in choices if answer and _key(c.label).split(",")[0] == answer]
    return named[0] if len(named) == 1 else None


def _key(text: str) -> str:
    """How an answer and an option's name are compared: `normal`, spaces collapsed, any case."""
    return " ".join(normal(text).split()).casefold()


def pick(inbound: Inbound, choices: Sequence[Choice]) -> Choice:
    """The choice an answer means, or Invalid saying how to answer."""
    picked = match_choice(inbound, choices)
    if picked is None:
        raise choice_error(inbound, choices)
    return picked


def plain_choices(labels: Iterable[str]) -> list[Choice]:
    """Options whose id is their label (catalog values shown as they are: products, OSes)."""
    return [Choice(id=label, label=label) for label in labels]


def translated_choices(labels: Iterable[str]) -> list[Choice]:
    """Options whose id is the catalog's English value and whose label is that value as a
    message (categories, contact methods: bot/catalog_messages.py extracts them)."""
    return [Choice(id=label, label=_(label)) for label in labels]


def choice_error(inbound: Inbound, choices: Sequence[Choice]) -> Invalid:
    if inbound.kind == "choice":
        return Invalid(_("That option is not available here any more. Pick one of the "
                         "options below."))
    shown = inbound.text.strip()[:60]
    if not shown:
        return Invalid(_("Pick one of the options: a number from 1 to {count} or the option's "
                         "name.", count=len(choices)))
    return Invalid(_("'{shown}' is not one of the options. Answer with a number from 1 to "
                     "{count} or the option's name.", shown=shown, count=len(choices)))


class ChoiceStep(Step):
    """Pick exactly one option; options may depend on earlier answers."""

    kind: PromptKind = "choice"

    def __init__(self, name: str, label: str, question: str, options: Callable[[Answers, Ctx],
                 Sequence[Choice]], **kw: Any) -> None:
        super().__init__(name, label, question, **kw)
        self.options = options

    def ask(self, a: Answers, ctx: Ctx, pending: Any) -> Prompt:
        current = a.get(self.name)
        return Prompt(kind="choice", text=self.question, step=self.name,
                      choices=tuple(self.options(a, ctx)), hint=self.hint,
                      selected=(str(current),) if current is not None else ())

    def read(self, inbound: Inbound, a: Answers, ctx: Ctx, pending: Any) -> Any:
        return pick(inbound, self.options(a, ctx)).id

    def still_valid(self, value: Any, a: Answers, ctx: Ctx) -> bool:
        return any(c.id == value for c in self.options(a, ctx))

    def show(self, value: Any, a: Answers, ctx: Ctx) -> str:
        for c in self.options(a, ctx):
            if c.id == value:
                return c.label
        return super().show(value, a, ctx)


class MultiStep(Step):
    """Pick several options (toggle, then done); typed values may be added via `typed`."""

    kind: PromptKind = "multi"

    def __init__(self, name: str, label: str, question: str,
                 options: Callable[[Answers, Ctx], Sequence[Choice]], *, min_count: int = 1,
                 max_count: int = 100, typed: Callable[[str], list[str]] | None = None,
                 preset: Callable[[Answers, Ctx], list[str]] | None = None, **kw: Any) -> None:
        super().__init__(name, label, question, **kw)
        self.options = options
        self.min_count = min_count
        self.max_count = max_count
        self.typed = typed
        self.preset = preset

    def _choices(self, a: Answers, ctx: Ctx, selected: Sequence[str]) -> list[Choice]:
        choices = list(self.options(a, ctx))
        known = {c.id for c in choices}
        choices += [Choice(id=s, label=s) for s in selected if s not in known]
        return choices

    def _start(self, a: Answers, ctx: Ctx, pending: Any) -> list[str]:
        if pending is not None:
            return list(pending)
        if self.name in a:
            return list(a[self.name])
        return list(self.preset(a, ctx)) if self.preset else []

    def ask(self, a: Answers, ctx: Ctx, pending: Any) -> Prompt:
        selected = self._start(a, ctx, pending)
        return Prompt(kind="multi", text=self.question, step=self.name,
                      choices=tuple(self._choices(a, ctx, selected)), selected=tuple(selected),
                      hint=self.hint, optional=self.min_count == 0)

    def read(self, inbound: Inbound, a: Answers, ctx: Ctx, pending: Any) -> Any:
        selected = self._start(a, ctx, pending)
        choices = self._choices(a, ctx, selected)
        done = inbound.done
        bad: list[str] = []
        if inbound.kind == "multi":
            ids = {c.id for c in choices}
            if any(c not in ids for c in inbound.choices):
                raise Invalid(_("Some of those options are no longer available. Pick again."))
            selected = [c.id for c in choices if c.id in inbound.choices]
        elif inbound.kind == "choice":
            if inbound.choice == DONE:
                done = True
            else:  # a pressed button toggles: pressing it again is how a button removes
                selected = _toggle(selected, pick(inbound, choices).id)
        else:
            selected, done, bad = self._read_text(inbound.text, choices, selected)
        if len(selected) > self.max_count:
            raise Invalid(_("That makes {count}; the limit is {limit}. Leave some out and send "
                            "it again.", count=len(selected), limit=self.max_count))
        if bad:
            return Stay(selected, error=ngettext(
                "{problems}. The others are kept: type it again corrected, or done.",
                "{problems}. The others are kept: type them again corrected, or done.",
                len(bad), problems=joined("; ", bad)))
        if not done:
            return Stay(selected)
        if len(selected) < self.min_count:
            raise Invalid(_("Choose at least {count} before you finish.",
                            count=self.min_count))
        order = {c.id: i for i, c in enumerate(choices)}
        return sorted(selected, key=lambda s: order.get(s, len(order)))

    def _read_text(self, text: str, choices: list[Choice],
                   selected: list[str]) -> tuple[list[str], bool, list[str]]:
        """Typed answers add (retyping keeps); `remove X` removes; done or '.' finishes."""
        whole = said(text)
        if self.min_count == 0 and whole in SKIP_WORDS:
            # an optional list: empty/skip keeps what is there, none/no empties it
            return ([] if whole in NONE_WORDS else selected), True, []
        if whole in DONE_WORDS:
            return selected, True, []
        tokens = typed_list(text, spaces=False)  # commas, semicolons, lines, 、 and 。
        if not tokens:
            raise Invalid(_("Pick options by number or name (several separated by commas), "
                            "then done."))
        done = False
        bad: list[str] = []
        for tok in tokens:
            low = said(tok)
            if low in DONE_WORDS:
                done = True
            elif low in CLEAR_WORDS:
                selected = []
            else:
                selected, problem = self._apply_token(tok, choices, selected)
                if problem is not None:
                    bad.append(problem)
        return selected, done and not bad, bad

    def _apply_token(self, tok: str, choices: list[Choice],
                     selected: list[str]) -> tuple[list[str], str | None]:
        """One typed option added, or removed by `remove X` or `-X`; or why it names none."""
        low = tok.casefold()
        removing = low.startswith("remove ") or (low.startswith("-") and len(low) > 1)
        value = tok[7:].strip() if low.startswith("remove ") else tok[1:].strip() \
            if removing else tok
        ids, problem = self._named_ids(value, tok, removing, choices)
        if problem is not None:
            return selected, problem
        known = {s.casefold(): s for s in selected}
        for item in ids:
            if removing:
                selected = [s for s in selected if s.casefold() != item.casefold()]
            elif item.casefold() not in known:
                selected.append(item)
        return selected, None

    def _named_ids(self, value: str, tok: str, removing: bool,
                   choices: list[Choice]) -> tuple[list[str], str | None]:
        """The option ids `value` names, or why it names none (reported with the others).

        An unknown option to add, with no `typed` reader, is an error of the whole message.
        """
        picked = match_choice(Inbound(kind="text", text=value), choices)
        if picked is not None:
            return [picked.id], None
        if self.typed is not None:
            try:
                return self.typed(value), None
            except Invalid as exc:
                return [], exc.args[0].params.get("shown", exc.args[0]) \
                    if isinstance(exc.args[0], Msg) else str(exc).split(". Fix")[0]
        if removing:
            return [], _("'{value}' is not in the list", value=value[:60])
        raise choice_error(Inbound(kind="text", text=tok), choices)

    def still_valid(self, value: Any, a: Answers, ctx: Ctx) -> bool:
        if self.typed is not None:
            return True
        ids = {c.id for c in self.options(a, ctx)}
        return all(v in ids for v in value)

    def show(self, value: Any, a: Answers, ctx: Ctx) -> str:
        if not value:
            return _("none")
        labels = {c.id: c.label for c in self._choices(a, ctx, value)}
        return joined(", ", [labels.get(v, str(v)) for v in value])


def _toggle(selected: list[str], item: str) -> list[str]:
    return [s for s in selected if s != item] if item in selected else [*selected, item]


class TextStep(Step):
    """Free text, checked by a validator; an empty answer takes the default or skips."""

    def __init__(self, name: str, label: str, question: str, validate: Callable[[str], Any], *,
                 multiline: bool = False, prefill: Callable[[Answers, Ctx], str | None] | None
                 = None, **kw: Any) -> None:
        super().__init__(name, label, question, **kw)
        self.validate = validate
        self.kind: PromptKind = "multiline" if multiline else "text"
        self.prefill = prefill

    def suggestion(self, a: Answers, ctx: Ctx) -> str | None:
        if self.name in a and a[self.name] not in (None, ""):
            return str(a[self.name])
        return self.prefill(a, ctx) if self.prefill else None

    def is_optional(self, a: Answers, ctx: Ctx) -> bool:
        """May be answered empty; a step shared by all events never changes itself for one."""
        return self.optional

    def ask(self, a: Answers, ctx: Ctx, pending: Any) -> Prompt:
        suggestion = self.suggestion(a, ctx)
        optional = self.is_optional(a, ctx)
        choices: tuple[Choice, ...] = ()
        if suggestion:
            short = suggestion if len(suggestion) <= 60 else suggestion[:57] + "…"
            choices = (Choice(id=DEFAULT, label=_("Keep: {value}", value=short)),)
        elif optional:
            choices = (Choice(id=SKIP, label=_("Skip")),)
        return Prompt(kind=self.kind, text=self.question, step=self.name, choices=choices,
                      hint=self.hint, optional=optional,
                      data={"default": suggestion} if suggestion else {})

    def read(self, inbound: Inbound, a: Answers, ctx: Ctx, pending: Any) -> Any:
        optional = self.is_optional(a, ctx)
        suggestion = self.suggestion(a, ctx)
        choice = inbound.choice if inbound.kind == "choice" else None
        if inbound.kind == "text" and "\n" not in inbound.text.strip():
            # a shown option typed by its number or name ("1", "Skip") means that option
            picked = match_choice(inbound, self.ask(a, ctx, pending).choices)
            choice = picked.id if picked is not None else None
            if suggestion and said(inbound.text) == "keep":  # "Keep: …" by name
                choice = DEFAULT
        if choice == DEFAULT and suggestion:
            return self.check(suggestion, ctx)
        if choice == SKIP and optional:
            return ""
        if inbound.kind == "choice":
            raise Invalid(_("Type your answer as a message."))
        text = inbound.text
        if not text.strip():
            if suggestion:
                return self.check(suggestion, ctx)
            if optional:
                return ""
            raise Invalid(_("{label} is required. Type it as a message.", label=self.label))
        if optional and said(text) in SKIP_WORDS:
            return ""
        return self.check(text, ctx)

    def check(self, text: str, ctx: Ctx) -> Any:
        """The validator on typed text; a step whose reading depends on who types (their
        language) overrides this."""
        return self.validate(text)
