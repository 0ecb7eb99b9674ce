"""The overdue sweep (bot/alerts.py) on SQLite and PostgreSQL: an unresolved case whose due
time passed alerts staff exactly once per due time, however many sweepers run at once; a new
due time alerts again; a resolved or not-yet-due case never does; a backlog bigger than one
sweep's read is worked through while a case that just came due is alerted at the next sweep.

Due times are set directly through the store: the response clock that computes them is not
this test's subject.
"""

from __future__ import annotations

import itertools
import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from bot.alerts import MAIL_KIND, OVERDUE, OverdueSweep, Staff, start_sweep
from store.db import make_engine
from store.tables import NEVER, Case, utcnow
from store.uow import unit_of_work

STAFF = Staff(slack_channel="CSTAFF", mail_to=("oncall@support.example",),
              web_url="https://desk.example")

pytestmark = pytest.mark.timeout(120)
KEYS = itertools.count(1)  # each case its own idempotency key


def make_cases(engine: Engine, dues: list[datetime | None], *,
               status: str = "open") -> list[int]:
    ids = []
    with unit_of_work(engine) as uow:
        contact = uow.contacts.ensure("pat@acme.example", "Pat")
        for n, due in enumerate(dues):
            case, _ = uow.cases.create(contact, f"k{next(KEYS)}", "console",
                                       {"subject": f"Case {n}", "severity": "High"})
            case.status = status
            case.due_at, case.due_kind, case.due_sort = due, "first_response", due or NEVER
            uow.cases.save(case)
            assert case.id is not None
            ids.append(case.id)
    return ids


def set_due(engine: Engine, case_id: int, due: datetime) -> None:
    with unit_of_work(engine) as uow:
        case = uow.cases.get(case_id)
        assert case is not None
        case.due_at, case.due_sort = due, due
        uow.cases.save(case)


def alerts_of(engine: Engine, case_id: int) -> tuple[int, int]:
    """(staff_alerts rows, staff mails) about the case."""
    with unit_of_work(engine, read_only=True) as uow:
        rows = [a for a in uow.alerts.of_case(case_id) if a.kind == OVERDUE]
        mails = [m for m in uow.outbox.of_case(case_id) if m.kind == MAIL_KIND]
        return len(rows), len(mails)


def test_two_sweepers_at_once_alert_each_missed_due_time_once(engine: Engine,
                                                              db_url: str) -> None:
    now = utcnow()
    late = make_cases(engine, [now - timedelta(minutes=m) for m in range(1, 41)])
    later = make_cases(engine, [now + timedelta(hours=1), None])  # not due / owes nothing
    done = make_cases(engine, [now - timedelta(hours=2)], status="resolved")
    second = make_engine(db_url)  # a second process's own pool
    sweepers = [OverdueSweep(engine, STAFF), OverdueSweep(second, STAFF)]
    told = [0, 0]
    start = threading.Barrier(2)

    def run(n: int) -> None:
        start.wait()
        told[n] = sweepers[n].run()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(told) == len(late)  # between them, each case once
    for case_id in late:
        assert alerts_of(engine, case_id) == (1, 1)
    for case_id in later + done:
        assert alerts_of(engine, case_id) == (0, 0)
    assert [s.run() for s in sweepers] == [0, 0]  # nothing new: nothing again

    # the case was answered, and its next due time was missed too: one more alert
    set_due(engine, late[0], utcnow() - timedelta(seconds=1))
    assert sum(s.run() for s in sweepers) == 1
    assert alerts_of(engine, late[0]) == (2, 2)
    with unit_of_work(engine, read_only=True) as uow:
        case = uow.cases.get(late[0])
        assert case is not None
        assert case.alerted_due_at == case.due_at
        assert case.version == 1  # not a change of the case: no open console form goes stale
    second.dispose()


def test_a_backlog_is_walked_while_a_new_overdue_case_is_told_at_the_next_sweep(
        engine: Engine) -> None:
    now = utcnow()
    # due times shared by several cases: the walk's position is (due_sort, id)
    backlog = make_cases(engine, [now - timedelta(days=2, minutes=m // 4) for m in range(12)])
    sweep = OverdueSweep(engine, STAFF, chunk=5)
    assert sweep.run() == 5  # one read of at most 5 index entries
    fresh = make_cases(engine, [utcnow() - timedelta(seconds=1)])
    assert sweep.run() == 6  # the fresh one, and the next 5 of the backlog
    assert alerts_of(engine, fresh[0]) == (1, 1)
    assert sweep.run() == 2
    assert sweep.run() == 0
    assert all(alerts_of(engine, c) == (1, 1) for c in backlog)


def test_a_raised_severity_whose_due_time_is_already_past_is_found(engine: Engine) -> None:
    """A due time moved into the past (long before the last sweep) is found by the walk."""
    (case_id,) = make_cases(engine, [utcnow() + timedelta(days=1)])
    sweep = OverdueSweep(engine, STAFF)
    assert sweep.run() == 0
    set_due(engine, case_id, utcnow() - timedelta(days=3))
    assert sweep.run() == 1


def test_nothing_without_a_destination(engine: Engine) -> None:
    (case_id,) = make_cases(engine, [utcnow() - timedelta(hours=1)])
    assert OverdueSweep(engine, Staff()).run() == 0
    assert alerts_of(engine, case_id) == (0, 0)
    with unit_of_work(engine, read_only=True) as uow:
        case = uow.cases.get(case_id)
        assert isinstance(case, Case)
        assert case.alerted_due_at is None


def test_the_sweep_thread_of_a_long_running_process(engine: Engine) -> None:
    """What bot/background.py and `casebot mail send` start: it sweeps at once, then again
    every `every` seconds, and stops when told; nothing starts without a destination."""
    assert start_sweep(engine, Staff()) is None
    (case_id,) = make_cases(engine, [utcnow() - timedelta(minutes=5)])
    job = start_sweep(engine, STAFF, every=0.1)
    assert job is not None
    stop, thread = job
    try:
        deadline = time.monotonic() + 5
        while alerts_of(engine, case_id) != (1, 1):
            assert time.monotonic() < deadline, "the sweep thread alerted nothing"
            time.sleep(0.05)
        (later,) = make_cases(engine, [utcnow() - timedelta(seconds=1)])
        while alerts_of(engine, later) != (1, 1):
            assert time.monotonic() < deadline, "the second sweep alerted nothing"
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()
    assert alerts_of(engine, case_id) == (1, 1)


def test_an_owned_overdue_case_tells_the_list_and_its_owner(engine: Engine) -> None:
    due = utcnow().replace(microsecond=0) - timedelta(minutes=30)
    (case_id,) = make_cases(engine, [due])
    with unit_of_work(engine) as uow:
        case = uow.cases.get(case_id)
        assert case is not None
        case.assignee = "Ann@support.example"
        uow.cases.save(case)
        number = case.number
    staff = Staff(slack_channel="CSTAFF",
                  mail_to=("oncall@support.example", "ann@support.example"))
    assert OverdueSweep(engine, staff).run() == 1
    with unit_of_work(engine, read_only=True) as uow:
        (alert,) = uow.alerts.of_case(case_id)
        mails = sorted(m.to for m in uow.outbox.of_case(case_id) if m.kind == MAIL_KIND)
    assert alert.text == (f"Case {number} is overdue: first response was due "
                          f"{due:%Y-%m-%d %H:%M} UTC")
    assert mails == ["ann@support.example", "oncall@support.example"]  # the owner once
