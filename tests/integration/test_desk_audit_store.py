"""Issue 24 on both databases: a URL Reclassification's ratings applied once even when two
operators press at the same moment, and the audit trail read by actor, action and subject,
newest first, in keyset pages."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.audit import AuditFilter, page
from bot.desk import assign
from bot.reclassify import AlreadyApplied
from bot.service import Service
from bot.updates import update_case
from flows.answers import URL_RECLASS
from store.files import BlobStore
from store.tables import Operator
from store.uow import unit_of_work


@pytest.fixture
def service(engine: Engine, tmp_path: Path) -> Service:
    return Service(engine, BlobStore(tmp_path / "files", 10 * 2**20))


def reclassification(service: Service) -> str:
    with unit_of_work(service.engine) as s:
        ann = s.contacts.ensure("ann@acme.example", "Ann")
        case, _ = s.cases.create(ann, "k:reclass", "console", {
            "subject": "URL reclassification: evil.example.com",
            "issue_category": URL_RECLASS, "issue_type": "Threat Issue",
            "urls": [{"url": "https://evil.example.com/login", "requested_rating": "Dangerous",
                      "requested_category": "Phishing"}]})
        assert case.number is not None
        return case.number


def test_two_presses_at_once_apply_the_ratings_once(service: Service) -> None:
    number = reclassification(service)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def press(who: str) -> None:
        start.wait()
        try:
            update_case(service, number, apply_urls=True, actor=f"web:{who}@support.example")
            outcomes.append("applied")
        except AlreadyApplied as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=press, args=(w,)) for w in ("ana", "ben")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert "applied" in outcomes
    [refused] = [o for o in outcomes if o != "applied"]
    assert refused.startswith("Already applied on ")
    assert refused.endswith((" UTC by ana@support.example.", " UTC by ben@support.example."))
    with unit_of_work(service.engine, read_only=True) as s:
        case = s.cases.by_number(number)
        assert case is not None
        assert case.id is not None
        kinds = [e.kind for e in s.cases.timeline(case.id)]
        assert kinds.count("ratings") == 1
        assert kinds.count("reply") == 1  # the customer is told once
        assert len(s.outbox.of_case(case.id)) == 1
        assert [r.action for r in s.audit.recent(subject=f"case:{number}")] == ["case_update"]


def test_the_trail_by_actor_action_and_subject_in_pages(service: Service) -> None:
    number = reclassification(service)
    with unit_of_work(service.engine) as s:
        s.operators.save(Operator(email="desk@support.example", password_hash="x"))
        for i in range(7):
            s.audit.record("cli:night", "link", f"telegram:{i}", "x@acme.example")
        case = s.cases.by_number(number)
        assert case is not None
        assign(s, case, "desk@support.example", actor="cli:day")
    with unit_of_work(service.engine, read_only=True) as s:
        rows, older = page(s, AuditFilter.of(actor="cli:night"), size=3)
        assert [r.subject for r in rows] == ["telegram:6", "telegram:5", "telegram:4"]
        seen = [r.subject for r in rows]
        while older is not None:
            rows, older = page(s, AuditFilter.of(actor="cli:night"), older, size=3)
            seen += [r.subject for r in rows]
        assert seen == [f"telegram:{i}" for i in range(6, -1, -1)]
        [mine] = page(s, AuditFilter.of(subject=number))[0]  # a bare number: case:NUMBER
        assert (mine.actor, mine.action, mine.detail) == ("cli:day", "case_assign",
                                                          "desk@support.example")
        assert page(s, AuditFilter.of(action="case_assign", actor="cli:night"))[0] == []
