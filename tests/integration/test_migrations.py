"""The migrated schema is the one the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import store.tables  # noqa: F401  (registers the tables)
from store.db import make_engine, upgrade


def test_cases_are_indexed_by_contact_then_id_and_models_match(db_url) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    indexes = {i["name"]: i["column_names"] for i in sa.inspect(engine).get_indexes("cases")}
    assert indexes["ix_cases_contact_id_id"] == ["contact_id", "id"]
    assert "ix_cases_contact_id" not in indexes
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert [d for d in diff if "cases" in repr(d)] == []
    engine.dispose()
