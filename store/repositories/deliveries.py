"""Platform delivery ids already handled, so a redelivered event is dropped."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from store.db import table_of
from store.repositories.base import Repository
from store.tables import ProcessedEvent, utcnow

_processed = table_of(ProcessedEvent)
_RECORD = {
    "sqlite": sqlite_insert(_processed).on_conflict_do_nothing(
        index_elements=["key"]).returning(_processed.c.key),
    "postgresql": pg_insert(_processed).on_conflict_do_nothing(
        index_elements=["key"]).returning(_processed.c.key),
}


class Deliveries(Repository):
    def first(self, key: str) -> bool:
        """Record a platform delivery id; False when it was seen before (a redelivery).

        One INSERT … ON CONFLICT DO NOTHING: on PostgreSQL a concurrent insert of the same id
        waits for the other transaction and then counts as seen, so exactly one event
        proceeds.
        """
        conn = self.conn
        stmt = _RECORD.get(conn.dialect.name)
        if stmt is None:  # another database: the portable, slower way
            if conn.execute(sa.select(_processed.c.key)
                            .where(_processed.c.key == key)).first():
                return False
            conn.execute(_processed.insert().values(key=key, at=utcnow()))
            return True
        # RETURNING, not rowcount: psycopg reports -1 for this statement under SQLAlchemy 2.1
        return conn.execute(stmt, {"key": key, "at": utcnow()}).first() is not None

    def forget(self, older_than: timedelta) -> int:
        cutoff = utcnow() - older_than
        result = self.conn.execute(_processed.delete().where(_processed.c.at < cutoff))
        return result.rowcount or 0
