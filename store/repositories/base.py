"""What every repository shares: the transaction of the unit of work it belongs to."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.engine import Connection
from sqlmodel import Session


class Transaction(Protocol):
    """The part of store/uow.UnitOfWork a repository uses (no import of it: no cycle)."""

    @property
    def session(self) -> Session: ...

    @property
    def conn(self) -> Connection: ...


class Repository:
    """A repository never commits: its unit of work does, once, when the event ends."""

    def __init__(self, unit: Transaction) -> None:
        self.unit = unit

    @property
    def s(self) -> Session:
        """The unit's ORM session (opened on first use)."""
        return self.unit.session

    @property
    def conn(self) -> Connection:
        """The unit's connection, for Core statements (pending ORM changes flushed first)."""
        return self.unit.conn
