"""URL ratings imported from feeds, and the web console's feed import jobs."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select

from store.db import table_of
from store.repositories.base import Repository
from store.tables import FeedImport, UrlRating

_ratings = table_of(UrlRating)
_imports = table_of(FeedImport)
_CHUNK = 900  # keys per IN (…): under SQLite's bound-parameter limit
# Both IN lists on the (kind, key) unique index: at most 4 × len(keys) index probes.
_LOOKUP = (sa.select(_ratings.c.kind, _ratings.c.key, _ratings.c.rating, _ratings.c.category,
                     _ratings.c.source)
           .where(_ratings.c.kind.in_(("url", "prefix", "host", "domain")),
                  _ratings.c.key.in_(sa.bindparam("keys", expanding=True))))


class UrlRatings(Repository):
    def existing(self, kind: str,
                 keys: list[str]) -> dict[tuple[str, str], tuple[str, str | None, str]]:
        """(kind, key) -> (rating, category, source) of the entries already stored."""
        out: dict[tuple[str, str], tuple[str, str | None, str]] = {}
        for i in range(0, len(keys), _CHUNK):
            q = sa.select(_ratings.c.kind, _ratings.c.key, _ratings.c.rating,
                          _ratings.c.category, _ratings.c.source).where(
                _ratings.c.kind == kind, _ratings.c.key.in_(keys[i:i + _CHUNK]))
            for r in self.conn.execute(q):
                out[(r.kind, r.key)] = (r.rating, r.category, r.source)
        return out

    def lookup(self, keys: list[str]) -> list[tuple[Any, ...]]:
        """(kind, key, rating, category, source) of the entries under any of `keys`."""
        return [tuple(r) for r in self.conn.execute(_LOOKUP, {"keys": keys})]

    def upsert(self, rows: list[dict[str, Any]]) -> None:
        """Insert or replace entries by (kind, key)."""
        conn = self.conn
        ins = (postgresql.insert(_ratings) if conn.dialect.name == "postgresql"
               else sqlite.insert(_ratings))
        conn.execute(ins.on_conflict_do_update(
            index_elements=["kind", "key"],
            set_={"rating": ins.excluded.rating, "category": ins.excluded.category,
                  "source": ins.excluded.source, "updated_at": ins.excluded.updated_at}), rows)

    def search(self, text: str, limit: int = 100) -> list[UrlRating]:
        """Entries whose key contains `text`, by key."""
        return list(self.s.exec(select(UrlRating)
                                .where(col(UrlRating.key).icontains(text, autoescape=True))
                                .order_by(col(UrlRating.key)).limit(limit)))


class FeedImports(Repository):
    def unfinished(self) -> list[FeedImport]:
        return list(self.s.exec(select(FeedImport).where(col(FeedImport.finished).is_(False))))

    def get(self, job_id: str) -> FeedImport | None:
        return self.s.get(FeedImport, job_id)

    def start(self, row: FeedImport, keep: int) -> None:
        """Add `row`, keeping only the `keep` newest imports before it."""
        newest = (sa.select(_imports.c.id).order_by(_imports.c.started_at.desc()).limit(keep)
                  .scalar_subquery())
        self.conn.execute(sa.delete(_imports).where(_imports.c.id.not_in(newest)))
        self.s.add(row)

    def update(self, job_ids: list[str], values: dict[str, Any]) -> None:
        self.conn.execute(_imports.update().where(_imports.c.id.in_(job_ids)).values(**values))
