"""The conversation: where a person is in the chat, as a domain object (no storage here).

A person is in one flow at a time (a New Request, a profile form, My profile); a flow may open
another on top of it (the profile form from the request's first question), and closing the
top one resumes the one below with its answers as they were. `store/repo.py` saves it
(`ConvRow` adds the row's id and version) inside the event's unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

REQUEST = "intake"


@dataclass
class Conversation:
    flow: str
    state: str
    answers: dict[str, Any]
    stack: list[dict[str, Any]]
    draft_id: str

    def move(self, state: str, answers: dict[str, Any]) -> None:
        """The flow took a turn: its new state and answers."""
        self.state, self.answers = state, answers

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
        """Has the person answered anything in it (keys starting "_" are the flow's own)?"""
        return bool(self.stack) or any(not k.startswith("_") for k in self.answers)

    @property
    def untouched_request(self) -> bool:
        """A New Request draft that nothing has been answered in yet."""
        return self.flow == REQUEST and not self.answered
