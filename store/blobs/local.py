"""Attachment bytes in a folder beneath CASEBOT_HOME, one file per sha256 (the embedded default).

Writes go to a temporary file in the same folder and are renamed into place, so a crash never
leaves a half file under a real hash. The folder is never served over HTTP; folders are 0700
and files 0600 (samples are live malware and customer data). `usage` walks the folder, for the
disk budget; `prune` deletes by file age (a re-sent file's rename makes it young again).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from flows.model import FileRef
from store.blobs import SHA256, Admit, Blobs, Intake, Stored, Usage, safe_name
from store.db import private_dir


class LocalBlobs(Blobs):
    kind = "local"

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self._usage: Usage | None = None
        self._usage_lock = threading.Lock()

    def path_for(self, sha256: str) -> Path:
        """Where the bytes of `sha256` live in the folder (this backend only)."""
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def where(self, sha256: str) -> str:
        return str(self.path_for(sha256))

    def put_counted(self, chunks: Iterable[bytes], name: str, admit: Admit | None = None, *,
                    expect: str | None = None) -> Stored:
        private_dir(self.root)
        intake = Intake(self, chunks, name, admit)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in intake:
                    out.write(chunk)
            sha = intake.sha256(expect)
            final = self.path_for(sha)
            private_dir(final.parent)
            created = not final.exists()
            os.chmod(tmp, 0o600)  # mkstemp's mode already; said here so nobody loosens it
            os.replace(tmp, final)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return Stored(FileRef(name=safe_name(name), size=intake.size, sha256=sha, path=str(final)),
                      created)

    def open(self, sha256: str) -> BinaryIO:
        if not SHA256.fullmatch(sha256):
            raise FileNotFoundError(sha256)
        return self.path_for(sha256).open("rb")

    def size(self, sha256: str) -> int | None:
        if not SHA256.fullmatch(sha256):
            return None
        try:
            path = self.path_for(sha256)
            return path.stat().st_size if path.is_file() else None
        except OSError:
            return None

    @contextlib.contextmanager
    def local_path(self, sha256: str) -> Iterator[Path]:
        if self.size(sha256) is None:
            raise FileNotFoundError(sha256)
        yield self.path_for(sha256)

    def remove(self, sha256: str) -> None:
        if SHA256.fullmatch(sha256):
            self.path_for(sha256).unlink(missing_ok=True)

    def usage(self, max_age: float) -> Usage:
        """The folder's size (every file, half-written ones too); a walk costs a stat per
        file, hence `max_age`."""
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

    def stored(self) -> Iterator[tuple[str, int]]:
        if not self.root.is_dir():
            return
        for path in sorted(self.root.glob("*/*/*")):
            try:
                if path.is_file():
                    yield path.name, path.stat().st_size
            except FileNotFoundError:
                continue

    def prune(self, keep: set[str], older_than: timedelta) -> int:
        if not self.root.is_dir():
            return 0
        cutoff = time.time() - older_than.total_seconds()
        count = 0
        for path in self.root.glob("*/*/*"):
            try:
                if path.is_file() and path.name not in keep and path.stat().st_mtime < cutoff:
                    path.unlink()
                    count += 1
            except FileNotFoundError:
                continue
        for path in self.root.glob(".incoming-*"):  # left by a crash mid-write
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()
        return count
