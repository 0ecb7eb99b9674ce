"""Attachment bytes in the database, so every process on every machine reads the same files.

A file is one `blobs` row and its bytes in `blob_chunks`, exactly `CHUNK` (1 MB) per row but
the last, so a reader finds any offset's chunk by division and can seek.

Writing is one transaction, streamed: a `blobs` row under a staging key
(`incoming-<random>`), each chunk inserted as soon as it is full while the sha256 is computed;
at the end the real key is inserted (`ON CONFLICT DO NOTHING`) and the chunks renamed to it, or,
when those bytes are stored already, the staged chunks are dropped and the existing row made
young again (so pruning does not take it). A refused or failed write rolls back: nothing stays.
Two writers of the same bytes meet on the primary key: the second waits for the first's commit
and then finds the row. Reading fetches one chunk per query, never the whole file.

`local_path` copies the bytes into a private file under CASEBOT_HOME/blob-temp (0600), checks
its sha256 on the way, and deletes it when the `with` ends.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from flows.model import FileRef
from store.blobs import CHUNK, SHA256, Admit, Blobs, Intake, Stored, Usage, safe_name
from store.db import private_dir, table_of
from store.tables import Blob, BlobChunk, utcnow

BLOBS = table_of(Blob)
CHUNKS = table_of(BlobChunk)
STAGING = "incoming-"
PRUNE_BATCH = 500
STALE_COPY_SECONDS = 3600.0


class DatabaseBlobs(Blobs):
    kind = "database"

    def __init__(self, engine: Engine, max_bytes: int, temp_dir: Path) -> None:
        self.engine = engine
        self.max_bytes = max_bytes
        self.temp_dir = Path(temp_dir)  # local_path's copies (CASEBOT_HOME/blob-temp)
        self._usage: Usage | None = None
        self._usage_lock = threading.Lock()

    # -- writing ---------------------------------------------------------------------------

    def put_counted(self, chunks: Iterable[bytes], name: str, admit: Admit | None = None, *,
                    expect: str | None = None) -> Stored:
        intake = Intake(self, chunks, name, admit)
        seq = 0
        staging = f"{STAGING}{uuid.uuid4().hex}"
        pending = bytearray()
        with self.engine.begin() as conn:
            conn.execute(BLOBS.insert().values(sha256=staging, size=0, created_at=utcnow()))
            for chunk in intake:
                pending += chunk
                while len(pending) >= CHUNK:
                    _write(conn, staging, seq, bytes(pending[:CHUNK]))
                    del pending[:CHUNK]
                    seq += 1
            if pending:
                _write(conn, staging, seq, bytes(pending))
            sha = intake.sha256(expect)
            created = self._settle(conn, staging, sha, intake.size)
        return Stored(FileRef(name=safe_name(name), size=intake.size, sha256=sha, path=""),
                      created)

    def _settle(self, conn: Connection, staging: str, sha: str, size: int) -> bool:
        """Give the staged chunks their real key, or drop them when it is stored already."""
        for _ in range(5):  # a prune may delete the row between our insert and update
            now = utcnow()
            if _insert_new(conn, sha, size, now):
                conn.execute(CHUNKS.update().where(CHUNKS.c.sha256 == staging)
                             .values(sha256=sha))
                conn.execute(BLOBS.delete().where(BLOBS.c.sha256 == staging))
                return True
            young = conn.execute(BLOBS.update().where(BLOBS.c.sha256 == sha)
                                 .values(created_at=now).returning(BLOBS.c.sha256))
            if young.first() is not None:
                conn.execute(CHUNKS.delete().where(CHUNKS.c.sha256 == staging))
                conn.execute(BLOBS.delete().where(BLOBS.c.sha256 == staging))
                return False
        raise RuntimeError(f"could not store {sha}: it kept being pruned")

    # -- reading ---------------------------------------------------------------------------

    def size(self, sha256: str) -> int | None:
        if not SHA256.fullmatch(sha256):
            return None
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(BLOBS.c.size).where(BLOBS.c.sha256 == sha256))
            size = found.scalar_one_or_none()
        return None if size is None else int(size)

    def open(self, sha256: str) -> BinaryIO:
        size = self.size(sha256)
        if size is None:
            raise FileNotFoundError(f"no stored file {sha256}")
        return io.BufferedReader(_ChunkReader(self.engine, sha256, size), CHUNK)

    @contextlib.contextmanager
    def local_path(self, sha256: str) -> Iterator[Path]:
        private_dir(self.temp_dir)
        fd, tmp = tempfile.mkstemp(dir=self.temp_dir, prefix=f"{sha256[:16]}-")
        path = Path(tmp)
        try:
            digest = hashlib.sha256()
            with os.fdopen(fd, "wb") as out:
                for chunk in self.chunks(sha256):
                    digest.update(chunk)
                    out.write(chunk)
            if digest.hexdigest() != sha256:
                raise OSError(f"stored file {sha256} does not match its hash")
            yield path
        finally:
            path.unlink(missing_ok=True)

    # -- housekeeping ----------------------------------------------------------------------

    def remove(self, sha256: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(CHUNKS.delete().where(CHUNKS.c.sha256 == sha256))
            conn.execute(BLOBS.delete().where(BLOBS.c.sha256 == sha256))

    def usage(self, max_age: float) -> Usage:
        """The bytes of every stored file (a sum over `blobs`, cheap; still cached)."""
        with self._usage_lock:
            if self._usage is None or time.time() - self._usage.at > max_age:
                started = time.time()
                with self.engine.connect() as conn:
                    total = conn.execute(sa.select(sa.func.coalesce(
                        sa.func.sum(BLOBS.c.size), 0))).scalar_one()
                self._usage = Usage(started, int(total))
            return self._usage

    def stored(self) -> Iterator[tuple[str, int]]:
        after = ""
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(sa.select(BLOBS.c.sha256, BLOBS.c.size)
                                    .where(BLOBS.c.sha256 > after)
                                    .order_by(BLOBS.c.sha256).limit(1000)).all()
            for sha, size in rows:
                if not sha.startswith(STAGING):
                    yield sha, int(size)
            if len(rows) < 1000:
                return
            after = rows[-1][0]

    def prune(self, keep: set[str], older_than: timedelta) -> int:
        self._drop_stale_copies()
        cutoff = utcnow() - older_than
        with self.engine.connect() as conn:
            old = [sha for sha in conn.execute(sa.select(BLOBS.c.sha256)
                                               .where(BLOBS.c.created_at < cutoff)).scalars()
                   if sha not in keep]
        count = 0
        for start in range(0, len(old), PRUNE_BATCH):
            batch = old[start:start + PRUNE_BATCH]
            with self.engine.begin() as conn:
                # still old: a file stored again meanwhile was made young and stays
                gone = conn.execute(sa.select(BLOBS.c.sha256).where(
                    BLOBS.c.sha256.in_(batch), BLOBS.c.created_at < cutoff)
                    .with_for_update()).scalars().all()
                if gone:
                    conn.execute(CHUNKS.delete().where(CHUNKS.c.sha256.in_(gone)))
                    conn.execute(BLOBS.delete().where(BLOBS.c.sha256.in_(gone)))
                count += sum(1 for sha in gone if not sha.startswith(STAGING))
        return count


    def _drop_stale_copies(self) -> None:
        """`local_path` copies left by a process killed during a check (a check lasts
        minutes; an hour-old copy is nobody's)."""
        if not self.temp_dir.is_dir():
            return
        cutoff = time.time() - STALE_COPY_SECONDS
        for path in self.temp_dir.iterdir():
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()


def _write(conn: Connection, key: str, seq: int, data: bytes) -> None:
    conn.execute(CHUNKS.insert().values(sha256=key, seq=seq, data=data))


def _insert_new(conn: Connection, sha: str, size: int, now: Any) -> bool:
    """Insert the blob's row unless it is there (then False), without failing the
    transaction: a concurrent writer of the same bytes waits here for the other's commit."""
    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(BLOBS).values(sha256=sha, size=size, created_at=now)
    stmt = stmt.on_conflict_do_nothing(index_elements=["sha256"]).returning(BLOBS.c.sha256)
    return conn.execute(stmt).first() is not None


class _ChunkReader(io.RawIOBase):
    """The bytes of one blob, one chunk per query, with the last chunk kept for small reads;
    seekable (every chunk but the last is exactly `CHUNK` long)."""

    def __init__(self, engine: Engine, sha256: str, size: int) -> None:
        super().__init__()
        self.engine, self.sha256, self.length = engine, sha256, size
        self.pos = 0
        self._seq = -1
        self._data = b""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.length}[whence]
        if base + offset < 0:
            raise OSError("negative seek position")
        self.pos = base + offset
        return self.pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self.pos >= self.length or not len(view):
            return 0
        seq, start = divmod(self.pos, CHUNK)
        if seq != self._seq:
            with self.engine.connect() as conn:
                data = conn.execute(sa.select(CHUNKS.c.data).where(
                    CHUNKS.c.sha256 == self.sha256, CHUNKS.c.seq == seq)).scalar_one_or_none()
            if data is None:
                raise OSError(f"stored file {self.sha256} lost its chunk {seq} (pruned?)")
            self._seq, self._data = seq, bytes(data)
        part = memoryview(self._data)[start:start + len(view)]
        view[:len(part)] = part
        self.pos += len(part)
        return len(part)
