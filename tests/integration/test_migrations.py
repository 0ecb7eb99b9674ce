"""The migrated schema is the one the models describe, on SQLite and PostgreSQL: every table,
column, index and constraint (only slack_sdk's own OAuth tables are described by slack_sdk)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import store.tables  # noqa: F401  (registers the tables)
from store.db import make_engine, upgrade

# Created by migration 0003 for slack_sdk's SQLAlchemy stores, which define them.
SLACK_SDK_TABLES = {"slack_installations", "slack_bots", "slack_oauth_states"}
# The case search index (0012) differs by database (a tsvector table, an FTS5 virtual table
# and its shadow tables): the migration describes it, store/repositories/search.py uses it.
SEARCH = "case_search"
# The job queue's own tables (0014, PostgreSQL only): procrastinate's schema, not our models.
JOB_QUEUE = "procrastinate_"


def _ours(name: str | None, type_: str, parent: dict[str, Any]) -> bool:
    table = name if type_ == "table" else parent.get("table_name")
    return table not in SLACK_SDK_TABLES and not (table or "").startswith((SEARCH, JOB_QUEUE))


def schema_diff(engine: sa.Engine) -> list[Any]:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_name": _ours,
                                                     "compare_type": True})
        diff: list[Any] = compare_metadata(ctx, SQLModel.metadata)
        return diff


def test_every_table_of_the_models_matches_the_migrations(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    tables = set(sa.inspect(engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    assert tables >= SLACK_SDK_TABLES
    indexes = {i["name"]: i["column_names"] for i in sa.inspect(engine).get_indexes("cases")}
    assert indexes["ix_cases_contact_id_id"] == ["contact_id", "id"]
    assert "ix_cases_contact_id" not in indexes
    assert schema_diff(engine) == []
    engine.dispose()


def test_the_comparison_sees_a_difference_outside_cases(db_url: str) -> None:
    """A model column no migration created is reported (the check can fail)."""
    engine = make_engine(db_url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE chat_notices ADD COLUMN stray INTEGER"))
    assert any("stray" in repr(d) for d in schema_diff(engine))
    engine.dispose()


def test_the_unresolved_predicate_leaves_out_exactly_the_done_statuses() -> None:
    """Queries spell UNRESOLVED_SQL as the partial indexes of 0012 do; it must say the same
    as DONE_STATUSES, which the Python side checks."""
    from store.tables import DONE_STATUSES, UNRESOLVED_SQL

    listed = UNRESOLVED_SQL.split("NOT IN (", 1)[1].rstrip(")")
    assert [s.strip(" '") for s in listed.split(",")] == list(DONE_STATUSES)
