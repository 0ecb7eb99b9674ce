"""Store outages are real here: PostgreSQL refusing connections, SQLite locked by another writer.

The user gets the short "try again" prompt (Prompt.retry) within a bounded time, nothing of
the refused event is saved, and the same service works again once the database is back.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import select

from bot.app import build_service
from bot.protocol import Who
from bot.service import Service
from bot.settings import Settings
from flows.model import Inbound, Prompt
from store.db import make_engine, upgrade
from store.tables import Case, OutboxMail, ProcessedEvent
from store.uow import unit_of_work
from tests.conftest import PG_URL

WHO = Who("console", "ann@acme.example", email="ann@acme.example")
# no profile yet: the request opens the profile form at once (its one OS is then filled in)
PROFILE = ["HQ", "Apex One", "2019", "1", "done", "AB-CD12-EFGH3-IJKL4-MNOP5-QRST6-UVWX7",
           "done", "1"]
TO_SUBJECT = ["1"]  # the issue: Product Issues
TO_REVIEW = [*TO_SUBJECT, "Subject line", "Some description", "1"]


def say(service: Service, text: str, delivery_id: str | None = None) -> list[Prompt]:
    return service.handle(WHO, Inbound.from_text(text), delivery_id=delivery_id)


def is_retry(prompts: list[Prompt]) -> bool:
    return len(prompts) == 1 and prompts[0].kind == "info" and prompts[0].retry is True


def where(engine: Engine) -> tuple[str | None, int | None]:
    with unit_of_work(engine) as s:
        found = s.conversations.load_for_identity(WHO.channel, WHO.external_id)
        conv = found[1] if found else None
        return (conv.state, conv.version) if conv else (None, None)


def counts(engine: Engine) -> tuple[int, int, int]:
    with unit_of_work(engine) as s:
        return tuple(s.session.exec(select(sa.func.count()).select_from(t)).one()  # type: ignore[return-value]
                     for t in (Case, OutboxMail, ProcessedEvent))


def ready(service: Service, steps: list[str]) -> None:
    service.handle(WHO, Inbound(kind="command", command="where"), auto_start=True)
    for text in steps:
        prompts = say(service, text)
        assert not any(p.error for p in prompts), (text, prompts)


# -- PostgreSQL -------------------------------------------------------------------------------

# the service, an AUTOCOMMIT engine on the server, the test database's name and its URL
PgOutage = tuple[Service, Engine, str, str]


def _allow(admin: Engine, name: str, allowed: bool) -> None:
    with admin.connect() as conn:
        conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}'))
        if not allowed:
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})


@pytest.fixture
def pg(pg_url: str, tmp_path: Path) -> Iterator[PgOutage]:
    engine = make_engine(pg_url)
    upgrade(engine)
    service = build_service(Settings(home=tmp_path / "home", database_url=pg_url), engine)
    assert PG_URL is not None  # pg_url is only there when it is set
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = sa.engine.make_url(pg_url).database
    assert name is not None
    yield service, admin, name, pg_url
    _allow(admin, name, True)
    admin.dispose()
    engine.dispose()


@pytest.mark.serial
def test_postgres_down_asks_to_try_again_and_recovers_by_itself(pg: PgOutage) -> None:
    service, admin, name, _ = pg
    ready(service, PROFILE + TO_SUBJECT)
    before, before_counts = where(service.engine), counts(service.engine)

    _allow(admin, name, False)
    started = time.monotonic()
    assert is_retry(say(service, "Subject line", "tg:update:1"))
    assert is_retry(say(service, "Subject line", "tg:update:1"))
    assert time.monotonic() - started < 5

    _allow(admin, name, True)
    assert where(service.engine) == before
    assert counts(service.engine) == before_counts
    prompts = say(service, "Subject line", "tg:update:1")  # the platform's redelivery
    assert prompts, prompts
    assert prompts[-1].step == "description", prompts
    assert say(service, "Subject line", "tg:update:1") == []  # and only once
    assert where(service.engine)[0] == "description"


def test_postgres_lost_in_the_middle_of_a_submit_leaves_no_half_case(pg: PgOutage) -> None:
    service, admin, name, pg_url = pg
    ready(service, PROFILE + TO_REVIEW)
    assert where(service.engine)[0] == "review"

    holder = sa.create_engine(pg_url).connect()
    holder.execute(sa.text("LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE"))
    result: list[list[Prompt]] = []
    submit = threading.Thread(target=lambda: result.append(say(service, "1", "slack:ev:9")))
    submit.start()
    blocked: list[int] = []
    deadline = time.monotonic() + 10
    while not blocked and time.monotonic() < deadline:  # the case row is written, mail waits
        with admin.connect() as conn:
            blocked = list(conn.execute(sa.text(
                "SELECT pid FROM pg_stat_activity WHERE datname = :n AND wait_event_type = "
                "'Lock'"), {"n": name}).scalars())
        time.sleep(0.05)
    assert blocked, "the submit never reached the outbox"
    _allow(admin, name, False)  # the database goes away mid-transaction
    submit.join(10)
    with contextlib.suppress(sa.exc.DBAPIError):  # its backend was terminated as well
        holder.close()
    assert result, result
    assert is_retry(result[0]), result

    _allow(admin, name, True)
    assert where(service.engine)[0] == "review"
    assert counts(service.engine)[:2] == (0, 0)
    prompts = say(service, "1", "slack:ev:9")
    assert prompts[-1].kind == "done", prompts
    assert counts(service.engine)[:2] == (1, 1)


# -- SQLite -----------------------------------------------------------------------------------

@pytest.mark.serial
def test_sqlite_locked_for_long_asks_to_try_again_in_bounded_time(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'casebot.db'}"
    engine = make_engine(url, busy_timeout=0.3)
    upgrade(engine)
    service = build_service(Settings(home=tmp_path / "home", database_url=url), engine)
    ready(service, PROFILE + TO_SUBJECT)
    before, before_counts = where(engine), counts(engine)

    locker = sqlite3.connect(tmp_path / "casebot.db", isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        assert is_retry(say(service, "Subject line", "tg:update:5"))
        elapsed = time.monotonic() - started
        assert 1.0 < elapsed < 4.0, elapsed  # a few backed-off tries, then the prompt
    finally:
        locker.rollback()
        locker.close()
    assert where(engine) == before
    assert counts(engine) == before_counts
    prompts = say(service, "Subject line", "tg:update:5")
    assert prompts, prompts
    assert prompts[-1].step == "description", prompts
    engine.dispose()


def test_sqlite_short_lock_is_waited_out(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'casebot.db'}"
    engine = make_engine(url, busy_timeout=0.2)
    upgrade(engine)
    service = build_service(Settings(home=tmp_path / "home", database_url=url), engine)
    ready(service, PROFILE + TO_SUBJECT)
    locker = sqlite3.connect(tmp_path / "casebot.db", isolation_level=None, check_same_thread=False)
    locker.execute("BEGIN EXCLUSIVE")
    def unlock() -> None:
        locker.rollback()
        locker.close()

    release = threading.Timer(0.6, unlock)
    release.start()
    prompts = say(service, "Subject line")
    release.join()
    assert prompts, prompts
    assert prompts[-1].step == "description", prompts
    engine.dispose()


def test_postgres_down_a_file_is_not_fetched_and_the_user_asked_to_send_it_again(
        pg: PgOutage) -> None:
    """Through the chat API: an upload while the store is away reads nothing, fetches
    nothing, and asks to try again; a read (`Chat.view`) shows nothing rather than fail."""
    from bot.chat import Chat
    from bot.protocol import Fetched, PendingFile

    service, admin, name, _ = pg
    ready(service, PROFILE + TO_SUBJECT)
    chat = Chat(service)
    fetched: list[tuple[PendingFile, ...]] = []

    def fetch(who: Who, pending: tuple[PendingFile, ...]) -> Fetched:
        fetched.append(pending)
        return [], []

    _allow(admin, name, False)
    reply = chat.handle(WHO, Inbound(kind="file", pending_files=(PendingFile("F1", "a.log"),)),
                        delivery_id="tg:update:2", fetch=fetch)
    assert is_retry(reply.prompts)
    assert fetched == []
    view = chat.view(WHO)
    assert not view.linked
    assert view.question is None
    _allow(admin, name, True)
    assert chat.view(WHO).question is not None
