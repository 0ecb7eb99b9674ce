"""Case search on an index, so a search at a million cases costs what it costs at a thousand.

One document per case in `case_search` (migration 0012): its number and the number's last
digits (3 and more, each a token of its own: "the last digits" is an exact token, not a
substring scan), reference id, contact email, account name, subject and description. Words are
runs of letters and digits (`words`), lower-cased, the same on both databases: PostgreSQL keeps a
`tsvector` ('simple' configuration: no stemming, no stop words) behind a GIN index, SQLite an
FTS5 table whose rowid is the case id.

A query is the same words; every one must match (AND), and a term that is several words
("jane@acme.example", "TR-261206-9F2A1C") must match them side by side (a phrase).

What it does not do: words inside text written without spaces (Japanese, Chinese) are one
long token, so only the whole run matches; no stemming ("crash" does not find "crashes"); no
prefix of a word; the first or middle digits of a number. The document is written when the case
is created and when its subject changes (`index`); a contact's or account's later rename is not
re-indexed.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from store.repositories.base import Repository
from store.tables import Account, Case, Contact

WORD = re.compile(r"[^\W_]+")
MIN_SUFFIX = 3  # the fewest last digits of a case number that find it
MAX_DESCRIPTION = 4000  # characters of the description indexed
MAX_TERMS = 8


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def number_tokens(number: str) -> list[str]:
    """The number and its last digits, MIN_SUFFIX and more: "10000123" → "10000123",
    "0000123", ..., "123"."""
    return [number[i:] for i in range(len(number) - MIN_SUFFIX + 1)] if number else []


def document(number: str, reference_id: str, email: str, account: str, subject: str,
             description: str) -> str:
    """A case's searchable text: space-separated words (both databases tokenize it the same)."""
    parts = number_tokens(number)
    for text in (reference_id, email, account, subject, description[:MAX_DESCRIPTION]):
        parts += words(text)
    return " ".join(parts)


def terms(q: str) -> list[list[str]]:
    """The query: each whitespace-separated term as its words (a phrase when several)."""
    found = [w for w in (words(t) for t in q.split()) if w]
    return found[:MAX_TERMS]


def pg_query(q: str) -> str:
    """A `to_tsquery('simple', ...)` text; safe as words hold only letters and digits."""
    return " & ".join("(" + " <-> ".join(t) + ")" for t in terms(q))


def fts5_query(q: str) -> str:
    """An FTS5 MATCH text: each term a quoted phrase (words hold no quotes)."""
    return " AND ".join('"' + " ".join(t) + '"' for t in terms(q))


def _doc_select() -> Any:
    """(case id, the parts of its document) for every case with a number."""
    return (sa.select(Case.id, Case.number, Case.reference_id,  # type: ignore[call-overload]
                      Contact.email, Account.name, Case.subject, Case.details)
            .join(Contact, Contact.id == Case.contact_id)
            .join(Account, Account.id == Contact.account_id))


def doc_of(row: Any) -> str:
    details = row[6] or {}
    return document(row[1] or "", row[2] or "", row[3] or "", row[4] or "", row[5] or "",
                    str(details.get("description") or ""))


def write_docs(conn: sa.Connection, docs: list[tuple[int, str]]) -> None:
    """(Re)write documents: by case id, on either database."""
    if not docs:
        return
    rows = [{"id": i, "doc": d} for i, d in docs]
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(
            "INSERT INTO case_search (case_id, tsv) VALUES (:id, to_tsvector('simple', :doc)) "
            "ON CONFLICT (case_id) DO UPDATE SET tsv = excluded.tsv"), rows)
    else:
        conn.execute(sa.text("DELETE FROM case_search WHERE rowid = :id"), rows)
        conn.execute(sa.text("INSERT INTO case_search (rowid, doc) VALUES (:id, :doc)"), rows)


def backfill(conn: sa.Connection, batch: int = 5000) -> int:
    """Index every case (migration 0012's upgrade), in id order, a batch at a time."""
    last, done = 0, 0
    while True:
        rows = conn.execute(_doc_select().where(Case.id > last)  # type: ignore[operator]
                            .order_by(Case.id).limit(batch)).all()
        if not rows:
            return done
        write_docs(conn, [(r[0], doc_of(r)) for r in rows])
        last, done = rows[-1][0], done + len(rows)


def matching(conn_dialect: str, q: str) -> Any | None:
    """A (case_id) selectable of the cases matching `q`, or None when `q` has no words."""
    if not terms(q):
        return None
    if conn_dialect == "postgresql":
        return sa.text("SELECT case_id FROM case_search "
                       "WHERE tsv @@ to_tsquery('simple', :tsq)").bindparams(
            tsq=pg_query(q)).columns(case_id=sa.Integer)
    return sa.text("SELECT rowid AS case_id FROM case_search WHERE case_search MATCH :m"
                   ).bindparams(m=fts5_query(q)).columns(case_id=sa.Integer)


class Search(Repository):
    def index(self, case: Case) -> None:
        """Write the case's document: call it when a case is created or its subject changes."""
        self.s.flush()
        row = self.conn.execute(_doc_select().where(Case.id == case.id)).first()
        if row is not None:
            write_docs(self.conn, [(row[0], doc_of(row))])

    def ids(self, q: str, limit: int = 50) -> list[int]:
        """The newest `limit` matching case ids (tests and the CLI)."""
        found = matching(self.conn.dialect.name, q)
        if found is None:
            return []
        sub = found.subquery()
        return list(self.conn.execute(sa.select(sub.c.case_id).order_by(
            sub.c.case_id.desc()).limit(limit)).scalars())
