"""The desk's rules of ownership and of changes made from what an operator last saw (issue 24).

A case has one owner (an operator's email) or none. Every change bumps the case's version
(`uow.cases.add_event`); a console form carries the version it was read at, and a change made
from an older one is refused with what happened since (`Stale`), so two engineers never
overwrite each other silently and nothing reaches the customer twice.
"""

from __future__ import annotations

from collections.abc import Callable

from store.tables import Case, CaseEvent, saved_id
from store.uow import UnitOfWork


class Stale(Exception):
    """The case changed after the form was read: nothing was applied."""

    def __init__(self, case: Case, changes: list[CaseEvent]) -> None:
        super().__init__(f"Case {case.number} changed after you opened it.")
        self.case = case
        self.changes = changes


def name_of(actor: str) -> str:
    """The name a timeline entry or message shows for an audit actor (`web:EMAIL` → EMAIL;
    `cli:USER` stays as it is)."""
    kind, _, who = actor.partition(":")
    return who if kind == "web" else actor


def claim(uow: UnitOfWork, case: Case, seen: int | None,
          first: Callable[[], None] | None = None) -> None:
    """Hold the case for a change made from a view of version `seen` (None: the CLI, which
    shows no form) and read it afresh; run `first` (a check that must win over staleness, e.g.
    ratings applied once); then raise `Stale` when another change came since `seen`."""
    if seen is None and first is None:
        return
    held = uow.cases.hold(case, seen)
    if first is not None:
        first()
    if not held:
        assert seen is not None
        raise Stale(case, uow.cases.events_since(saved_id(case), seen))


def assign(uow: UnitOfWork, case: Case, operator: str | None, *, actor: str) -> bool:
    """Make `operator` (an operator's email; None: nobody) the case's owner, audited as
    `actor`; False when they already were. An unknown operator is a `LookupError`."""
    if operator is not None:
        found = uow.operators.by_email(operator)
        if found is None:
            raise LookupError(f"No operator {operator}. `casebot operators list` shows them.")
        operator = found.email
    if case.assignee == operator:
        return False
    case.assignee = operator
    uow.cases.add_event(case, "assigned", f"Assigned to {operator}." if operator
                        else "Unassigned.", actor=name_of(actor))
    uow.audit.record(actor, "case_assign", f"case:{case.number}", operator or "nobody")
    return True
