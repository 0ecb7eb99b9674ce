"""Four worker processes on one PostgreSQL, fed interleaved and duplicated events (issue 7)."""

from __future__ import annotations

import time

import pytest

from bot.app import build_service
from bot.settings import Settings
from store.db import make_engine, upgrade
from tests.integration import workload

N = 200
WORKERS = 4


@pytest.mark.timeout(180)
def test_four_workers_make_every_case_once_with_every_answer(pg_url, tmp_path) -> None:
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
