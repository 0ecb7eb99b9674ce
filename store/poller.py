"""One holder at a time across every machine sharing a database: the Telegram poller's lock.

Telegram hands a bot's updates to one `getUpdates` caller: two pollers steal each other's
updates and both get 409 Conflict. `hold(engine, name)` takes a lock named `name` for as long
as the returned `Held` is open, or raises `Taken` saying who has it:

- PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) on a connection of its
  own, outside the pool, for the life of the process. It dies with the connection, so a
  process killed with SIGKILL (or a machine whose connection the server drops) frees it
  without a lease to expire. Whoever holds it is read back from `pg_locks` and
  `pg_stat_activity`: the holder names itself in its `application_name` ("casebot pid=1234
  host=a"), and the server knows since when. Through PgBouncer's transaction mode a session
  lock would stay on a server connection that other clients then use: the lock needs the
  direct URL (CASEBOT_DATABASE_DIRECT_URL) there. A connection the server drops (a restart)
  takes the lock with it: `watch` looks every 15 s and says so, and the poller stops.
- SQLite (one machine): an exclusive `flock` on a file beside the database, which the kernel
  frees when the process ends however it ends; the file holds who took it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy.engine import Engine

from store.db import direct_url, libpq_dsn

LABEL = re.compile(r"^casebot pid=(\d+) host=(\S*)")
WATCH_EVERY = 15.0  # seconds between looks at the lock's connection


@dataclass(frozen=True)
class Holder:
    """Who holds a lock, as far as can be known (None: not visible, e.g. another user's
    session on PostgreSQL)."""

    pid: int | None = None
    host: str | None = None
    since: datetime | None = None


class Taken(Exception):
    """The lock is held by someone else."""

    def __init__(self, holder: Holder) -> None:
        super().__init__("taken")
        self.holder = holder


class NeedsDirectConnection(ValueError):
    """A session lock cannot be held through a transaction pooler."""


class Held(Protocol):
    def release(self) -> None: ...

    def watch(self, on_lost: Callable[[], None], every: float = WATCH_EVERY) -> None: ...


def lock_key(name: str) -> int:
    """The advisory lock's bigint key of `name` (stable across processes and versions)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def me() -> Holder:
    return Holder(os.getpid(), socket.gethostname(), datetime.now(UTC))


def hold(engine: Engine, name: str) -> Held:
    """Take the lock `name` until `.release()` (or the process's end); raise `Taken`."""
    if engine.dialect.name == "postgresql":
        url = direct_url(engine)
        if url is None:
            raise NeedsDirectConnection(
                "This needs a direct database connection, not one through PgBouncer: set "
                "CASEBOT_DATABASE_DIRECT_URL (e.g. postgresql+psycopg://casebot@db:5432/casebot).")
        return _AdvisoryLock(libpq_dsn(url), name)
    database = engine.url.database
    if not database or database == ":memory:":
        return _Nothing()  # a private in-memory database: nobody else can share it
    return _FileLock(Path(f"{database}.{re.sub(r'[^A-Za-z0-9_-]', '_', name)}.lock"))


class _Nothing:
    def release(self) -> None:
        """Nothing was taken."""

    def watch(self, on_lost: Callable[[], None], every: float = WATCH_EVERY) -> None:
        """Nothing to lose."""


class _AdvisoryLock:
    def __init__(self, dsn: str, name: str) -> None:
        who = me()
        label = f"casebot pid={who.pid} host={who.host}"[:63]
        self.key = lock_key(name)
        self.released = threading.Event()
        self.guard = threading.Lock()
        import psycopg  # PostgreSQL only: an SQLite casebot never loads the driver

        self.conn = psycopg.connect(dsn, autocommit=True, application_name=label,
                                    connect_timeout=10)
        try:
            row = self.conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
            if not (row and row[0]):
                raise Taken(self._holder())
        except BaseException:
            self.conn.close()
            raise

    def _holder(self) -> Holder:
        # a bigint key shows in pg_locks as classid (high 32 bits), objid (low), objsubid 1
        high, low = (self.key >> 32) & 0xFFFFFFFF, self.key & 0xFFFFFFFF
        row = self.conn.execute(
            "SELECT a.application_name, a.backend_start FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
            "AND l.classid::bigint = %s AND l.objid::bigint = %s "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            (high, low)).fetchone()
        if row is None:
            return Holder()
        match = LABEL.match(row[0] or "")
        return Holder(int(match[1]) if match else None, match[2] if match else None, row[1])

    def watch(self, on_lost: Callable[[], None], every: float = WATCH_EVERY) -> None:
        """Look at the lock's connection every `every` seconds; if the server dropped it (a
        restart, a network cut), the lock is gone with it: call `on_lost` once."""
        import psycopg

        def look() -> None:
            while not self.released.wait(every):
                try:
                    with self.guard:
                        self.conn.execute("SELECT 1")
                except psycopg.Error:
                    if not self.released.is_set():
                        on_lost()
                    return

        threading.Thread(target=look, name="casebot-poller-lock", daemon=True).start()

    def release(self) -> None:
        import psycopg

        self.released.set()
        with self.guard, contextlib.suppress(psycopg.Error):
            self.conn.close()  # the session ends: the server frees its advisory locks


class _FileLock:
    def __init__(self, path: Path) -> None:
        self.file: IO[str] = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (held open)
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = self._holder()
            self.file.close()
            raise Taken(holder) from None
        who = me()
        self.file.seek(0)
        self.file.truncate()
        self.file.write(json.dumps({"pid": who.pid, "host": who.host,
                                    "since": who.since.isoformat() if who.since else None}))
        self.file.flush()

    def _holder(self) -> Holder:
        self.file.seek(0)
        try:
            data = json.loads(self.file.read() or "{}")
            since = data.get("since")
            return Holder(data.get("pid"), data.get("host"),
                          datetime.fromisoformat(since) if since else None)
        except (ValueError, AttributeError):  # being written just now
            return Holder()

    def watch(self, on_lost: Callable[[], None], every: float = WATCH_EVERY) -> None:
        """A file lock lasts as long as the process: nothing to watch."""

    def release(self) -> None:
        with contextlib.suppress(OSError):
            fcntl.flock(self.file, fcntl.LOCK_UN)
        self.file.close()
