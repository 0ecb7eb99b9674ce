"""A feed file's rows, read without ever holding more than one row (bot/feeds.py loads them).

Feeds come from outside (a vendor's export, an operator's upload), so nothing here holds the
file whole: lines are read with a cap (`MAX_LINE`; a longer one is read through in pieces and
refused), and a JSON array is decoded element by element from a small buffer (issue 22,
finding 8: a 300 MB array or one-line CSV took ~715 MB when read whole). Each row comes out
as (line number, row dict) or (line number, why it was refused), in file order.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot.ratings import KINDS
from flows.errors import Invalid

CHUNK = 64 * 1024
# A feed row is a few hundred bytes (a CSV field may be 128 KiB): a line or a JSON array
# element longer than this is refused without ever being held whole.
MAX_LINE = 1024 * 1024
WS = " \t\r\n"
Row = tuple[int, dict[str, Any] | str]


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


def rows_of(path: Path, fmt: str, fh: Any) -> Iterator[Row]:
    """The rows of a feed in format `fmt` (csv, jsonl, json) read from the text stream `fh`."""
    if fmt == "json":
        yield from _ArrayReader(fh).rows()
        return
    too_long: list[int] = []
    lines = _bounded_lines(fh, too_long)
    rows = _csv_rows(path, lines, too_long) if fmt == "csv" else _jsonl_rows(lines, too_long)
    yield from rows
    yield from _too_long(too_long)


def _object_row(obj: Any) -> dict[str, Any] | str:
    if not isinstance(obj, dict):
        return "not a JSON object"
    return {str(k).lower(): v for k, v in obj.items()}


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


def _csv_rows(path: Path, lines: Iterator[str], too_long: list[int]) -> Iterator[Row]:
    reader = csv.DictReader(lines)
    if not reader.fieldnames:
        return
    names = [n.strip().lower() for n in reader.fieldnames]
    reader.fieldnames = names
    if "rating" not in names:
        raise Invalid(f"{path.name}: the CSV header has no 'rating' column "
                      f"(it has: {', '.join(names)}).")
    if not (set(KINDS) & set(names) or {"kind", "key"} <= set(names)):
        raise Invalid(f"{path.name}: the CSV header needs a url, prefix, host or domain "
                      "column, or kind and key columns.")
    while True:
        try:
            row = next(reader)
        except StopIteration:
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


def _jsonl_rows(lines: Iterator[str], too_long: list[int]) -> Iterator[Row]:
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


class _Refused(Exception):
    """The rest of a JSON array cannot be read (the reason is the message)."""


class _ArrayReader:
    """A JSON array read element by element from a text stream, holding at most one element
    (up to MAX_LINE characters) and a chunk of what follows it."""

    def __init__(self, fh: Any) -> None:
        self.fh = fh
        self.buf = ""
        self.line = 1
        self.eof = False
        self.decoder = json.JSONDecoder()

    def fill(self) -> bool:
        chunk = self.fh.read(CHUNK) if not self.eof else ""
        self.eof = not chunk
        self.buf += chunk
        return bool(chunk)

    def skip(self) -> None:
        """Drop leading white space (counting lines), reading on while that is all there is."""
        while True:
            kept = self.buf.lstrip(WS)
            self.line += self.buf.count("\n", 0, len(self.buf) - len(kept))
            self.buf = kept
            if kept or not self.fill():
                return

    def take(self, n: int) -> None:
        self.line += self.buf.count("\n", 0, n)
        self.buf = self.buf[n:]

    def element(self) -> tuple[Any, int]:
        """Decode the element at the buffer's start, reading more while it may go on."""
        while True:
            try:
                obj, end = self.decoder.raw_decode(self.buf)
            except json.JSONDecodeError as exc:
                if len(self.buf) <= MAX_LINE and self.fill():
                    continue  # the element may go on in the next chunk
                raise _Refused(f"an element longer than {MAX_LINE // 1024} KiB"
                               if len(self.buf) > MAX_LINE
                               else f"not valid JSON ({exc.msg})") from None
            except RecursionError:
                raise _Refused("JSON nested too deeply") from None
            if end < len(self.buf) or not self.fill():
                return obj, end  # (a number at the buffer's end might go on: decode again)

    def rows(self) -> Iterator[Row]:
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
            try:
                obj, end = self.element()
            except _Refused as exc:
                yield self.line, f"{exc}; the rest of the file is skipped"
                return
            yield self.line, _object_row(obj)
            self.take(end)
            self.skip()
            if self.buf.startswith(","):
                self.take(1)
