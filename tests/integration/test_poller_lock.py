"""Issue 26: the lock that makes one Telegram poller per bot (store/poller.py), in-process.

(tests/e2e/test_telegram_poller.py runs real processes.) Held by one session, refused to
another with who holds it, free again once released; on PostgreSQL a lock whose connection
the server drops is reported lost, so the poller stops before a second one starts.
"""

from __future__ import annotations

import os
import socket
import threading

import pytest
import sqlalchemy as sa

from store import poller
from store.db import make_engine


def test_one_holder_at_a_time(db_url: str) -> None:
    engine = make_engine(db_url)
    held = poller.hold(engine, "telegram-poller:42")
    with pytest.raises(poller.Taken) as taken:
        poller.hold(engine, "telegram-poller:42")
    assert taken.value.holder.pid == os.getpid()
    assert taken.value.holder.host == socket.gethostname()
    assert taken.value.holder.since is not None
    other = poller.hold(engine, "telegram-poller:43")  # another bot: its own lock
    held.release()
    again = poller.hold(engine, "telegram-poller:42")
    again.release()
    other.release()
    engine.dispose()


def test_a_lock_the_server_drops_is_reported_lost(pg_url: str) -> None:
    engine = make_engine(pg_url)
    held = poller.hold(engine, "telegram-poller:42")
    lost = threading.Event()
    held.watch(lost.set, every=0.1)
    with engine.connect() as conn:  # as a database restart would
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE application_name = :me"),
                     {"me": f"casebot pid={os.getpid()} host={socket.gethostname()}"[:63]})
    assert lost.wait(5)
    poller.hold(engine, "telegram-poller:42").release()  # free for the next poller
    held.release()
    engine.dispose()
