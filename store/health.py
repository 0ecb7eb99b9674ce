"""Readiness: can this process serve? Its database answers, and its schema is the one this
casebot was written for (`/readyz`; `/healthz` only says the process is up and asks nothing).

A load balancer asks every few seconds from several places at once, and a database that does
not answer can hold a connection attempt for minutes: one check runs at a time (callers in the
meantime wait for that one's answer), each caller waits at most `timeout`, and a check still
running after that is left to finish on its own thread while the caller is told "not ready".
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from store.db import head_revision

TIMEOUT = 2.0  # seconds a readiness probe waits for the database


class Readiness:
    """`check()`: None when ready, else one line saying why not (no secrets: no URL, no
    exception text, only its kind)."""

    def __init__(self, engine: Engine, timeout: float = TIMEOUT) -> None:
        self.engine = engine
        self.timeout = timeout
        self._lock = threading.Lock()
        self._running: Future[str | None] | None = None

    def check(self) -> str | None:
        with self._lock:
            running = self._running
            if running is None or running.done():
                running = self._running = Future()
                threading.Thread(target=self._probe, args=(running,), name="casebot-readyz",
                                 daemon=True).start()
        try:
            return running.result(self.timeout)
        except FutureTimeout:
            return f"the database did not answer within {self.timeout:g} s"

    def _probe(self, answer: Future[str | None]) -> None:
        try:
            answer.set_result(self._why_not())
        except Exception as exc:  # whatever the driver raised: the database cannot be used
            answer.set_result(f"the database cannot be reached ({type(exc).__name__})")

    def _why_not(self) -> str | None:
        with self.engine.connect() as conn:
            try:
                current = conn.execute(sa.text("SELECT version_num FROM alembic_version")
                                       ).scalar()
            except sa.exc.ProgrammingError:
                current = None
            except sa.exc.OperationalError as exc:
                if "no such table" not in str(exc.orig):  # SQLite's missing table
                    raise
                current = None
        head = head_revision()
        if current != head:
            return (f"the database schema is at {current or 'no revision'}, this casebot needs "
                    f"{head}: run `casebot db upgrade`")
        return None
