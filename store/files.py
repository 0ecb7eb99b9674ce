"""Attachment bytes, stored once under their sha256 beneath CASEBOT_HOME.

Writes go to a temporary file in the same folder and are renamed into place, so a crash never
leaves a half file under a real hash. The folder is never served over HTTP; folders are 0700
and files 0600 (samples are live malware and customer data).

Bytes are counted as they arrive, and each chunk is admitted before it is written: past the
per-file limit, or past what an `Admit` callback allows (the room the chat layer reserved for
the file against the quota and the disk budget, bot/quota.py), the write stops and the partial
file is deleted, so a platform that declared a smaller size than it sends never fills the disk.
`usage` measures the folder, for that budget.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flows.errors import Invalid
from flows.model import FileRef
from store.db import private_dir

CHUNK = 1024 * 1024

Admit = Callable[[int], None]
"""Called with the bytes a file has reached before a chunk is written; raises `Invalid` to
stop the write (the partial file is then deleted)."""


@dataclass(frozen=True)
class Stored:
    """A file written by `put_counted`: its reference, and whether these bytes are new on
    disk (False: a file with the same hash was there already, maybe another person's)."""

    ref: FileRef
    created: bool


@dataclass(frozen=True)
class Usage:
    """The folder's size in bytes, as measured when the wall clock said `at`."""

    at: float
    bytes: int


class BlobStore:
    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self._usage: Usage | None = None
        self._usage_lock = threading.Lock()

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put_path(self, path: str | Path, name: str | None = None) -> FileRef:
        source = Path(path).expanduser()
        self.local_size(source, name or source.name)
        with source.open("rb") as fh:
            return self.put_stream(fh, name or source.name)

    def local_size(self, source: Path, name: str) -> int:
        """A local file's size on disk (what the terminal declares), within the limit."""
        if not source.is_file():
            raise Invalid(f"There is no file at {source}. Check the path and try again.")
        size = source.stat().st_size
        self._check_size(size, name)
        return size

    def put_bytes(self, data: bytes, name: str) -> FileRef:
        return self.put_chunks([data], name)

    def put_stream(self, stream: BinaryIO, name: str) -> FileRef:
        return self.put_chunks(iter(lambda: stream.read(CHUNK), b""), name)

    def put_chunks(self, chunks: Iterable[bytes], name: str) -> FileRef:
        return self.put_counted(chunks, name).ref

    def put_counted(self, chunks: Iterable[bytes], name: str,
                    admit: Admit | None = None) -> Stored:
        """Write the chunks as they come; before each is written, the size it brings the file
        to is checked against the per-file limit and `admit`."""
        private_dir(self.root)
        digest = hashlib.sha256()
        size = 0
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    size += len(chunk)
                    self._check_size(size, name)
                    if admit is not None:
                        admit(size)
                    digest.update(chunk)
                    out.write(chunk)
            sha = digest.hexdigest()
            final = self.path_for(sha)
            private_dir(final.parent)
            created = not final.exists()
            os.chmod(tmp, 0o600)  # mkstemp's mode already; said here so nobody loosens it
            os.replace(tmp, final)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return Stored(FileRef(name=_safe_name(name), size=size, sha256=sha, path=str(final)),
                      created)

    def remove(self, sha256: str) -> None:
        """Delete a stored file (one refused as it arrived; see bot/quota.py)."""
        self.path_for(sha256).unlink(missing_ok=True)

    def usage(self, max_age: float) -> Usage:
        """The folder's size (every file, half-written ones too), measured again when the
        last measure is older than `max_age` seconds: a walk costs a stat per file."""
        with self._usage_lock:
            if self._usage is None or time.time() - self._usage.at > max_age:
                started = time.time()
                total = 0
                if self.root.is_dir():
                    for path in self.root.rglob("*"):
                        try:
                            if path.is_file():
                                total += path.stat().st_size
                        except FileNotFoundError:  # pruned or renamed meanwhile
                            continue
                self._usage = Usage(started, total)
            return self._usage

    def _check_size(self, size: int, name: str) -> None:
        if size > self.max_bytes:
            raise Invalid(f"{name} is larger than the {self.max_bytes // (1024 * 1024)} MB "
                          "limit. Compress it, split it, or share it through the support "
                          "portal's large-file upload.")


def _safe_name(name: str) -> str:
    """Keep only the last path part and printable characters of a user-given file name."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip() or "file"
    return cleaned[:255]
