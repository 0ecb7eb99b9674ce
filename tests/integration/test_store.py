"""The store on SQLite and (when configured) PostgreSQL: migrations, concurrency, idempotency."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.app import build_service
from bot.protocol import Who
from bot.settings import Settings
from flows.model import Inbound
from store import repo
from store.db import current_revision, make_engine, upgrade


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


def _head() -> str:
    from alembic.script import ScriptDirectory

    from store.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def test_migrations_reach_head_and_are_idempotent(engine: Engine) -> None:
    assert current_revision(engine) == _head()
    upgrade(engine)
    assert current_revision(engine) == _head()


def test_a_stale_conversation_update_is_refused(engine: Engine) -> None:
    with Session(engine) as s:
        contact = repo.ensure_contact(s, "ann@acme.example")
        repo.insert_conversation(s, repo.saved_id(contact), "intake", "profile", {}, [], "console")
        s.commit()
        cid = repo.saved_id(contact)
    with Session(engine) as a, Session(engine) as b:
        first = repo.load_conversation(a, cid)
        second = repo.load_conversation(b, cid)
        assert first is not None
        assert second is not None
        first.state = "subject"
        repo.update_conversation(a, first)
        a.commit()
        second.state = "severity"
        with pytest.raises(repo.StaleConversation):
            repo.update_conversation(b, second)
    with Session(engine) as s:
        stored = repo.load_conversation(s, cid)
        assert stored is not None
        assert stored.state == "subject"


def test_one_case_per_idempotency_key(engine: Engine) -> None:
    fields = {"subject": "Hello", "attachments": []}
    with Session(engine) as s:
        contact = repo.ensure_contact(s, "ann@acme.example")
        case, created = repo.create_case(s, contact, "draft:abc", "console", fields)
        again, created_again = repo.create_case(s, contact, "draft:abc", "console", fields)
        assert created
        assert not created_again
        assert case.number == again.number


def test_a_delivery_id_is_handled_once(engine: Engine) -> None:
    with Session(engine) as s:
        assert repo.first_delivery(s, "tg:1")
        assert not repo.first_delivery(s, "tg:1")


def test_a_case_through_the_service(db_url: str, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", database_url=db_url)
    engine = make_engine(db_url)
    upgrade(engine)
    service = build_service(settings, engine)
    who = Who("console", "ann@acme.example", email="ann@acme.example")
    answers = ["HQ", "Apex One", "2019", "1", "done",
               "AB-CD12-EFGH3-IJKL4-MNOP5-QRST6-UVWX7", "done", "1",
               "1", "Subject line", "Some description", "1", "1"]
    prompts = service.handle(who, Inbound(kind="command", command="where"), auto_start=True)
    for answer in answers:
        prompts = service.handle(who, Inbound.from_text(answer))
        assert not any(p.error for p in prompts), (answer, prompts)
    done = [p for p in prompts if p.kind == "done"]
    assert done, prompts
    with Session(engine) as s:
        case = repo.case_by_number(s, done[0].data["number"])
        assert case is not None
        data = repo.case_json(s, case)
    assert data["product"] == "Apex One"
    assert data["severity"] == "Low"
    assert data["timeline"][0]["kind"] == "created"
    engine.dispose()
