"""Database engines and schema migrations.

SQLite is the embedded default: WAL mode so readers never wait for the writer, a busy timeout
so two processes queue instead of failing, foreign keys on. PostgreSQL (psycopg 3) serves
several workers. Either way the schema comes from alembic.

Behind PgBouncer in transaction mode (`pooler="pgbouncer"`) consecutive transactions of one
client connection may run on different server connections, so psycopg must not prepare
statements on the server (`prepare_threshold=None`: a statement prepared on one server
connection is unknown on the next, "prepared statement "_pg3_0" does not exist"), and what
lives on a session (LISTEN, advisory session locks) must use a direct connection instead:
`direct_url(engine)` is the URL for those, None when only the pooled one is known.
"""

from __future__ import annotations

import functools
import os
import re
import sqlite3
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
Pooler = Literal["none", "pgbouncer"]

# engine -> the URL of a direct (unpooled) connection to its database, None when unknown
_DIRECT: weakref.WeakKeyDictionary[Engine, sa.URL | None] = weakref.WeakKeyDictionary()


def table_of(model: type) -> sa.Table:
    """The Core table of a SQLModel class (`Model.__table__`, which the type stubs don't
    declare), for the hot paths that skip the ORM."""
    table: object = sa.inspect(model).local_table
    assert isinstance(table, sa.Table)
    return table


def make_engine(url: str, *, echo: bool = False, busy_timeout: float = 5.0,
                pooler: Pooler = "none", direct_url: str | None = None) -> Engine:
    """`busy_timeout` (SQLite): how long a writer waits for another's lock before failing.
    Statement parameters (codes, addresses, customer text) never appear in an error's text
    or a log line (`hide_parameters`), only the SQL. `pooler="pgbouncer"`: `url` goes through
    PgBouncer in transaction mode (no server-side prepared statements); `direct_url` reaches
    the same database without it, for LISTEN and session locks."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            private_file(Path(path))
        engine = sa.create_engine(url, echo=echo, hide_parameters=True,
                                  connect_args={"timeout": busy_timeout,
                                                "check_same_thread": False})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    pooled = pooler == "pgbouncer"
    engine = sa.create_engine(url, echo=echo, hide_parameters=True, pool_pre_ping=True,
                              pool_size=10, max_overflow=10,
                              connect_args={"prepare_threshold": None} if pooled else {})
    _DIRECT[engine] = (sa.make_url(direct_url) if direct_url
                       else None if pooled else engine.url)
    return engine


def direct_url(engine: Engine) -> sa.URL | None:
    """Where a session of `engine`'s database can be held (LISTEN, advisory locks): the
    engine's own URL unless it goes through a transaction pooler, then the direct URL given,
    else None. SQLite: its own URL."""
    return _DIRECT.get(engine, engine.url)


def libpq_dsn(url: sa.URL) -> str:
    """A SQLAlchemy PostgreSQL URL as psycopg's own `connect` takes it."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def private_dir(path: Path) -> None:
    """Create `path` (and missing parents) readable by this user only (0700)."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for p in reversed(missing):
        p.mkdir(mode=0o700, exist_ok=True)
        os.chmod(p, 0o700)  # mkdir's mode is cut by the umask; 0700 must hold exactly


def private_file(path: Path) -> None:
    """Create the database file 0600 before SQLite does (its -wal/-shm copy the mode)."""
    private_dir(path.parent)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent). Alembic is imported and its
    scripts read only when a migration is due: most starts find the schema current, and
    alembic with its scripts is a fifth of a `casebot` command's start (bench/startup.py)."""
    if current_revision(engine) == head_revision():
        return
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def current_revision(engine: Engine) -> str | None:
    """The schema's revision as alembic records it; None for a database never migrated."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        found = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        return str(found) if found is not None else None


class NotUpgraded(RuntimeError):
    """The database schema is behind this casebot's migrations."""


_REVISION = re.compile(r"^(down_revision|revision)\b[^=]*=\s*(.+)$", re.MULTILINE)


@functools.cache
def head_revision() -> str | None:
    """The newest migration: the one no other revises. Read from the scripts' own
    `revision`/`down_revision` lines, without importing alembic (a test checks that alembic's
    `ScriptDirectory` agrees)."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for script in MIGRATIONS.joinpath("versions").glob("*.py"):
        for name, value in _REVISION.findall(script.read_text(encoding="utf-8")):
            found = set(re.findall(r"[\"']([^\"']+)[\"']", value))
            (revisions if name == "revision" else revised).update(found)
    heads = revisions - revised
    if len(heads) > 1:
        raise RuntimeError(f"several migration heads: {sorted(heads)}")
    return next(iter(heads), None)


def check_upgraded(engine: Engine) -> None:
    """Raise NotUpgraded unless the schema is at the newest migration (one small query)."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise NotUpgraded(f"The database is at revision {current or 'none'}, this casebot "
                          f"needs {head}: run `casebot db upgrade`.")
