"""The response clock (issue 24): what support owes each case, and by when.

- A new case owes a **first response**: due at created + the target of its severity and its
  account's plan (flows/sla.py), counted on the business calendar (flows/calendar.py).
- The first public operator message answers it (`first_response_at`); from then on the case
  owes a **next update**, due at `clock_at` + the target. The clock restarts on every public
  operator message and every customer message (a customer's message before the first response
  does not move the first response's due time).
- Nothing is due while the case is waiting for the customer, resolved or closed (`due_at`
  NULL, `due_sort` NEVER); leaving those (a reopening, a customer's answer, an operator
  setting it back to open) restarts the clock.

The rules run inside the caller's unit of work (bot/replies.py calls them), with `now` the
store's clock. The calendar and the targets are one process-wide `Policy`, made from the
settings by the composition root (`use(settings)`, bot/app.build_service) or, in a process
that never built a service, from the environment on first use: so no call in between has to
carry settings, and a process has one calendar, as it has one catalog.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from bot.settings import Settings
from flows.calendar import Calendar, parse
from flows.catalog import get_catalog
from flows.sla import Targets
from store.tables import DONE_STATUSES, NEVER, Case, as_utc, saved_id, utcnow
from store.uow import UnitOfWork, unit_of_work

log = logging.getLogger(__name__)

FIRST_RESPONSE = "first_response"
NEXT_UPDATE = "next_update"
NOTHING = "none"  # waiting for the customer, resolved or closed (NULL: never computed)
# the statuses in which support owes nothing (bot/replies.py's WAITING, and done)
PAUSED = ("waiting for customer", *DONE_STATUSES)
BATCH = 500


@dataclass(frozen=True)
class Policy:
    """The business calendar and every severity's targets per plan."""

    calendar: Calendar
    targets: Targets

    def due(self, start: datetime, severity: str | None, plan: str | None) -> datetime:
        """In UTC, as every stored time is (SQLite keeps no zone)."""
        return self.targets.of(severity, plan).due(utc(start), self.calendar).astimezone(UTC)


def utc(at: datetime) -> datetime:
    return as_utc(at).astimezone(UTC)


def policy_of(settings: Settings) -> Policy:
    """CASEBOT_BUSINESS_HOURS, CASEBOT_TIMEZONE, CASEBOT_HOLIDAYS and the catalog's response
    times; a mistake is `flows.errors.Invalid`, saying what to write."""
    calendar = parse(settings.business_hours, settings.timezone, settings.holidays)
    return Policy(calendar, Targets((s.name, s.response) for s in get_catalog().severities))


_current: Policy | None = None


def policy() -> Policy:
    """The process's policy (from the environment unless `use` set one)."""
    global _current
    if _current is None:
        _current = policy_of(Settings())
    return _current


def use(settings: Settings | Policy | None) -> Policy | None:
    """Make this the process's policy (the composition root; a test); None: read the
    environment again on next use. Returns the one it replaces."""
    global _current
    before = _current
    _current = settings if isinstance(settings, Policy) or settings is None \
        else policy_of(settings)
    return before


# -- the rules ------------------------------------------------------------------------------

def started(uow: UnitOfWork, case: Case) -> None:
    """A new case: its first response is owed from when it was opened."""
    case.clock_at = utc(case.created_at)
    settle(uow, case)


def operator_replied(uow: UnitOfWork, case: Case, at: datetime | None = None) -> None:
    """A public operator message: the first response if none was given yet; the update
    clock restarts."""
    at = utc(at or utcnow())
    if case.first_response_at is None:
        case.first_response_at = at
    case.clock_at = at
    settle(uow, case)


def customer_wrote(uow: UnitOfWork, case: Case, before: str,
                   at: datetime | None = None) -> None:
    """A customer's message (the case was in `before`): restarts the update clock, and the
    first response's when the case owed nothing before."""
    if case.first_response_at is not None or before in PAUSED:
        case.clock_at = utc(at or utcnow())
    settle(uow, case)


def status_changed(uow: UnitOfWork, case: Case, before: str,
                   at: datetime | None = None) -> None:
    """A status change: leaving waiting/resolved/closed restarts the clock."""
    if before in PAUSED and case.status not in PAUSED:
        case.clock_at = utc(at or utcnow())
    settle(uow, case)


def settle(uow: UnitOfWork, case: Case, plan: str | None = None) -> None:
    """Set what the case owes by when from its status, first response and clock (`plan`:
    its account's, when the caller knows it)."""
    if case.status in PAUSED:
        case.due_kind, case.due_at = NOTHING, None
    else:
        case.due_kind = NEXT_UPDATE if case.first_response_at is not None else FIRST_RESPONSE
        plan = plan or uow.accounts.plan_of_contact(case.contact_id)
        case.due_at = policy().due(case.clock_at or case.created_at,
                                   case.details.get("severity"), plan)
    case.due_sort = case.due_at or NEVER
    uow.session.add(case)


# -- cases made before the clock, and changes of plan or policy ----------------------------

def backfill(uow: UnitOfWork, cases: list[Case]) -> None:
    """Set the clock of cases made before it from their messages: the first public operator
    message is the first response; the clock last restarted at the newest public operator
    message, or a customer message after the first response."""
    marks = uow.cases.clock_marks([saved_id(c) for c in cases])
    for case in cases:
        first, last_op, last_customer = marks.get(saved_id(case), (None, None, None))
        case.first_response_at = case.first_response_at or first
        restarts = [t for t in (last_op, last_customer if first else None) if t is not None]
        case.clock_at = max([utc(case.created_at), *map(utc, restarts)])
        settle(uow, case)


def recompute_due(engine: Engine, *, every: bool = False,
                  batch: int = BATCH) -> int:
    """Set the due times of cases that have none yet (made before migration 0012), or with
    `every` recompute those of all unresolved cases (after a change of the business hours or
    the catalog's response times); one unit of work per `batch`. Returns how many."""
    pick: Callable[[UnitOfWork, int], list[Case]] = (
        (lambda uow, after: uow.cases.unresolved(after, batch)) if every
        else (lambda uow, after: uow.cases.unclocked(after, batch)))
    return _in_batches(engine, pick, backfill if not every else _resettle)


def plan_changed(uow: UnitOfWork, account_id: int, plan: str) -> int:
    """An account's plan changed: its unresolved cases' due times follow (same unit)."""
    done, after = 0, 0
    while cases := uow.cases.open_of_account(account_id, after, BATCH):
        for case in cases:
            settle(uow, case, plan)
        done += len(cases)
        after = saved_id(cases[-1])
    return done


def _resettle(uow: UnitOfWork, cases: list[Case]) -> None:
    for case in cases:
        settle(uow, case)


def _in_batches(engine: Engine, pick: Callable[[UnitOfWork, int], list[Case]],
                apply: Callable[[UnitOfWork, list[Case]], None]) -> int:
    done, after = 0, 0
    while True:
        with unit_of_work(engine) as uow:
            cases = pick(uow, after)
            if not cases:
                return done
            apply(uow, cases)
        done += len(cases)
        after = saved_id(cases[-1])
        if done % (BATCH * 20) == 0:
            log.info("response clock set for %d cases", done)
