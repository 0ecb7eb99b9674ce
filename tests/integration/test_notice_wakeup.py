"""A notice queued by another process wakes the chat process at commit (PostgreSQL NOTIFY),
not at its next poll; a rolled-back one wakes nobody; SQLite polls at a short interval."""

from __future__ import annotations

import contextlib
import threading
import time

import pytest
from sqlalchemy import Engine

from store.signals import POLL_WITHOUT, NoticeListener
from store.uow import unit_of_work

pytestmark = pytest.mark.serial  # times rates or latencies: `make test` runs these alone


def test_a_committed_notice_wakes_the_listener_at_once(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no wake-ups: the chat processes poll every "
                    f"{POLL_WITHOUT} s instead")
    listener = NoticeListener(engine)
    assert not listener.wait(0.05)  # LISTEN is in place before anything is queued

    def queue(commit: bool) -> None:
        time.sleep(0.2)
        with contextlib.suppress(LookupError), unit_of_work(engine) as s:
            s.notices.add("slack", "T:U", None, "hello")
            if not commit:
                raise LookupError("rolled back")

    writer = threading.Thread(target=queue, args=(False,))
    writer.start()
    assert not listener.wait(1.0)  # rolled back: no wake-up
    writer.join()
    writer = threading.Thread(target=queue, args=(True,))
    t0 = time.monotonic()
    writer.start()
    assert listener.wait(10.0)
    assert time.monotonic() - t0 < 2.0  # woken at the commit (~0.2 s), not after 10 s
    writer.join()
    listener.close()


def test_sqlite_polls_at_the_short_interval(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL is woken by NOTIFY")
    listener = NoticeListener(engine)
    assert listener.interval == POLL_WITHOUT
    t0 = time.monotonic()
    assert not listener.wait()
    assert POLL_WITHOUT * 0.9 <= time.monotonic() - t0 < POLL_WITHOUT * 4
