"""Limit locks: make a limit's check and its count one step for concurrent requests.

A limit that counts rows ("at most 5 wrong guesses", "5 refused sign-ins in 15 minutes") and
then writes one more lets concurrent requests all read the same count and all pass. `hold`
takes a row lock first and keeps it until the unit of work ends, so the next request waiting
for it counts what this one wrote:
- PostgreSQL: INSERT … ON CONFLICT DO UPDATE locks the row (made on first use); waiters queue
  on it, and under READ COMMITTED each statement after it sees what the holder committed.
- SQLite: the same statement is the unit's first write, which takes the database's write lock
  (one writer at a time) and starts a transaction reading the newest data.
Hold it before reading the counts, and only for work that takes milliseconds.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from store.db import table_of
from store.repositories.base import Repository
from store.tables import LimitLock, utcnow

_locks = table_of(LimitLock)


class LimitLocks(Repository):
    def hold(self, name: str) -> None:
        """Wait for the lock called `name`, then hold it until the unit commits or rolls back."""
        conn = self.conn
        values = {"name": name, "taken_at": utcnow()}
        stmt: sa.Executable
        if conn.dialect.name == "postgresql":
            pg = pg_insert(_locks).values(**values)
            stmt = pg.on_conflict_do_update(index_elements=["name"],
                                            set_={"taken_at": pg.excluded.taken_at})
        else:  # SQLite, the other database casebot runs on
            lite = sqlite_insert(_locks).values(**values)
            stmt = lite.on_conflict_do_update(index_elements=["name"],
                                              set_={"taken_at": lite.excluded.taken_at})
        conn.execute(stmt)
