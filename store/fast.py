"""The statements every chat event runs, sent straight to the DB-API cursor.

A chat step runs a few tiny statements: its delivery id, its contact and conversation, the
conversation's update, and on most steps of a request the contact's profiles or codes. Timed
inside the chat benchmarks, where every step starts on a cold CPU cache as a real event does,
SQLite needed 0.01-0.08 ms for each, and SQLAlchemy's execution layers around them (execution
context, result object, processors) ~0.15 ms more (docs/benchmarks.md, issue 13). So these
statements are `Prepared` once: compiled per dialect from their Core form, with the dialect's
own bind and result processors, then run on the cursor of the connection the unit of work
already holds: the same SQL in the same transaction, without the per-call machinery. Everything
else keeps using SQLAlchemy as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler

Db = Session | sa.Connection  # how a repository function reaches the current transaction
Processor = Callable[[Any], Any] | None


def connection_of(db: Db) -> sa.Connection:
    return db.connection() if isinstance(db, Session) else db


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...] | None  # positional paramstyles (SQLite's qmark): bind order
    binds: dict[str, Processor]
    defaults: dict[str, Any]  # binds that carry their own value (`version + 1`)
    results: tuple[Processor, ...]

    @staticmethod
    def of(stmt: sa.sql.ClauseElement, dialect: Dialect, keys: Sequence[str]) -> _Compiled:
        compiled = stmt.compile(dialect=dialect, column_keys=list(keys) or None)
        assert isinstance(compiled, SQLCompiler)
        binds: dict[str, Processor] = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect)
            for bind, name in compiled.bind_names.items()}
        defaults = {name: bind.effective_value for bind, name in compiled.bind_names.items()
                    if not bind.required}
        columns: Sequence[Any] = getattr(stmt, "exported_columns", ())  # SELECT, RETURNING
        results = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None)
                        for c in columns)
        names = tuple(compiled.positiontup) if compiled.positiontup is not None else None
        return _Compiled(compiled.string, names, binds, defaults, results)

    def args(self, params: dict[str, Any]) -> Any:
        values = {**self.defaults, **params} if self.defaults else params
        done = {name: (p(v) if (p := self.binds.get(name)) is not None else v)
                for name, v in values.items()}
        return tuple(done[n] for n in self.names) if self.names is not None else done

    def rows(self, rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        if not any(self.results):
            return [tuple(row) for row in rows]
        return [tuple(p(v) if p is not None else v
                      for p, v in zip(self.results, row, strict=True)) for row in rows]


@dataclass
class Result:
    rows: list[tuple[Any, ...]]
    rowcount: int

    def first(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None


class Prepared:
    """A Core statement, compiled once per dialect for `execute`. Define these at module
    level; `keys` names the columns an INSERT without `.values()` sets."""

    def __init__(self, stmt: sa.sql.ClauseElement, keys: Sequence[str] = ()) -> None:
        self.stmt = stmt
        self.keys = tuple(keys)
        self._by_dialect: dict[str, _Compiled] = {}

    def compiled(self, dialect: Dialect) -> _Compiled:
        found = self._by_dialect.get(dialect.name)
        if found is None:  # two threads may both compile it once: the same result
            found = self._by_dialect[dialect.name] = _Compiled.of(self.stmt, dialect, self.keys)
        return found


def execute(db: Db, prepared: Prepared, params: dict[str, Any]) -> Result:
    """`prepared` with `params` in the transaction of `db`, on its DB-API cursor. A database
    error is raised as SQLAlchemy would raise it (`sa.exc.OperationalError`, …); a lost
    connection is invalidated, so the pool does not hand it out again."""
    conn = connection_of(db)
    dialect = conn.dialect
    c = prepared.compiled(dialect)
    args = c.args(params)
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    try:
        cursor.execute(c.sql, args)
        rows = cursor.fetchall() if cursor.description is not None else ()
        count = cursor.rowcount
    except dialect.loaded_dbapi.Error as exc:
        gone = dialect.is_disconnect(exc, dbapi, cursor)
        if gone:
            conn.invalidate(exc)
        raise sa.exc.DBAPIError.instance(c.sql, args, exc, dialect.loaded_dbapi.Error,
                                         connection_invalidated=gone,
                                         dialect=dialect) from exc
    finally:
        cursor.close()
    return Result(c.rows(rows), count)
