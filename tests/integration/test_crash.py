"""Workers SIGKILLed at random moments and restarted: nothing lost, doubled or half written."""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import pytest

from bot.app import build_service
from bot.settings import Settings
from store.db import make_engine, upgrade
from tests.integration import workload

N = 200
WORKERS = 4


@pytest.mark.timeout(200)
def test_killed_workers_resume_where_each_conversation_stood(pg_url: str, tmp_path: Path) -> None:
    engine = make_engine(pg_url)
    upgrade(engine)
    home = tmp_path / "home"
    service = build_service(Settings(home=home, database_url=pg_url), engine)
    sample = service.files.put_bytes(b"agent log line\n" * 10, "agent.log")
    reference = build_service(Settings(home=tmp_path / "ref"))
    expected = workload.expected_steps(reference, sample)
    reference.engine.dispose()
    feeds, distinct = workload.write_feeds(tmp_path, N, WORKERS, sample, seed=11)

    rng = random.Random(5)
    procs = [workload.start_worker(f, pg_url, home) for f in feeds]
    kills = 0
    for round_ in range(14):
        time.sleep(rng.uniform(0.3, 1.5))
        if all(p.poll() is not None for p in procs):
            break
        if round_ == 7:
            # everything dies at once: check each conversation stands where its events led
            for p in procs:
                os.kill(p.pid, signal.SIGKILL)
            for p in procs:
                p.wait()
            kills += len(procs)
            finished = workload.check_progress(engine, N, expected)
            assert finished < N, "the crash came too late to test anything"
            procs = [workload.start_worker(f, pg_url, home) for f in feeds]
            continue
        w = rng.randrange(WORKERS)
        if procs[w].poll() is None:
            os.kill(procs[w].pid, signal.SIGKILL)
            procs[w].wait()
            kills += 1
        procs[w] = workload.start_worker(feeds[w], pg_url, home)
    assert kills >= 8
    workload.wait_all(procs, timeout=150)
    assert workload.check_progress(engine, N, expected) == N
    workload.check_final(engine, N, distinct)
    engine.dispose()
