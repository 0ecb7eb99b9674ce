"""Load URL-rating feeds (CSV or JSON Lines) into the local table, in batches.

Each row names ONE entry and its rating:

- the entry: a column/key `url`, `prefix`, `host` or `domain` (exactly one non-empty), or the
  pair `kind` (url|prefix|host|domain) + `key`;
- `rating`: Safe, Suspicious, Highly Suspicious or Dangerous (any letter case);
- `category` (optional): a catalog category name or its number, e.g. `Phishing` or `75`;
- `source` (optional): where the rating comes from; default `feed:<file name>`.

CSV needs a header row. JSON Lines is one object per line (blank lines are ignored); a JSON
array of objects (`[{…}, {…}]`) works too. The file type comes from the extension (.csv;
.jsonl, .ndjson; .json is an array when it starts with "[") or, failing that, from the first
character; rows are read one at a time, never the file whole (bot/feed_rows.py). A row that
cannot be parsed (a line over 1 MiB, a CSV field over 128 KiB, JSON nested too deeply, broken
quoting) is rejected with its line number, and the import goes on. Keys go through
the one normaliser (`bot.ratings.entry_key`), so what a feed loads is what a look-up finds.
A later row for the same entry wins. Rows are upserted with one `INSERT … ON CONFLICT (kind,
key) DO UPDATE` per batch (SQLite and PostgreSQL), each batch in its own transaction, so a
huge import never holds one giant transaction.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from bot.feed_rows import detect_format, rows_of
from bot.ratings import KINDS, entry_key
from flows.catalog import Catalog, get_catalog
from flows.errors import Invalid
from store.tables import utcnow
from store.uow import UnitOfWork, unit_of_work

BATCH = 5000
MAX_REJECTS_KEPT = 1000


@dataclass
class Report:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejects: list[tuple[int, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return self.added + self.changed + self.unchanged + self.rejected

    def reject(self, line: int, reason: str) -> None:
        self.rejected += 1
        if len(self.rejects) < MAX_REJECTS_KEPT:
            self.rejects.append((line, reason))


Progress = Callable[[int, int, Report], None]  # (bytes read, total bytes, report so far)


@dataclass
class Entry:
    kind: str
    key: str
    rating: str
    category: str | None
    source: str
    line: int


def _entry(text: Callable[[str], str]) -> tuple[str, str]:
    """(kind, value) of the one entry a row names."""
    given = [k for k in KINDS if text(k)]
    if text("kind") or text("key"):
        if given:
            raise Invalid("give either kind+key or one of url/prefix/host/domain, not both")
        kind = text("kind").lower()
        if kind not in KINDS:
            raise Invalid(f"kind {text('kind')[:20]!r} is not url, prefix, host or domain")
        return kind, text("key")
    if len(given) == 1:
        return given[0], text(given[0])
    if not given:
        raise Invalid("no url, prefix, host or domain")
    raise Invalid(f"several entries in one row ({', '.join(given)}); give one per row")


def _rating(rating_text: str, cat: Catalog) -> str:
    ratings = {r.casefold(): r for r in cat.url_ratings if r != "Untested"}
    rating = ratings.get(rating_text.casefold())
    if rating is None:
        raise Invalid(f"rating {rating_text[:40]!r} is not one of " + ", ".join(ratings.values())
                      if rating_text else "no rating")
    return rating


def parse_row(row: dict[str, Any], line: int, default_source: str, cat: Catalog) -> Entry:
    def text(name: str) -> str:
        value = row.get(name)
        return "" if value is None else str(value).strip()

    kind, value = _entry(text)
    try:
        key = entry_key(kind, value)
    except Invalid as exc:
        raise Invalid(f"bad {kind}: {exc}") from None
    rating = _rating(text("rating"), cat)
    category = None
    if text("category"):
        try:
            category = cat.url_category(text("category")).name
        except KeyError:
            raise Invalid(f"unknown category {text('category')[:60]!r}") from None
    source = text("source")[:100] or default_source
    return Entry(kind, key, rating, category, source, line)


def upsert(uow: UnitOfWork, entries: list[Entry], report: Report | None = None) -> Report:
    """Write entries (last one per key wins), counting added/changed/unchanged."""
    report = report or Report()
    pending: dict[tuple[str, str], Entry] = {}
    first: dict[tuple[str, str], Entry] = {}
    outcome: dict[int, str] = {}
    for e in entries:
        k = (e.kind, e.key)
        prev = pending.get(k)
        if prev is None:
            first[k] = e
        else:
            same = (prev.rating, prev.category, prev.source) == (e.rating, e.category, e.source)
            outcome[e.line] = "unchanged" if same else "changed"
        pending[k] = e
    existing: dict[tuple[str, str], tuple[str, str | None, str]] = {}
    by_kind: dict[str, list[str]] = {}
    for kind, key in pending:
        by_kind.setdefault(kind, []).append(key)
    for kind, keys in by_kind.items():
        existing.update(uow.url_ratings.existing(kind, keys))
    now = utcnow()
    write = []
    for k, e in pending.items():
        old = existing.get(k)
        f = first[k]
        if old is None:
            outcome[f.line] = "added"
        else:
            outcome[f.line] = ("unchanged" if old == (f.rating, f.category, f.source)
                               else "changed")
        if old != (e.rating, e.category, e.source):
            write.append({"kind": e.kind, "key": e.key, "rating": e.rating,
                          "category": e.category, "source": e.source, "updated_at": now})
    for e in entries:
        result = outcome[e.line]
        setattr(report, result, getattr(report, result) + 1)
    if write:
        uow.url_ratings.upsert(write)
    return report


def import_feed(engine: Engine, path: str | Path, *, actor: str, source: str | None = None,
                fmt: str | None = None, progress: Progress | None = None,
                batch: int = BATCH, catalog: Catalog | None = None) -> Report:
    """Import a feed file; bad rows are reported (line, reason) and skipped.

    The import changes the ratings every chat user is shown, so it is audited as `actor` before
    the first row is written (an import is committed batch by batch, not as a whole)."""
    path = Path(path)
    if not path.is_file():
        raise Invalid(f"{path} is not a file.")
    fmt = fmt or detect_format(path)
    if fmt not in ("csv", "jsonl", "json"):
        raise Invalid(f"Unknown feed format {fmt!r}; use csv, jsonl or json (an array).")
    cat = catalog or get_catalog()
    default_source = source or f"feed:{path.name}"
    total = path.stat().st_size
    with unit_of_work(engine) as uow:
        uow.audit.record(actor, "urls_import", default_source, f"{fmt}, {total:,} bytes")
    report = Report()
    started = time.perf_counter()
    entries: list[Entry] = []
    with path.open("rb") as raw:
        fh = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")

        def flush() -> None:
            if entries:
                with unit_of_work(engine) as uow:
                    upsert(uow, entries, report)
                entries.clear()
            if progress:
                progress(raw.tell(), total, report)

        for line, row in rows_of(path, fmt, fh):
            if isinstance(row, str):
                report.reject(line, row)
                continue
            try:
                entries.append(parse_row(row, line, default_source, cat))
            except Invalid as exc:
                report.reject(line, str(exc))
            if len(entries) >= batch:
                flush()
        flush()
    report.seconds = time.perf_counter() - started
    return report
