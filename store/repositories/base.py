"""What every repository shares: the unit of work it reads and writes through."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection
from sqlmodel import Session

if TYPE_CHECKING:
    from store.uow import UnitOfWork


class Repository:
    """A repository never commits: its unit of work does, once, when the event ends."""

    def __init__(self, unit: UnitOfWork) -> None:
        self.unit = unit

    @property
    def s(self) -> Session:
        """The unit's ORM session (opened on first use)."""
        return self.unit.session

    @property
    def conn(self) -> Connection:
        """The unit's connection, for Core statements (pending ORM changes flushed first)."""
        return self.unit.conn

