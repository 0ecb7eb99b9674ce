"""The store on SQLite and (when configured) PostgreSQL: migrations, concurrency, idempotency."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.app import build_service
from bot.protocol import Who
from bot.settings import Settings
from flows.model import Inbound
from store.db import current_revision, make_engine, upgrade
from store.repositories.conversations import StaleConversation
from store.tables import saved_id
from store.uow import unit_of_work


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


def test_the_head_read_without_alembic_is_alembics_own() -> None:
    from store.db import head_revision

    assert head_revision() == _head()


def test_migrations_reach_head_and_are_idempotent(engine: Engine) -> None:
    assert current_revision(engine) == _head()
    upgrade(engine)
    assert current_revision(engine) == _head()


def test_a_stale_conversation_update_is_refused(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        contact = s.contacts.ensure("ann@acme.example")
        s.conversations.insert(saved_id(contact), "intake", "profile", {}, [], "console")
        s.commit()
        cid = saved_id(contact)
    with unit_of_work(engine) as a, unit_of_work(engine) as b:
        first = a.conversations.load(cid)
        second = b.conversations.load(cid)
        assert first is not None
        assert second is not None
        first.state = "subject"
        a.conversations.update(first)
        a.commit()
        second.state = "severity"
        with pytest.raises(StaleConversation):
            b.conversations.update(second)
    with unit_of_work(engine) as s:
        stored = s.conversations.load(cid)
        assert stored is not None
        assert stored.state == "subject"


def test_one_case_per_idempotency_key(engine: Engine) -> None:
    fields = {"subject": "Hello", "attachments": []}
    with unit_of_work(engine) as s:
        contact = s.contacts.ensure("ann@acme.example")
        case, created = s.cases.create(contact, "draft:abc", "console", fields)
        again, created_again = s.cases.create(contact, "draft:abc", "console", fields)
        assert created
        assert not created_again
        assert case.number == again.number


def test_a_delivery_id_is_handled_once(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        assert s.deliveries.first("tg:1")
        assert not s.deliveries.first("tg:1")


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
    with unit_of_work(engine) as s:
        case = s.cases.by_number(done[0].data["number"])
        assert case is not None
        data = s.cases.as_json(case)
    assert data["product"] == "Apex One"
    assert data["severity"] == "Low"
    assert data["timeline"][0]["kind"] == "created"
    engine.dispose()
