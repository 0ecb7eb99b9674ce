"""store/uow.py on SQLite and (when configured) PostgreSQL: the statements a chat step runs
(plain Core on the unit's connection) read and write what the ORM sees, engine events see
them, they share one transaction with the lazily opened ORM session, and a read-only unit
writes nothing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import select

from store.db import make_engine, upgrade
from store.repositories.conversations import ConvRow, StaleConversation
from store.tables import ChatIdentity, Contact, Conversation, ProcessedEvent
from store.uow import ReadOnlyViolation, UnitOfWork, unit_of_work


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url, busy_timeout=0.2)
    upgrade(eng)
    yield eng
    eng.dispose()


def _linked(engine: Engine, email: str = "ann@acme.example") -> tuple[int, ConvRow]:
    with unit_of_work(engine) as uow:
        contact = uow.contacts.ensure(email)
        uow.contacts.link_identity(contact, "slack", "T1:U1", "D1")
        assert contact.id is not None
        conv = uow.conversations.insert(contact.id, "intake", "subject",
                                        {"product": "Deep Security", "n": [1, "ü"]},
                                        [{"flow": "profiles"}], "slack")
        return contact.id, conv


def test_core_rows_match_what_the_orm_reads(engine: Engine) -> None:
    """JSON columns and the joined contact come back as the ORM itself loads them."""
    cid, conv = _linked(engine)
    with unit_of_work(engine, read_only=True) as uow:
        found = uow.conversations.load_for_identity("slack", "T1:U1")
        orm = uow.session.exec(select(Conversation)).one()
    assert found is not None
    contact, loaded = found
    assert loaded == conv
    assert (loaded.id, loaded.answers, loaded.stack, loaded.version) == (
        orm.id, orm.answers, orm.stack, orm.version)
    assert (contact.id, contact.email) == (cid, "ann@acme.example")
    assert loaded.answers == {"product": "Deep Security", "n": [1, "ü"]}
    assert loaded.stack == [{"flow": "profiles"}]


def test_an_update_round_trips_and_bumps_the_version(engine: Engine) -> None:
    cid, conv = _linked(engine)
    conv.state, conv.answers = "severity", {**conv.answers, "subject": "Agent crash"}
    with unit_of_work(engine) as uow:
        uow.conversations.update(conv)
    assert conv.version == 2
    with unit_of_work(engine, read_only=True) as uow:
        assert uow.conversations.load(cid) == conv
        stamp = uow.session.exec(select(Conversation.updated_at)).one()
    assert stamp is not None  # the DateTime bind was processed for the dialect


def test_a_stale_version_is_refused(engine: Engine) -> None:
    _, conv = _linked(engine)
    with unit_of_work(engine) as uow:
        uow.conversations.update(ConvRow(**{**conv.__dict__}))  # another event saved first
    with pytest.raises(StaleConversation), unit_of_work(engine) as uow:
        uow.conversations.update(conv)


def test_a_delivery_id_counts_once_and_its_time_is_stored(engine: Engine) -> None:
    with unit_of_work(engine) as uow:
        assert uow.deliveries.first("slack:E1")
        assert not uow.deliveries.first("slack:E1")
    with unit_of_work(engine, read_only=True) as uow:
        row = uow.session.exec(select(ProcessedEvent)).one()
    assert row.key == "slack:E1"
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - at).total_seconds()) < 60


def test_engine_events_see_every_statement_of_a_step(engine: Engine) -> None:
    """The hot statements run inside SQLAlchemy: echo, tracing and events see them."""
    _, _conv = _linked(engine)
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement.split(None, 1)[0].upper())

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        with unit_of_work(engine) as uow:
            assert uow.deliveries.first("slack:E7")
            found = uow.conversations.load_for_identity("slack", "T1:U1")
            assert found is not None
            assert found[1] is not None
            uow.conversations.update(found[1])
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert seen == ["INSERT", "SELECT", "UPDATE"]


def test_a_busy_sqlite_database_is_an_operational_error(tmp_path: Path) -> None:
    """Service.handle retries `database is locked`; it must see it as SQLAlchemy's."""
    eng = make_engine(f"sqlite:///{tmp_path / 'busy.db'}", busy_timeout=0.1)
    upgrade(eng)
    _linked(eng)
    with eng.connect() as holder:
        holder.exec_driver_sql("BEGIN IMMEDIATE")  # another writer holds the lock
        with unit_of_work(eng) as uow, pytest.raises(sa.exc.OperationalError) as err:
            uow.deliveries.first("slack:E2")
        assert "locked" in str(err.value)
        holder.exec_driver_sql("ROLLBACK")
    eng.dispose()


def test_a_lost_postgresql_connection_is_invalidated(pg_url: str) -> None:
    eng = make_engine(pg_url)
    upgrade(eng)
    _linked(eng)
    admin = sa.create_engine(pg_url, poolclass=sa.pool.NullPool)
    with pytest.raises(sa.exc.DBAPIError) as err, unit_of_work(eng) as uow:  # noqa: PT012 - the whole unit is under test
        pid = uow.conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with admin.connect() as other:  # the server ends that connection under us
            other.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        uow.conversations.load_for_identity("slack", "T1:U1")
    assert err.value.connection_invalidated
    with unit_of_work(eng) as uow:  # the pool hands out a working connection again
        assert uow.conversations.load_for_identity("slack", "T1:U1") is not None
    admin.dispose()
    eng.dispose()


def test_the_session_is_opened_only_when_used(engine: Engine) -> None:
    _linked(engine)
    with unit_of_work(engine) as uow:
        assert uow.deliveries.first("slack:E3")
        assert uow.conversations.load_for_identity("slack", "T1:U1") is not None
        assert uow._session is None
    with unit_of_work(engine, read_only=True) as uow:
        assert uow.session.get(ProcessedEvent, "slack:E3") is not None


def test_core_and_session_share_one_transaction(engine: Engine) -> None:
    """What the session adds and what Core writes commit together, or not at all; the
    session's pending rows are flushed before a Core statement (autoflush)."""
    cid, _ = _linked(engine)
    with unit_of_work(engine) as uow:
        uow.deliveries.first("slack:E4")
        uow.session.add(ChatIdentity(channel="telegram", external_id="42", contact_id=cid))
        count = uow.conn.execute(sa.select(sa.func.count()).select_from(ChatIdentity))
        assert count.scalar() == 2
    with unit_of_work(engine, read_only=True) as uow:
        assert uow.session.get(ProcessedEvent, "slack:E4") is not None
        assert len(uow.session.exec(select(ChatIdentity)).all()) == 2

    with pytest.raises(RuntimeError), unit_of_work(engine) as uow:  # noqa: PT012 - the whole unit is under test
        uow.deliveries.first("slack:E5")
        contact = uow.contacts.get(cid)
        assert contact is not None
        uow.session.add(Contact(email="bob@acme.example", account_id=contact.account_id))
        raise RuntimeError("the step failed")
    with unit_of_work(engine, read_only=True) as uow:
        assert uow.session.get(ProcessedEvent, "slack:E5") is None
        assert uow.contacts.by_email("bob@acme.example") is None


def test_a_read_only_unit_refuses_to_write(engine: Engine) -> None:
    cid, conv = _linked(engine)
    with pytest.raises(ReadOnlyViolation), unit_of_work(engine, read_only=True) as uow:
        uow.deliveries.first("slack:E6")
    with pytest.raises(ReadOnlyViolation), unit_of_work(engine, read_only=True) as uow:
        uow.conversations.update(conv)
    with pytest.raises(ReadOnlyViolation), unit_of_work(engine, read_only=True) as uow:
        uow.url_checks.remember(cid, ["https://example.com/"])
    with unit_of_work(engine, read_only=True) as uow:  # reads are fine
        assert uow.conversations.load(cid) == conv
        assert uow.session.get(ProcessedEvent, "slack:E6") is None


def test_the_connection_goes_back_to_the_pool(engine: Engine) -> None:
    """Events on many threads, one after another: no connection is kept or leaked."""
    _linked(engine)

    def events() -> None:
        for i in range(20):
            with unit_of_work(engine) as uow:
                uow.deliveries.first(f"{threading.get_ident()}:{i}")
                uow.conversations.load_for_identity("slack", "T1:U1")

    threads = [threading.Thread(target=events) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    pool = engine.pool
    assert isinstance(pool, sa.pool.QueuePool)
    assert pool.checkedout() == 0
    UnitOfWork(engine).close()
    assert pool.checkedout() == 0
