"""A form's answers, and its own bookkeeping kept beside them (not among them).

`Answers` maps a step's name to its value. `FormState` is what the engine remembers between
events that is no answer: selections being built, which answers casebot filled in, whether the
user is editing from the review. A conversation stores both in one JSON object, the bookkeeping
under "_"-prefixed keys (the shape drafts have always been saved in); `split` and `join` are the
one place that converts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Answers = dict[str, Any]

PENDING = "_pending"
FILLED = "_filled"
EDITING = "_editing"
# Answers read from the first message ("found"), by step name: each is filled in (shown in the
# review, editable) when the walk reaches a step it answers, and ignored if none applies.
FOUND = "_found"


@dataclass
class FormState:
    """Per step, a selection being built (`pending`); steps casebot filled in, in order;
    and whether an edit from the review is under way (`back` then returns to the review)."""

    pending: dict[str, Any] = field(default_factory=dict)
    filled: list[str] = field(default_factory=list)
    editing: bool = False

    def copy(self) -> FormState:
        return FormState(dict(self.pending), list(self.filled), self.editing)


def split(stored: Mapping[str, Any]) -> tuple[Answers, FormState]:
    """A stored answers object as the answers and the form's bookkeeping."""
    answers = {k: v for k, v in stored.items() if k not in (PENDING, FILLED, EDITING)}
    form = FormState(dict(stored.get(PENDING) or {}), list(stored.get(FILLED) or ()),
                     bool(stored.get(EDITING)))
    return answers, form


def join(answers: Mapping[str, Any], form: FormState) -> dict[str, Any]:
    """The one JSON object a conversation stores (keys only when they say something)."""
    out = dict(answers)
    if form.pending:
        out[PENDING] = dict(form.pending)
    if form.filled:
        out[FILLED] = list(form.filled)
    if form.editing:
        out[EDITING] = True
    return out
