"""Four worker processes on one PostgreSQL, fed interleaved and duplicated events (issue 7)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.app import build_service
from bot.settings import Settings
from store.db import make_engine, upgrade
from store.repositories.conversations import StaleConversation
from store.tables import saved_id
from store.uow import UnitOfWork, unit_of_work
from tests.integration import workload

N = 200
WORKERS = 4


@pytest.mark.timeout(180)
def test_four_workers_make_every_case_once_with_every_answer(pg_url: str, tmp_path: Path) -> None:
    engine = make_engine(pg_url)
    upgrade(engine)
    home = tmp_path / "home"
    service = build_service(Settings(home=home, database_url=pg_url), engine)
    sample = service.files.put_bytes(b"agent log line\n" * 10, "agent.log")
    feeds, distinct = workload.write_feeds(tmp_path, N, WORKERS, sample)
    started = time.monotonic()
    procs = [workload.start_worker(f, pg_url, home) for f in feeds]
    workload.wait_all(procs, timeout=150)
    print(f"{N} conversations, {2 * distinct} deliveries: {time.monotonic() - started:.1f} s")
    workload.check_final(engine, N, distinct)
    engine.dispose()


def test_read_committed_race_one_update_wins_the_other_retries(pg_url: str) -> None:
    """Both read version v; the second UPDATE waits for the first's row lock, then sees v+1
    and matches nothing, so it is told to retry from fresh data (never a lost update)."""
    import threading

    engine = make_engine(pg_url)
    upgrade(engine)
    with unit_of_work(engine) as s:
        contact = s.contacts.ensure("ann@acme.example")
        s.conversations.insert(saved_id(contact), "intake", "profile", {}, [], "console")
        s.commit()
        cid = saved_id(contact)
    a, b = UnitOfWork(engine), UnitOfWork(engine)
    first, second = a.conversations.load(cid), b.conversations.load(cid)
    assert first is not None
    assert second is not None
    assert first.version == second.version == 1
    first.state = "subject"
    a.conversations.update(first)  # holds the row lock until commit
    outcome: list[str] = []

    def loser() -> None:
        second.state = "severity"
        try:
            b.conversations.update(second)
            outcome.append("updated")
        except StaleConversation:
            outcome.append("stale")

    t = threading.Thread(target=loser)
    t.start()
    time.sleep(0.3)
    assert not outcome, "the second UPDATE must wait for the first transaction"
    a.commit()
    t.join(5)
    assert outcome == ["stale"]
    b.close()  # rolled back
    a.close()
    with unit_of_work(engine, read_only=True) as c:
        again = c.conversations.load(cid)
    assert again is not None
    assert (again.state, again.version) == ("subject", 2)
    engine.dispose()
