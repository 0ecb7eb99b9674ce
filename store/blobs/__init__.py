"""Attachment bytes, content-addressed by sha256, behind one interface with two homes.

- `LocalBlobs` (store/blobs/local.py): a folder under CASEBOT_HOME, the embedded default. Only
  processes on that machine see the files.
- `DatabaseBlobs` (store/blobs/database.py): chunked rows in the database, the default on
  PostgreSQL, so every process on every machine reads the same bytes.

Both stream both ways (a 250 MB file never sits whole in memory), count bytes as they arrive
and admit each chunk before it is written (the per-file limit and an `Admit` callback: the
room bot/quota.py reserved), and leave nothing of a refused or failed write. Readers stream
(`open`, `chunks`); a reader that must seek in a real file (`zipfile`, a chat library that
wants a path) asks `local_path`, which is the file itself locally and a private temporary copy
from the database.

`make_blobs` picks the backend: CASEBOT_BLOBS=local|database, else database on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from flows.errors import Invalid
from flows.model import FileRef

CHUNK = 1024 * 1024
SHA256 = re.compile(r"[0-9a-f]{64}")

Admit = Callable[[int], None]
"""Called with the bytes a file has reached before a chunk is written; raises `Invalid` to
stop the write (what was written of it is then dropped)."""


@dataclass(frozen=True)
class Stored:
    """A file written by `put_counted`: its reference, and whether these bytes are new in the
    store (False: a file with the same hash was there already, maybe another person's)."""

    ref: FileRef
    created: bool


@dataclass(frozen=True)
class Usage:
    """The store's size in bytes, as measured when the wall clock said `at`."""

    at: float
    bytes: int


class Intake:
    """A write's chunks as each is admitted: before it passes, the size it brings the file to
    is checked against the per-file limit and `admit`; it is hashed and counted as it goes.
    Both backends write what this yields, so both refuse and hash alike."""

    def __init__(self, blobs: Blobs, chunks: Iterable[bytes], name: str,
                 admit: Admit | None) -> None:
        self.blobs, self.chunks, self.name, self.admit = blobs, chunks, name, admit
        self.digest = hashlib.sha256()
        self.size = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            self.size += len(chunk)
            self.blobs.check_size(self.size, self.name)
            if self.admit is not None:
                self.admit(self.size)
            self.digest.update(chunk)
            yield chunk

    def sha256(self, expect: str | None) -> str:
        """The bytes' sha256 once all have passed; `Invalid` when it is not `expect`."""
        sha = self.digest.hexdigest()
        if expect is not None and sha != expect:
            raise Invalid(f"{self.name}: its bytes hash to {sha}, not {expect}.")
        return sha


class Blobs(ABC):
    """What every caller uses; the backends implement the abstract part."""

    max_bytes: int
    kind: str  # "local" or "database" (CASEBOT_BLOBS)

    # -- writing ---------------------------------------------------------------------------

    @abstractmethod
    def put_counted(self, chunks: Iterable[bytes], name: str, admit: Admit | None = None, *,
                    expect: str | None = None) -> Stored:
        """Write the chunks as they come; before each is written, the size it brings the file
        to is checked against the per-file limit and `admit`. `expect`: the sha256 the bytes
        must have (`files migrate`), else `Invalid` and nothing is kept."""

    def put_path(self, path: str | Path, name: str | None = None) -> FileRef:
        source = Path(path).expanduser()
        self.local_size(source, name or source.name)
        with source.open("rb") as fh:
            return self.put_stream(fh, name or source.name)

    def put_bytes(self, data: bytes, name: str) -> FileRef:
        return self.put_chunks([data], name)

    def put_stream(self, stream: BinaryIO, name: str) -> FileRef:
        return self.put_chunks(iter(lambda: stream.read(CHUNK), b""), name)

    def put_chunks(self, chunks: Iterable[bytes], name: str) -> FileRef:
        return self.put_counted(chunks, name).ref

    def local_size(self, source: Path, name: str) -> int:
        """A local file's size on disk (what the terminal declares), within the limit."""
        if not source.is_file():
            raise Invalid(f"There is no file at {source}. Check the path and try again.")
        size = source.stat().st_size
        self.check_size(size, name)
        return size

    def check_size(self, size: int, name: str) -> None:
        if size > self.max_bytes:
            raise Invalid(f"{name} is larger than the {self.max_bytes // (1024 * 1024)} MB "
                          "limit. Compress it, split it, or share it through the support "
                          "portal's large-file upload.")

    # -- reading ---------------------------------------------------------------------------

    @abstractmethod
    def open(self, sha256: str) -> BinaryIO:
        """A reader of the stored bytes (seekable); `FileNotFoundError` when not stored."""

    @abstractmethod
    def size(self, sha256: str) -> int | None:
        """The stored file's size in bytes, None when not stored."""

    def where(self, sha256: str) -> str:
        """What a `FileRef.path` says of these bytes: a local file's path, or "" when they
        live elsewhere (readers go by sha256: `open`, `chunks`, `local_path`)."""
        return ""

    def exists(self, sha256: str) -> bool:
        return self.size(sha256) is not None

    def chunks(self, sha256: str) -> Iterator[bytes]:
        """The bytes in chunks of at most `CHUNK` (a download, a mail attachment); opened at
        once, so a missing file raises before the first chunk is asked for."""
        fh = self.open(sha256)

        def read() -> Iterator[bytes]:
            with fh:
                while data := fh.read(CHUNK):
                    yield data

        return read()

    @abstractmethod
    def local_path(self, sha256: str) -> AbstractContextManager[Path]:
        """A real, seekable file with the bytes, for as long as the `with` lasts."""

    # -- housekeeping ----------------------------------------------------------------------

    @abstractmethod
    def remove(self, sha256: str) -> None:
        """Delete a stored file (one refused as it arrived; see bot/quota.py)."""

    @abstractmethod
    def usage(self, max_age: float) -> Usage:
        """The store's size, measured again when the last measure is older than `max_age`
        seconds."""

    @abstractmethod
    def stored(self) -> Iterator[tuple[str, int]]:
        """Every stored file's (sha256, size)."""

    @abstractmethod
    def prune(self, keep: set[str], older_than: timedelta) -> int:
        """Delete stored files not in `keep` and older than `older_than` (a file being
        attached right now is younger, so it is never taken); returns how many went."""


def safe_name(name: str) -> str:
    """Keep only the last path part and printable characters of a user-given file name."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip() or "file"
    return cleaned[:255]


def sha256_of(chunks: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()
