"""The response clock (bot/clock.py) on SQLite and PostgreSQL: first-response and next-update
due times from the catalog's targets, the account's plan and the business calendar; what
pauses and restarts the clock; the backfill of cases made before it; a plan change."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine

from bot import accounts, clock, replies
from bot.app import build_engine
from bot.settings import Settings
from flows.calendar import parse
from flows.catalog import get_catalog
from flows.sla import Targets
from store.db import alembic_config, make_engine
from store.tables import NEVER, Case, as_utc, iso, utcnow
from store.uow import UnitOfWork, unit_of_work

BERLIN = ZoneInfo("Europe/Berlin")
OPERATOR = "eve@support.example"
POLICY = clock.Policy(parse("Mon-Fri 09:00-18:00", "Europe/Berlin"),
                      Targets((s.name, s.response) for s in get_catalog().severities))


@pytest.fixture(autouse=True)
def berlin_office() -> Iterator[None]:
    before = clock.use(POLICY)
    yield
    clock.use(before)


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def new_case(s: UnitOfWork, severity: str, *, email: str = "ann@acme.example",
             created: datetime | None = None, key: str | None = None) -> Case:
    contact = s.contacts.ensure(email, "Ann")
    case, _ = s.cases.create(contact, key or f"k:{severity}:{email}:{created}", "console",
                             {"subject": f"{severity} trouble", "severity": severity})
    if created is not None:
        case.created_at = created.astimezone(UTC)  # stored times are UTC (SQLite keeps none)
    clock.started(s, case)
    return case


def due(engine: Engine, number: str) -> tuple[str | None, datetime | None, datetime]:
    with unit_of_work(engine) as s:
        case = s.cases.by_number(number)
        assert case is not None
        return case.due_kind, case.due_at and as_utc(case.due_at), as_utc(case.due_sort)


FRIDAY_5PM = berlin(2026, 1, 9, 17)  # an hour before the weekend
TUESDAY_10PM = berlin(2026, 1, 6, 22)  # at night


@pytest.mark.parametrize(("severity", "plan", "opened", "expected"), [
    ("Low", "standard", FRIDAY_5PM, berlin(2026, 1, 13, 17)),  # 2 business days = 18 h
    ("Low", "premium", FRIDAY_5PM, berlin(2026, 1, 12, 17)),  # 1 business day = 9 h
    ("Medium", "standard", FRIDAY_5PM, berlin(2026, 1, 12, 17)),
    ("Medium", "premium", FRIDAY_5PM, berlin(2026, 1, 12, 12)),  # 4 business hours
    ("High", "standard", FRIDAY_5PM, berlin(2026, 1, 12, 12)),
    ("High", "premium", FRIDAY_5PM, berlin(2026, 1, 9, 18)),  # 1 hour on the clock
    ("Critical", "standard", FRIDAY_5PM, berlin(2026, 1, 9, 19)),  # 24x7: 2 hours
    ("Critical", "premium", FRIDAY_5PM, berlin(2026, 1, 9, 17, 30)),
    ("Low", "standard", TUESDAY_10PM, berlin(2026, 1, 8, 9) + timedelta(hours=9)),
    ("Medium", "premium", TUESDAY_10PM, berlin(2026, 1, 7, 13)),
    ("High", "standard", TUESDAY_10PM, berlin(2026, 1, 7, 13)),
    ("Critical", "standard", TUESDAY_10PM, berlin(2026, 1, 7, 0)),
    # across the spring DST change: Monday 30 March is CEST (09:00 local = 07:00 UTC)
    ("High", "standard", berlin(2026, 3, 27, 17), datetime(2026, 3, 30, 10, tzinfo=UTC)),
])
def test_first_response_due(engine: Engine, severity: str, plan: str, opened: datetime,
                            expected: datetime) -> None:
    email = "ann@premium.example" if plan == "premium" else "ann@acme.example"
    with unit_of_work(engine) as s:
        if plan == "premium":
            acct, _ = accounts.add_account(s, "Premium Co", "premium.example", actor="cli:t")
            accounts.set_plan(s, acct.name, "premium", actor="cli:t")
        case = new_case(s, severity, email=email, created=opened)
        assert case.number is not None
        number = case.number
    assert due(engine, number) == (clock.FIRST_RESPONSE, expected, expected)


def test_the_conversation_moves_the_clock(engine: Engine) -> None:
    """First response, then next update from every public message either way; nothing due
    while waiting for the customer or resolved; a reopening restarts it."""
    target = POLICY.targets.of("High", "standard")
    with unit_of_work(engine) as s:
        case = new_case(s, "High")
        number, opened = case.number or "", as_utc(case.created_at)
    first_due = POLICY.due(opened, "High", "standard")
    assert due(engine, number) == (clock.FIRST_RESPONSE, first_due, first_due)

    def step(action: str, **kw: object) -> Case:
        with unit_of_work(engine) as s:
            case = s.cases.by_number(number)
            assert case is not None
            if action == "customer":
                replies.customer_message(s, case, author="ann@acme.example",
                                         channel="console", text="More detail")
            elif action == "operator":
                replies.operator_message(s, case, operator=OPERATOR, text="Looking",
                                         **kw)  # type: ignore[arg-type]
            elif action == "status":
                replies.set_status(s, case, str(kw["status"]), notify=False)
            elif action == "still broken":
                replies.reopen(s, case, author="ann@acme.example")
        with unit_of_work(engine) as s:  # as committed
            case = s.cases.by_number(number)
            assert case is not None
            return case

    # the customer adds detail before anyone answered: the first response is not put off
    case = step("customer")
    assert (case.due_kind, as_utc(case.due_at or NEVER)) == (clock.FIRST_RESPONSE, first_due)
    # an internal note answers nothing
    case = step("operator", internal=True)
    assert (case.due_kind, case.first_response_at) == (clock.FIRST_RESPONSE, None)
    # the first public reply: the next update is owed from it
    case = step("operator")
    assert case.first_response_at is not None
    assert case.clock_at is not None
    assert case.due_kind == clock.NEXT_UPDATE
    assert as_utc(case.due_at or NEVER) == target.due(as_utc(case.clock_at), POLICY.calendar)
    replied = as_utc(case.clock_at)
    # waiting for the customer: nothing is due
    case = step("operator", status="waiting for customer")
    assert (case.due_kind, case.due_at, as_utc(case.due_sort)) == (clock.NOTHING, None, NEVER)
    # the customer's answer restarts the update clock
    case = step("customer")
    assert case.due_kind == clock.NEXT_UPDATE
    assert case.clock_at is not None
    assert as_utc(case.clock_at) >= replied
    assert as_utc(case.due_at or NEVER) == target.due(as_utc(case.clock_at), POLICY.calendar)
    # resolved: nothing due; "still broken" reopens it and restarts the clock
    case = step("status", status="resolved")
    assert (case.due_kind, case.due_at) == (clock.NOTHING, None)
    case = step("still broken")
    assert case.status == replies.CUSTOMER_REPLIED
    assert case.due_kind == clock.NEXT_UPDATE
    assert as_utc(case.due_at or NEVER) == target.due(as_utc(case.clock_at or NEVER),
                                                      POLICY.calendar)
    # the case JSON's due_at is the stored one
    with unit_of_work(engine) as s:
        found = s.cases.by_number(number)
        assert found is not None
        assert s.cases.as_json(found)["due_at"] == iso(found.due_at)
        assert s.cases.as_json(found)["due_at"].endswith("Z")
    # closed for good
    step("status", status="closed")
    assert due(engine, number) == (clock.NOTHING, None, NEVER)


def test_an_operator_setting_a_waiting_case_back_to_open_restarts_it(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        case = new_case(s, "Medium", created=berlin(2026, 1, 5, 10))
        replies.set_status(s, case, "waiting for customer", notify=False)
        assert case.due_at is None
        before = utcnow()
        replies.set_status(s, case, "open", notify=False)
        assert case.clock_at is not None
        assert as_utc(case.clock_at) >= before
        assert case.due_kind == clock.FIRST_RESPONSE
        assert as_utc(case.due_at or NEVER) == POLICY.due(case.clock_at, "Medium", "standard")


def test_cases_made_before_the_clock_are_backfilled(engine: Engine) -> None:
    """Cases of an older casebot (due_kind NULL) get their clock from their messages."""
    t0 = berlin(2026, 1, 5, 10)  # a Monday morning
    with unit_of_work(engine) as s:
        contact = s.contacts.ensure("ann@acme.example", "Ann")
        made = {}
        for name, status in [("unanswered", "open"), ("answered", "customer replied"),
                             ("done", "resolved")]:
            case, _ = s.cases.create(contact, f"old:{name}", "console",
                                     {"subject": name, "severity": "High"})
            case.created_at, case.status = t0.astimezone(UTC), status
            made[name] = case.number or ""
        answered = s.cases.by_number(made["answered"])
        assert answered is not None
        assert answered.id is not None
        from store.tables import CaseMessage
        for kind, hours in [("customer", 0.5), ("operator", 1), ("customer", 3)]:
            s.messages.add(CaseMessage(case_id=answered.id, author="x", author_kind=kind,
                                       channel="console", text="…",
                                       at=(t0 + timedelta(hours=hours)).astimezone(UTC)))
    assert due(engine, made["unanswered"])[0] is None
    assert clock.recompute_due(engine, batch=2) == 3
    assert due(engine, made["unanswered"]) == (clock.FIRST_RESPONSE, berlin(2026, 1, 5, 14),
                                                berlin(2026, 1, 5, 14))
    # answered at 11:00, the customer wrote again at 13:00: the next update is due at 17:00
    assert due(engine, made["answered"]) == (clock.NEXT_UPDATE, berlin(2026, 1, 5, 17),
                                              berlin(2026, 1, 5, 17))
    assert due(engine, made["done"]) == (clock.NOTHING, None, NEVER)
    assert clock.recompute_due(engine) == 0  # nothing left to backfill


def test_a_plan_change_recomputes_the_accounts_open_cases(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        accounts.add_account(s, "Acme", "acme.example", actor="cli:t")
        case = new_case(s, "High", created=FRIDAY_5PM)
        other = new_case(s, "High", email="bob@other.example", created=FRIDAY_5PM)
        numbers = case.number or "", other.number or ""
    assert due(engine, numbers[0])[1] == berlin(2026, 1, 12, 12)
    with unit_of_work(engine) as s:
        assert accounts.set_plan(s, "Acme", "premium", actor="cli:t") == 1
        assert [a.detail for a in s.audit.recent(1)] == ["Acme: standard → premium"]
    assert due(engine, numbers[0])[1] == berlin(2026, 1, 9, 18)
    assert due(engine, numbers[1])[1] == berlin(2026, 1, 12, 12)  # another account's


def test_upgrading_an_older_database_sets_its_cases_due_times(tmp_path: Path) -> None:
    """A SQLite casebot of before 0012, upgraded at start-up (bot/app.build_engine): its
    open cases get due times at once."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine, cfg = make_engine(url), alembic_config(url)
    opened = datetime(2026, 1, 9, 16, tzinfo=UTC)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0011")
        conn.execute(sa.text(
            "INSERT INTO accounts (id, name, domain, created_at) "
            "VALUES (1, 'acme.example', 'acme.example', :t)"), {"t": opened})
        conn.execute(sa.text(
            "INSERT INTO contacts (id, account_id, email, name, case_recipients, created_at) "
            "VALUES (1, 1, 'ann@acme.example', 'Ann', '[]', :t)"), {"t": opened})
        conn.execute(sa.text(
            "INSERT INTO cases (id, number, idempotency_key, contact_id, channel, status, "
            "subject, details, created_at, updated_at) VALUES (1, '10000001', 'old', 1, "
            "'console', 'open', 'Old', :d, :t, :t)"),
            {"t": opened.replace(tzinfo=None), "d": '{"severity": "Critical"}'})
    engine.dispose()
    upgraded = build_engine(Settings(database_url=url))
    assert due(upgraded, "10000001") == (clock.FIRST_RESPONSE, opened + timedelta(hours=2),
                                         opened + timedelta(hours=2))
    upgraded.dispose()
