"""The unit of work: one database transaction per event, committed in one place.

Repository functions (store/repo.py, bot/notices.py) take the session (the hot ones also a
bare connection) and never commit; the caller opens `unit_of_work(engine)` around one
event's work (`event_unit` for a chat step). Leaving the block normally commits; an
exception rolls everything back, so nothing is half-saved.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session


@contextmanager
def unit_of_work(engine: Engine, *, read_only: bool = False) -> Iterator[Session]:
    """A session whose work is committed when the block ends (rolled back if `read_only`)."""
    with Session(engine, expire_on_commit=False) as s:
        yield s
        if read_only:
            s.rollback()
        else:
            s.commit()


class EventUnit:
    """One chat event's transaction on one pooled connection, lighter than a `Session`.

    Most events run only `store.fast` statements on `conn`; the ORM session, whose set-up,
    commit and close cost more than those statements on a cold CPU cache (issue 13), is made
    on first use, on the same connection and in the same transaction.
    """

    def __init__(self, engine: Engine) -> None:
        self.conn = engine.connect()
        try:
            self.conn.begin()
        except BaseException:
            self.conn.close()
            raise
        self._session: Session | None = None

    @property
    def db(self) -> Connection:
        """The connection, for `store.fast` statements: the session's pending changes are
        flushed first, as its own queries would (autoflush)."""
        if self._session is not None:
            self._session.flush()
        return self.conn

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = Session(bind=self.conn, expire_on_commit=False,
                                    join_transaction_mode="control_fully")
        return self._session

    def commit(self) -> None:
        if self._session is not None:
            self._session.commit()  # flushes, then commits the connection's transaction
        else:
            self.conn.commit()

    def close(self) -> None:
        """Ends the unit; what was not committed is rolled back."""
        try:
            if self._session is not None:
                self._session.close()
        finally:
            self.conn.close()


@contextmanager
def event_unit(engine: Engine, *, read_only: bool = False) -> Iterator[EventUnit]:
    """`unit_of_work` for one chat event: committed when the block ends, rolled back if
    `read_only` or on an exception."""
    unit = EventUnit(engine)
    try:
        yield unit
        if not read_only:
            unit.commit()
    finally:
        unit.close()
