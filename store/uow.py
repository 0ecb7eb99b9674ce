"""The unit of work: one database transaction per event, committed in one place.

Repository functions (store/repo.py, bot/notices.py) take the session and never commit; the
caller opens `unit_of_work(engine)` around one event's work. Leaving the block normally
commits; an exception rolls everything back, so nothing is half-saved.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine
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
