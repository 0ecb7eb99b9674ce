"""The desk's queue and search (store/repositories/inbox.py, search.py), on SQLite and
PostgreSQL: views and their counts, several statuses, the due-time sort, keyset pages both
ways that keep the filters, every kind of search, and assignment audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from bot.accounts import add_account
from bot.desk import assign
from bot.operators import add_operator
from store.repositories.inbox import Cursor, InboxFilter
from store.tables import NEVER, utcnow
from store.uow import UnitOfWork, unit_of_work

ME, OTHER = "me@support.example", "other@support.example"
STATUSES = ("open", "in progress", "waiting for customer", "customer replied", "resolved",
            "closed")


def fill(s: UnitOfWork, n: int = 24) -> list[str]:
    """`n` cases, oldest first: status cycles through all six; owner me / other / nobody;
    due times an hour apart from 3 h ago (the first three unresolved ones overdue)."""
    add_operator(s, ME, "a long enough password", actor="test")
    add_operator(s, OTHER, "a long enough password", actor="test")
    add_account(s, "Acme Widgets", "acme.example", actor="test")
    add_account(s, "Globex", "globex.example", actor="test")
    now = utcnow()
    numbers = []
    for i in range(n):
        who = s.contacts.ensure(f"person{i % 3}@{'acme' if i % 2 else 'globex'}.example")
        case, _ = s.cases.create(who, f"k{i}", "console", {
            "subject": f"Agent problem {i}", "severity": ("Low", "High")[i % 2],
            "description": "It stops after the update." + (" Zanzibar!" if i == 7 else ""),
            "is_threat": i == 9})
        case.status = STATUSES[i % 6]
        case.assignee = (ME, OTHER, None)[i % 3]
        if case.status not in ("resolved", "closed", "waiting for customer"):
            case.due_at = now + timedelta(hours=(i - 3))
            case.due_sort = case.due_at
        else:
            case.due_sort = NEVER
        assert case.number is not None
        numbers.append(case.number)
    s.commit()
    return numbers


def test_views_counts_and_due_sort(engine: Engine) -> None:
    now = utcnow()
    with unit_of_work(engine) as s:
        numbers = fill(s)
        unresolved = [i for i in range(24) if i % 6 < 4]

        def shown(f: InboxFilter) -> list[str]:
            return [r.number for r in s.inbox.page(f, now).rows]

        def due_order(ids: list[int]) -> list[str]:
            # due time, then id; cases owing nothing (NEVER) last
            waiting = [i for i in ids if i % 6 == 2]
            return [numbers[i] for i in [i for i in ids if i % 6 != 2] + waiting]

        assert shown(InboxFilter(view="unresolved")) == due_order(unresolved)
        assert shown(InboxFilter(view="mine", me=ME)) == due_order(
            [i for i in unresolved if i % 3 == 0])
        assert shown(InboxFilter(view="unassigned")) == due_order(
            [i for i in unresolved if i % 3 == 2])
        assert shown(InboxFilter(view="overdue")) == [numbers[i] for i in (0, 1)]
        assert shown(InboxFilter(view="all")) == numbers[::-1]
        assert shown(InboxFilter(view="unresolved", sort="oldest")) == [
            numbers[i] for i in unresolved]
        counts = s.inbox.counts(ME, now)
        assert counts == {"mine": len([i for i in unresolved if i % 3 == 0]),
                          "unassigned": len([i for i in unresolved if i % 3 == 2]),
                          "unresolved": 16, "overdue": 2, "all": 24}
        assert s.inbox.counts(ME, now, cap=10)["all"] == 11  # shown as "10+"
        # several statuses at once; unresolved ones sort by due time by default
        two = InboxFilter(view="all", statuses=("open", "customer replied"))
        assert shown(two) == [numbers[i] for i in range(24) if i % 6 in (0, 3)]
        with_done = InboxFilter(view="all", statuses=("open", "closed"))
        assert with_done.order == "newest"
        assert shown(with_done) == [numbers[i] for i in range(23, -1, -1) if i % 6 in (0, 5)]
        assert shown(InboxFilter(view="mine", me=ME, severity="High")) == due_order(
            [i for i in unresolved if i % 3 == 0 and i % 2])
        assert shown(InboxFilter(view="unassigned", severity="High")) == due_order(
            [i for i in unresolved if i % 3 == 2 and i % 2])


def test_pages_both_ways_keep_the_filter(engine: Engine) -> None:
    now = utcnow()
    with unit_of_work(engine) as s:
        numbers = fill(s, 40)
        for f in (InboxFilter(view="unresolved"), InboxFilter(view="all"),
                  InboxFilter(view="all", sort="oldest", severity="Low"),
                  InboxFilter(view="all", statuses=("open", "in progress")),
                  InboxFilter(view="all", q="agent", sort="oldest")):
            everything = [r.number for r in s.inbox.page(f, now, size=100).rows]
            assert len(everything) > 7
            pages = [s.inbox.page(f, now, size=3)]
            assert pages[0].previous is None
            while pages[-1].next is not None:
                pages.append(s.inbox.page(f, now, after=pages[-1].next, size=3))
            assert [r.number for p in pages for r in p.rows] == everything, f
            # and back from the last page to the first, through the cursors text round-trip
            back = pages[-1]
            walked = [r.number for r in back.rows]
            while back.previous is not None:
                cursor = Cursor.parse(back.previous.text())
                back = s.inbox.page(f, now, before=cursor, size=3)
                walked = [r.number for r in back.rows] + walked
            assert walked == everything, f
            assert [r.number for r in back.rows] == everything[:3]
        assert len(numbers) == 40


def test_every_kind_of_search(engine: Engine) -> None:
    now = utcnow()
    with unit_of_work(engine) as s:
        numbers = fill(s)
        ref = s.cases.by_number(numbers[9])
        assert ref is not None
        assert ref.reference_id

        def found(q: str, **kw: Any) -> list[str]:
            return [r.number for r in s.inbox.page(InboxFilter(q=q, **kw), now).rows]

        assert found(numbers[5]) == [numbers[5]]  # the whole number
        assert found(numbers[5][-4:]) == [numbers[5]]  # its last digits
        assert found(numbers[5][-3:]) == [numbers[5]]
        assert found(numbers[5][:4]) == []  # not its first digits
        assert found("person1@globex.example") == [numbers[i] for i in (22, 16, 10, 4)]
        assert found("Acme") == numbers[1::2][::-1]  # the account's name
        assert found("acme widgets") == numbers[1::2][::-1]
        assert found(ref.reference_id) == [numbers[9]]
        assert found(ref.reference_id.lower()) == [numbers[9]]
        assert found("zanzibar") == [numbers[7]]  # a description word
        assert found("problem 13") == [numbers[13]]  # subject words, all of them
        assert found("problem 13 zanzibar") == []
        # combined with the views: case 7 is in progress and the other operator's
        assert found("Zanzibar", view="unresolved") == [numbers[7]]
        assert found("zanzibar", view="mine", me=ME) == []
        assert found("zanzibar", view="all", statuses=("in progress",)) == [numbers[7]]
        assert found("!!!") == []
        assert s.search.ids("zanzibar") == [s.cases.by_number(numbers[7]).id]  # type: ignore[union-attr]


def test_assign_is_audited_and_shown_in_mine(engine: Engine) -> None:
    now = utcnow()
    with unit_of_work(engine) as s:
        numbers = fill(s, 6)
        case = s.cases.by_number(numbers[1])
        assert case is not None
        assert assign(s, case, ME, actor=f"web:{OTHER}")
    with unit_of_work(engine) as s:
        mine = [r.number for r in s.inbox.page(InboxFilter(view="mine", me=ME), now).rows]
        assert numbers[1] in mine
        rows = [(a.actor, a.action, a.subject, a.detail) for a in s.audit.recent()]
        assert (f"web:{OTHER}", "case_assign", f"case:{numbers[1]}", ME) in rows


def test_the_upgrade_indexes_the_cases_already_stored(db_url: str) -> None:
    from alembic import command

    from store.db import alembic_config, make_engine, upgrade

    engine = make_engine(db_url)
    cfg = alembic_config(db_url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0011")
    json = "'{\"description\": \"Queue stalls near Zanzibar\"}'"
    with engine.begin() as conn:
        for sql in (
            "INSERT INTO accounts (id, name, domain, created_at) "
            "VALUES (1, 'Initech', 'initech.example', CURRENT_TIMESTAMP)",
            "INSERT INTO contacts (id, account_id, email, name, case_recipients, created_at) "
            "VALUES (1, 1, 'peter@initech.example', '', '[]', CURRENT_TIMESTAMP)",
            "INSERT INTO cases (id, number, reference_id, idempotency_key, contact_id, channel, "
            "status, subject, details, created_at, updated_at) VALUES (7, '10000007', "
            f"'TR-261101-AB12CD', 'k7', 1, 'console', 'open', 'TPS reports', {json}, "
            "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"):
            conn.exec_driver_sql(sql)
    upgrade(engine)
    with unit_of_work(engine, read_only=True) as s:
        for q in ("10000007", "0007", "peter@initech.example", "Initech", "TR-261101-AB12CD",
                  "tps reports", "zanzibar"):
            assert s.search.ids(q) == [7], q
        assert s.search.ids("lumbergh") == []
    engine.dispose()
