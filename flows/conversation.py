"""The conversation: where a person is in the chat, as a domain object (no storage here).

A person is in one flow at a time (a New Request, a profile form, My profile); a flow may open
another on top of it (the profile form from the request's first question), and closing the
top one resumes the one below with its answers as they were.
`store/repositories/conversations.py` saves it (`ConvRow` adds the row's id and version)
inside the event's unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flows.form import answered_by_person
from flows.formstate import Answers, FormState, join, split

REQUEST = "intake"


@dataclass
class Conversation:
    """`answers` is kept as stored: the flow's answers and its bookkeeping in one object
    (`flows.formstate.join`); `draft` and `move` convert."""

    flow: str
    state: str
    answers: dict[str, Any]
    stack: list[dict[str, Any]]
    draft_id: str

    @property
    def draft(self) -> tuple[Answers, FormState]:
        """The current flow's answers and its form's bookkeeping."""
        return split(self.answers)

    def move(self, state: str, answers: Answers, form: FormState) -> None:
        """The flow took a turn: its new state, answers and bookkeeping."""
        self.state, self.answers = state, join(answers, form)

    def push(self, flow: str) -> None:
        """Open `flow` on top; the current one waits, as it is, on the stack."""
        self.stack = [*self.stack, {"flow": self.flow, "state": self.state,
                                    "answers": self.answers}]
        self.flow = flow

    def pop(self) -> None:
        """Close the top flow: the one below is current again, as it was left."""
        frame = self.stack[-1]
        self.stack = self.stack[:-1]
        self.flow, self.state, self.answers = frame["flow"], frame["state"], frame["answers"]

    @property
    def in_request(self) -> bool:
        """A New Request draft is open, possibly under a form opened from it."""
        return self.flow == REQUEST or any(f["flow"] == REQUEST for f in self.stack)

    @property
    def answered(self) -> bool:
        """Has the person answered anything in it (not what casebot filled in), in this flow
        or one underneath?"""
        return any(answered_by_person(*split(answers))
                   for answers in (self.answers, *(f["answers"] for f in self.stack)))

    @property
    def untouched_request(self) -> bool:
        """A New Request draft that nothing has been answered in yet."""
        return self.flow == REQUEST and not self.answered
