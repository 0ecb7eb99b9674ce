"""What the service may ask of a flow, and what a flow may ask of the service.

A flow (the forms, the profiles menu) answers every call with a `Turn`: where it is now, what
to say, and at most one `Effect`, something only the service can do (open another flow, save,
submit, delete). `Effect` is a closed union, so the service handles each kind with `match` and
mypy tells when a new one is left unhandled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from flows.context import Ctx
from flows.formstate import Answers, FormState
from flows.model import Inbound, Prompt


@dataclass(frozen=True)
class Finish:
    """The user pressed the final button: the service persists `answers`."""

    flow: str
    answers: Answers


@dataclass(frozen=True)
class Abandon:
    """The user cancelled from inside the form."""

    flow: str


@dataclass(frozen=True)
class AtStart:
    """/back on the first question: the service may return to a parent flow."""

    flow: str


@dataclass(frozen=True)
class Jump:
    """Leave this flow for another one (e.g. the profile form from step 1)."""

    flow: str
    args: dict[str, Any]
    note: str = ""


@dataclass(frozen=True)
class Return:
    """Leave this flow and give `value` to the flow underneath (None: nothing chosen)."""

    value: str | None = None


@dataclass(frozen=True)
class DeleteProfile:
    """The user confirmed deleting one of their product profiles."""

    profile_id: int


Effect = Finish | Abandon | AtStart | Jump | Return | DeleteProfile


@dataclass
class Turn:
    """The result of one event: where the flow is now, what to say, and what to do."""

    state: str
    answers: Answers
    prompts: list[Prompt] = field(default_factory=list)
    effect: Effect | None = None
    form: FormState = field(default_factory=FormState)


class Flow(Protocol):
    """The calls the service makes; `form` is the flow's own bookkeeping beside the answers."""

    name: str

    def start(self, ctx: Ctx, answers: Answers | None = None,
              state: str | None = None) -> Turn: ...

    def current(self, state: str, answers: Answers, form: FormState, ctx: Ctx) -> Prompt: ...

    def handle(self, state: str, answers: Answers, form: FormState, inbound: Inbound,
               ctx: Ctx) -> Turn: ...

    def back(self, state: str, answers: Answers, form: FormState, ctx: Ctx) -> Turn: ...

    def resume(self, state: str, answers: Answers, form: FormState, value: str | None,
               ctx: Ctx) -> Turn: ...
