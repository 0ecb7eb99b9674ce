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
character. A row that cannot be parsed (a CSV field over 128 KiB, JSON nested too deeply,
broken quoting) is rejected with its line number, and the import goes on. Keys go through
the one normaliser (`bot.ratings.entry_key`), so what a feed loads is what a look-up finds.
A later row for the same entry wins. Rows are upserted with one `INSERT … ON CONFLICT (kind,
key) DO UPDATE` per batch (SQLite and PostgreSQL), each batch in its own transaction, so a
huge import never holds one giant transaction.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

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


def detect_format(path: Path) -> str:
    ext = path.suffix.lower()
    if ext == ".csv":
        return "csv"
    with path.open("rb") as f:
        head = f.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"["):
        return "json"
    if ext in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    return "jsonl" if head.startswith(b"{") else "csv"


def _object_row(obj: Any) -> dict[str, Any] | str:
    if not isinstance(obj, dict):
        return "not a JSON object"
    return {str(k).lower(): v for k, v in obj.items()}


CHUNK = 64 * 1024
# A feed row is a few hundred bytes (a CSV field may be 128 KiB): a line or a JSON array
# element longer than this is refused without ever being held whole.
MAX_LINE = 1024 * 1024
WS = " \t\r\n"
Row = tuple[int, dict[str, Any] | str]  # (line number, row) or (line number, why refused)


def _bounded_lines(fh: Any, too_long: list[int]) -> Iterator[str]:
    """The file's lines, each at most MAX_LINE characters. A longer line is read through in
    pieces and stands as an empty line; its number goes to `too_long`."""
    number = 0
    while line := fh.readline(MAX_LINE + 1):
        number += 1
        if len(line) > MAX_LINE and line[-1] not in "\r\n":
            while (rest := fh.readline(CHUNK)) and rest[-1] not in "\r\n":
                pass
            too_long.append(number)
            yield "\n"
            continue
        yield line


def _too_long(numbers: list[int]) -> Iterator[Row]:
    while numbers:
        yield numbers.pop(0), f"a line longer than {MAX_LINE // 1024} KiB"


class _ArrayReader:
    """A JSON array read element by element from a text stream, holding at most one element
    (up to MAX_LINE characters) and a chunk of what follows it: a 300 MB array took ~715 MB
    when it was read whole."""

    def __init__(self, fh: Any) -> None:
        self.fh = fh
        self.buf = ""
        self.line = 1
        self.eof = False

    def fill(self) -> bool:
        chunk = self.fh.read(CHUNK) if not self.eof else ""
        self.eof = not chunk
        self.buf += chunk
        return bool(chunk)

    def skip(self, chars: str = WS) -> None:
        """Drop leading `chars` (counting lines), reading on while that is all there is."""
        while True:
            kept = self.buf.lstrip(chars)
            self.line += self.buf.count("\n", 0, len(self.buf) - len(kept))
            self.buf = kept
            if kept or not self.fill():
                return

    def take(self, n: int) -> None:
        self.line += self.buf.count("\n", 0, n)
        self.buf = self.buf[n:]

    def rows(self) -> Iterator[Row]:
        decoder = json.JSONDecoder()
        self.skip()
        if not self.buf.startswith("["):
            yield self.line, "not a JSON array"
            return
        self.take(1)
        while True:
            self.skip()
            if not self.buf:
                yield self.line, "the JSON array is not closed"
                return
            if self.buf[0] == "]":
                return
            while True:
                try:
                    obj, end = decoder.raw_decode(self.buf)
                except json.JSONDecodeError as exc:
                    if len(self.buf) <= MAX_LINE and self.fill():
                        continue  # the element may go on in the next chunk
                    reason = (f"an element longer than {MAX_LINE // 1024} KiB"
                              if len(self.buf) > MAX_LINE else f"not valid JSON ({exc.msg})")
                    yield self.line, f"{reason}; the rest of the file is skipped"
                    return
                except RecursionError:
                    yield self.line, "JSON nested too deeply; the rest of the file is skipped"
                    return
                if end < len(self.buf) or not self.fill():
                    break  # a number at the buffer's end might go on: decode it again
            yield self.line, _object_row(obj)
            self.take(end)
            self.skip()
            if self.buf.startswith(","):
                self.take(1)


def _rows(path: Path, fmt: str, fh: Any) -> Iterator[Row]:
    """(line number, row dict) or (line number, error text)."""
    if fmt == "json":
        yield from _ArrayReader(fh).rows()
        return
    too_long: list[int] = []
    lines = _bounded_lines(fh, too_long)
    if fmt == "csv":
        reader = csv.DictReader(lines)
        if not reader.fieldnames:
            yield from _too_long(too_long)
            return
        names = [n.strip().lower() for n in reader.fieldnames]
        reader.fieldnames = names
        if not ({"rating"} <= set(names)):
            raise Invalid(f"{path.name}: the CSV header has no 'rating' column "
                          f"(it has: {', '.join(names)}).")
        if not (set(KINDS) & set(names) or {"kind", "key"} <= set(names)):
            raise Invalid(f"{path.name}: the CSV header needs a url, prefix, host or domain "
                          "column, or kind and key columns.")
        while True:
            try:
                row = next(reader)
            except StopIteration:
                yield from _too_long(too_long)
                return
            except csv.Error as exc:  # e.g. a field over csv.field_size_limit() (128 KiB)
                reason = ("a field is longer than 128 KiB" if "field larger" in str(exc)
                          else f"not valid CSV ({exc})")
                yield reader.reader.line_num, reason  # DictReader's own count lags on errors
                continue
            yield from _too_long(too_long)
            if None in row:
                yield reader.line_num, "more values than header columns"
                continue
            yield reader.line_num, row
    for number, line in enumerate(lines, start=1):
        yield from _too_long(too_long)
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, f"not valid JSON ({exc.msg})"
            continue
        except RecursionError:
            yield number, "JSON nested too deeply"
            continue
        yield number, _object_row(obj)
    yield from _too_long(too_long)


def parse_row(row: dict[str, Any], line: int, default_source: str, cat: Catalog) -> Entry:
    def text(name: str) -> str:
        value = row.get(name)
        return "" if value is None else str(value).strip()

    given = [k for k in KINDS if text(k)]
    if text("kind") or text("key"):
        if given:
            raise Invalid("give either kind+key or one of url/prefix/host/domain, not both")
        kind, value = text("kind").lower(), text("key")
        if kind not in KINDS:
            raise Invalid(f"kind {text('kind')[:20]!r} is not url, prefix, host or domain")
    elif len(given) == 1:
        kind, value = given[0], text(given[0])
    elif not given:
        raise Invalid("no url, prefix, host or domain")
    else:
        raise Invalid(f"several entries in one row ({', '.join(given)}); give one per row")
    try:
        key = entry_key(kind, value)
    except Invalid as exc:
        raise Invalid(f"bad {kind}: {exc}") from None
    rating_text = text("rating")
    ratings = {r.casefold(): r for r in cat.url_ratings if r != "Untested"}
    rating = ratings.get(rating_text.casefold())
    if rating is None:
        raise Invalid(f"rating {rating_text[:40]!r} is not one of " + ", ".join(ratings.values())
                      if rating_text else "no rating")
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


def import_feed(engine: Engine, path: str | Path, *, source: str | None = None,
                fmt: str | None = None, progress: Progress | None = None,
                batch: int = BATCH, catalog: Catalog | None = None) -> Report:
    """Import a feed file; bad rows are reported (line, reason) and skipped."""
    path = Path(path)
    if not path.is_file():
        raise Invalid(f"{path} is not a file.")
    fmt = fmt or detect_format(path)
    if fmt not in ("csv", "jsonl", "json"):
        raise Invalid(f"Unknown feed format {fmt!r}; use csv, jsonl or json (an array).")
    cat = catalog or get_catalog()
    default_source = source or f"feed:{path.name}"
    total = path.stat().st_size
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

        for line, row in _rows(path, fmt, fh):
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
