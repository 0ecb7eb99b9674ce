"""Issue 22, finding 12: a database error's text (and so a logged traceback) carried the
statement's parameters: verification codes, addresses, customer text. Engines are made with
`hide_parameters=True`, on SQLite and PostgreSQL. (PostgreSQL's own error detail may still
quote a value of the failing row, e.g. for a unique violation: database errors are logged by
their type in the chat layer, never with their text.)"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from store.db import make_engine

SECRET = "code-83749261-alice@acme.example"


def test_a_failed_statement_does_not_show_its_parameters(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with pytest.raises(sa.exc.DBAPIError) as caught, engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO no_such_table (v) VALUES (:v)"), {"v": SECRET})
        text = str(caught.value)
        assert SECRET not in text
        assert "INSERT INTO no_such_table" in text  # the SQL itself still helps
        assert "parameters hidden" in text
    finally:
        engine.dispose()
