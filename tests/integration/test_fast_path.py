"""store/fast.py and store/uow.EventUnit on SQLite and (when configured) PostgreSQL: the
cursor path reads and writes exactly what SQLAlchemy's own execution does, raises what it
raises, and shares one transaction with the lazily made ORM session."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session, select

from store import fast, repo
from store.db import make_engine, upgrade
from store.tables import ChatIdentity, Contact, ProcessedEvent
from store.uow import EventUnit, event_unit


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url, busy_timeout=0.2)
    upgrade(eng)
    yield eng
    eng.dispose()


def _linked(engine: Engine, email: str = "ann@acme.example") -> tuple[int, repo.ConvRow]:
    with Session(engine) as s:
        contact = repo.ensure_contact(s, email)
        repo.link_identity(s, contact, "slack", "T1:U1", "D1")
        conv = repo.insert_conversation(s, repo.saved_id(contact), "intake", "subject",
                                        {"product": "Deep Security", "n": [1, "ü"]},
                                        [{"flow": "profiles"}], "slack")
        s.commit()
        return repo.saved_id(contact), conv


def test_prepared_rows_match_sqlalchemys_own(engine: Engine) -> None:
    """JSON columns, the joined contact, and `version + 1` binds come back as SQLAlchemy
    itself returns them."""
    cid, _ = _linked(engine)
    stmt = repo._LOAD_BY_IDENTITY.stmt
    assert isinstance(stmt, sa.Executable)
    with engine.connect() as conn:
        ours = repo.load_for_identity(conn, "slack", "T1:U1")
        row = conn.execute(stmt, {"channel": "slack", "external_id": "T1:U1"}).first()
    assert ours is not None
    assert row is not None
    contact, loaded = ours
    assert loaded == repo._conv_row(row[5:])
    assert (contact.id, contact.email) == (cid, "ann@acme.example")
    assert loaded.answers == {"product": "Deep Security", "n": [1, "ü"]}
    assert loaded.stack == [{"flow": "profiles"}]


def test_an_update_round_trips_and_bumps_the_version(engine: Engine) -> None:
    cid, conv = _linked(engine)
    conv.state, conv.answers = "severity", {**conv.answers, "subject": "Agent crash"}
    with engine.begin() as conn:
        repo.update_conversation(conn, conv)
    assert conv.version == 2
    with Session(engine) as s:
        again = repo.load_conversation(s, cid)  # through a Session: the same function
    assert again == conv
    with engine.connect() as conn:
        stamp = conn.execute(sa.text("SELECT updated_at FROM conversations")).scalar_one()
    assert stamp is not None  # the DateTime bind was processed for the dialect


def test_a_delivery_id_counts_once_and_its_time_is_stored(engine: Engine) -> None:
    with engine.begin() as conn:
        assert repo.first_delivery(conn, "slack:E1")
        assert not repo.first_delivery(conn, "slack:E1")
    with Session(engine) as s:
        row = s.exec(select(ProcessedEvent)).one()
    assert row.key == "slack:E1"
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - at).total_seconds()) < 60


def test_a_database_error_is_raised_as_sqlalchemys(engine: Engine) -> None:
    bad = fast.Prepared(sa.text("SELECT no_such_column FROM conversations"))
    with engine.connect() as conn, pytest.raises(sa.exc.DBAPIError) as err:
        fast.execute(conn, bad, {})
    assert isinstance(err.value, (sa.exc.OperationalError, sa.exc.ProgrammingError))
    assert not err.value.connection_invalidated


def test_a_busy_sqlite_database_is_an_operational_error(tmp_path: Path) -> None:
    """Service.handle retries `database is locked`; it must see it as SQLAlchemy's."""
    eng = make_engine(f"sqlite:///{tmp_path / 'busy.db'}", busy_timeout=0.1)
    upgrade(eng)
    _linked(eng)
    with eng.connect() as holder:
        holder.exec_driver_sql("BEGIN IMMEDIATE")  # another writer holds the lock
        with event_unit(eng) as unit, pytest.raises(sa.exc.OperationalError) as err:
            repo.first_delivery(unit.db, "slack:E2")
        assert "locked" in str(err.value)
        holder.exec_driver_sql("ROLLBACK")
    eng.dispose()


def test_a_lost_postgresql_connection_is_invalidated(pg_url: str) -> None:
    eng = make_engine(pg_url)
    upgrade(eng)
    _linked(eng)
    admin = sa.create_engine(pg_url, poolclass=sa.pool.NullPool)
    with eng.connect() as conn:
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with admin.connect() as other:  # the server ends that connection under us
            other.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        with pytest.raises(sa.exc.DBAPIError) as err:
            repo.load_for_identity(conn, "slack", "T1:U1")
    assert err.value.connection_invalidated
    with eng.connect() as conn:  # the pool hands out a working connection again
        assert repo.load_for_identity(conn, "slack", "T1:U1") is not None
    admin.dispose()
    eng.dispose()


def test_the_session_is_made_only_when_used(engine: Engine) -> None:
    _linked(engine)
    with event_unit(engine) as unit:
        assert repo.first_delivery(unit.db, "slack:E3")
        assert repo.load_for_identity(unit.db, "slack", "T1:U1") is not None
        assert unit._session is None
    with Session(engine) as s:
        assert s.get(ProcessedEvent, "slack:E3") is not None


def test_cursor_and_session_share_one_transaction(engine: Engine) -> None:
    """What the session adds and what the cursor writes commit together, or not at all;
    the session's pending rows are flushed before a cursor statement (autoflush)."""
    cid, _ = _linked(engine)
    with event_unit(engine) as unit:
        repo.first_delivery(unit.db, "slack:E4")
        unit.session.add(ChatIdentity(channel="telegram", external_id="42", contact_id=cid))
        found = fast.execute(unit.db, fast.Prepared(
            sa.select(sa.func.count()).select_from(ChatIdentity)), {}).first()
        assert found == (2,)
    with Session(engine) as s:
        assert s.get(ProcessedEvent, "slack:E4") is not None
        assert len(s.exec(select(ChatIdentity)).all()) == 2

    def failing_step() -> None:
        with event_unit(engine) as unit:
            repo.first_delivery(unit.db, "slack:E5")
            contact = unit.session.get(Contact, cid)
            assert contact is not None
            unit.session.add(Contact(email="bob@acme.example", account_id=contact.account_id))
            raise RuntimeError("the step failed")

    with pytest.raises(RuntimeError, match="the step failed"):
        failing_step()
    with Session(engine) as s:
        assert s.get(ProcessedEvent, "slack:E5") is None
        assert s.exec(select(Contact).where(Contact.email == "bob@acme.example")).first() \
            is None


def test_a_read_only_unit_keeps_nothing(engine: Engine) -> None:
    with event_unit(engine, read_only=True) as unit:
        assert repo.first_delivery(unit.db, "slack:E6")
    with Session(engine) as s:
        assert s.get(ProcessedEvent, "slack:E6") is None


def test_the_connection_goes_back_to_the_pool(engine: Engine) -> None:
    """Events on many threads, one after another: no connection is kept or leaked."""
    _linked(engine)

    def events() -> None:
        for i in range(20):
            with event_unit(engine) as unit:
                repo.first_delivery(unit.db, f"{threading.get_ident()}:{i}")
                repo.load_for_identity(unit.db, "slack", "T1:U1")

    threads = [threading.Thread(target=events) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    pool = engine.pool
    assert isinstance(pool, sa.QueuePool)
    assert pool.checkedout() == 0
    unit = EventUnit(engine)
    unit.close()
    assert pool.checkedout() == 0
