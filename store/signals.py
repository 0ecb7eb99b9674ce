"""Wake-ups between processes: "a chat notice was queued" reaches the chat processes at once.

An operator's reply is written by the web console or the CLI, and sent by whichever Slack or
Telegram process claims it (bot/notices.py). Polling alone makes the customer wait up to a
whole interval; on PostgreSQL the writer also sends `NOTIFY casebot_notices` (delivered when
its transaction commits, never for a rolled-back one) and each chat process waits on `LISTEN`,
so a reply goes out within milliseconds. Polling stays as the safety net: a wake-up is a hint,
the table is the truth (a missed NOTIFY costs one poll interval, nothing more). SQLite has no
such channel; there the chat processes poll more often instead (the query is one indexed read
of a local file).

LISTEN needs a session of its own, which PgBouncer's transaction mode does not give: behind
it the listener connects to CASEBOT_DATABASE_DIRECT_URL, and without one it polls (as on
SQLite) and says so once in the log.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from store.db import direct_url, libpq_dsn

if TYPE_CHECKING:  # PostgreSQL only: an SQLite casebot never loads the driver
    import psycopg

log = logging.getLogger(__name__)

TOPIC = "casebot_notices"
POLL_WITH_LISTEN = 5.0  # seconds between polls when NOTIFY wakes us (the safety net)
POLL_WITHOUT = 0.5  # seconds between polls on SQLite


def announce(conn: Connection, channel: str) -> None:
    """Tell the chat processes of `channel` that a notice waits (on commit; PostgreSQL only)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_notify(:topic, :channel)"),
                     {"topic": TOPIC, "channel": channel})


class NoticeListener:
    """Waits until a notice may be waiting: a NOTIFY on PostgreSQL, else the poll interval.

    One per polling loop (its own connection, outside the pool: a LISTEN must stay on one
    session). A lost connection is reopened on the next wait; until then it polls.
    """

    def __init__(self, engine: Engine) -> None:
        url = direct_url(engine)
        self.url = url or engine.url
        self.listens = engine.dialect.name == "postgresql" and url is not None
        if engine.dialect.name == "postgresql" and url is None:
            log.info("notices are polled every %.1f s: LISTEN does not work through a "
                     "transaction pooler; set CASEBOT_DATABASE_DIRECT_URL to be woken at once",
                     POLL_WITHOUT)
        self.conn: psycopg.Connection[tuple[object, ...]] | None = None
        self.lock = threading.Lock()

    @property
    def interval(self) -> float:
        return POLL_WITH_LISTEN if self.listens else POLL_WITHOUT

    def wait(self, timeout: float | None = None) -> bool:
        """Block until woken (True) or `timeout` (default: the poll interval) passes."""
        timeout = self.interval if timeout is None else timeout
        if not self.listens:
            time.sleep(timeout)
            return False
        import psycopg

        with self.lock:
            try:
                conn = self._connection()
                return any(True for _ in conn.notifies(timeout=timeout, stop_after=1))
            except psycopg.Error as exc:
                log.warning("notice wake-ups lost (%s); polling until reconnected",
                            type(exc).__name__)
                self.close()
        time.sleep(min(timeout, POLL_WITHOUT))
        return False

    def _connection(self) -> psycopg.Connection[tuple[object, ...]]:
        import psycopg

        if self.conn is None or self.conn.closed:
            self.conn = psycopg.connect(libpq_dsn(self.url), autocommit=True)
            self.conn.execute(f"LISTEN {TOPIC}")
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            import psycopg

            with contextlib.suppress(psycopg.Error):
                self.conn.close()
            self.conn = None
