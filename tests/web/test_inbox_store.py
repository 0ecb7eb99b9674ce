"""The inbox query (store/repositories/inbox.py) and the operators' tables, on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine
from sqlmodel import SQLModel, select

from bot.accounts import add_account
from bot.operators import TooManyAttempts, add_operator, forget_failures, sign_in
from store.repositories.inbox import InboxFilter
from store.tables import SignInFailure, utcnow
from store.uow import UnitOfWork, unit_of_work


def fill(s: UnitOfWork) -> list[str]:
    add_account(s, "Acme", "acme.example", actor="test")
    add_account(s, "Globex", "globex.example", actor="test")
    numbers = []
    for i in range(12):
        who = s.contacts.ensure(f"c{i % 3}@{'acme' if i % 3 else 'globex'}.example")
        case, _ = s.cases.create(who, f"k{i}", ("console", "slack", "telegram")[i % 3], {
            "subject": f"Case {i} {'printer' if i % 4 == 0 else 'agent'} 100%_done",
            "severity": ("Low", "High")[i % 2], "product": "Apex One"})
        case.status = "closed" if i in (3, 7) else "open"
        assert case.number is not None
        numbers.append(case.number)
    s.commit()
    return numbers


def test_keyset_pages_and_filters(engine: Engine) -> None:
    now = utcnow()
    with unit_of_work(engine) as s:
        numbers = fill(s)
        result = s.inbox.page(InboxFilter(), now, size=5)
        assert [r.number for r in result.rows] == numbers[::-1][:5]
        seen = [r.number for r in result.rows]
        while result.next is not None:
            result = s.inbox.page(InboxFilter(), now, after=result.next, size=5)
            seen += [r.number for r in result.rows]
        assert seen == numbers[::-1]

        def only(f: InboxFilter) -> list[str]:
            return [r.number for r in s.inbox.page(f, now).rows]

        assert only(InboxFilter(statuses=("closed",))) == [numbers[7], numbers[3]]
        assert only(InboxFilter(severity="High")) == numbers[1::2][::-1]
        assert only(InboxFilter(channel="slack")) == numbers[1::3][::-1]
        globex = s.contacts.by_email("c0@globex.example")
        assert globex is not None
        assert only(InboxFilter(account_id=globex.account_id)) == numbers[0::3][::-1]
        assert only(InboxFilter(q=numbers[5])) == [numbers[5]]
        assert only(InboxFilter(q="PRINTER case")) == [numbers[8], numbers[4], numbers[0]]
        assert only(InboxFilter(q="100%_")) == numbers[::-1]  # words, not LIKE patterns
        assert only(InboxFilter(q="%")) == []
        assert only(InboxFilter(q="a_ent")) == []
        assert only(InboxFilter(q="printer", statuses=("open",), severity="Low")) == [
            numbers[8], numbers[4], numbers[0]]
        row = s.inbox.page(InboxFilter(q=numbers[1]), now).rows[0]
        assert (row.severity, row.account, row.product, row.channel) == (
            "High", "Acme", "Apex One", "slack")


def test_operator_tables_match_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    diff = [d for d in diff if "case_search" not in repr(d)]  # not modelled (0012)
    assert [d for d in diff if "operators" in repr(d) or "sign_in" in repr(d)
            or "cases" in repr(d)] == []


def test_sign_in_counts_refusals_per_email_and_client(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        add_operator(s, "Desk@Support.example", "a long enough password", actor="test")
    assert sign_in(engine, "desk@support.example", "a long enough password", "10.0.0.1")
    assert sign_in(engine, "nobody@support.example", "whatever", "10.0.0.1") is None
    for _ in range(5):
        assert sign_in(engine, "desk@support.example", "wrong", "10.0.0.2") is None
    with pytest.raises(TooManyAttempts):
        sign_in(engine, "desk@support.example", "a long enough password", "10.0.0.3")
    with unit_of_work(engine, read_only=True) as s:
        # the right password took its count back: one refusal for nobody@, five for desk@
        keys = sorted(f.key for f in s.session.exec(select(SignInFailure)).all())
        audited = [e.action for e in s.audit.recent()]
    assert keys == ["client:10.0.0.1", *["client:10.0.0.2"] * 5,
                    *["email:desk@support.example"] * 5, "email:nobody@support.example"]
    assert audited.count("sign-in") == 1
    with unit_of_work(engine) as s:  # refusals older than the window no longer count
        for f in s.session.exec(select(SignInFailure)).all():
            f.at = utcnow() - timedelta(minutes=16)
            s.session.add(f)
    assert sign_in(engine, "desk@support.example", "a long enough password", "10.0.0.3")
    with unit_of_work(engine) as s:
        assert forget_failures(s) == 0  # a sign-in already dropped them


def test_the_dummy_password_of_an_unknown_email_signs_nobody_in(engine: Engine) -> None:
    """An unknown email is checked against a dummy hash (same time as a real check); its own
    password must not pass for an operator."""
    assert sign_in(engine, "nobody@support.example", "casebot: no such operator",
                   "10.0.0.1") is None
