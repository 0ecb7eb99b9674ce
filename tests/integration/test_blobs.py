"""Both blob stores (store/blobs) through one suite: the local folder and the database
(PostgreSQL, skipped without CASEBOT_TEST_POSTGRES_URL). Content-addressed, streamed both
ways without holding a file in memory, nothing left of a refused write, one copy of bytes
stored concurrently, pruning by reference and age."""

from __future__ import annotations

import hashlib
import os
import stat
import threading
import time
import tracemalloc
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from flows.errors import Invalid
from store.blobs import CHUNK, Blobs
from store.blobs.database import DatabaseBlobs
from store.blobs.local import LocalBlobs
from store.db import make_engine, upgrade

MB = 1024 * 1024


@pytest.fixture(params=["local", "database"])
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Blobs]:
    if request.param == "local":
        yield LocalBlobs(tmp_path / "files", 300 * MB)
        return
    engine = make_engine(request.getfixturevalue("pg_url"))
    upgrade(engine)
    yield DatabaseBlobs(engine, 300 * MB, tmp_path / "blob-temp")
    engine.dispose()


def leftovers(blobs: Blobs) -> list[str]:
    """Anything a write leaves besides finished files: temporary files, staged rows."""
    if isinstance(blobs, LocalBlobs):
        return [p.name for p in blobs.root.glob(".incoming-*")] if blobs.root.is_dir() else []
    assert isinstance(blobs, DatabaseBlobs)
    with blobs.engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT sha256 FROM blobs WHERE sha256 LIKE 'incoming-%' UNION ALL "
            "SELECT DISTINCT sha256 FROM blob_chunks WHERE sha256 NOT IN "
            "(SELECT sha256 FROM blobs)")).scalars().all()
    return list(rows)


def pieces(data: bytes, size: int) -> Iterator[bytes]:
    return (data[i:i + size] for i in range(0, len(data), size))


def test_a_file_goes_in_and_comes_out_byte_for_byte(blobs: Blobs) -> None:
    data = os.urandom(3 * MB + 12345)
    stored = blobs.put_counted(pieces(data, 300_000), "../../etc/agent.log")
    sha = hashlib.sha256(data).hexdigest()
    assert (stored.ref.sha256, stored.ref.size, stored.ref.name) == (sha, len(data), "agent.log")
    assert stored.created
    assert blobs.exists(sha)
    assert blobs.size(sha) == len(data)
    assert b"".join(blobs.chunks(sha)) == data
    assert all(len(c) <= CHUNK for c in blobs.chunks(sha))
    with blobs.open(sha) as fh:  # seekable: zip readers and previews jump around
        fh.seek(CHUNK + 7)
        assert fh.read(10) == data[CHUNK + 7:CHUNK + 17]
        fh.seek(-5, os.SEEK_END)
        assert fh.read() == data[-5:]
    with blobs.local_path(sha) as path:
        assert path.read_bytes() == data
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    if isinstance(blobs, DatabaseBlobs):  # a private copy, gone after the with
        assert not path.exists()
    assert leftovers(blobs) == []


def test_the_same_bytes_are_stored_once(blobs: Blobs) -> None:
    first = blobs.put_bytes(b"same bytes", "a.txt")
    again = blobs.put_counted([b"same ", b"bytes"], "b.txt")
    assert not again.created
    assert again.ref.sha256 == first.sha256
    assert list(blobs.stored()) == [(first.sha256, 10)]
    assert blobs.usage(0).bytes == 10


def test_an_empty_file_and_a_missing_one(blobs: Blobs) -> None:
    empty = blobs.put_bytes(b"", "empty.txt")
    assert blobs.size(empty.sha256) == 0
    assert b"".join(blobs.chunks(empty.sha256)) == b""
    missing = hashlib.sha256(b"never stored").hexdigest()
    assert not blobs.exists(missing)
    assert blobs.size("../not-a-hash") is None
    with pytest.raises(FileNotFoundError):
        blobs.open(missing)
    with pytest.raises(FileNotFoundError), blobs.local_path(missing):
        pass
    blobs.remove(empty.sha256)
    assert not blobs.exists(empty.sha256)


def test_a_write_the_quota_stops_midway_leaves_nothing(blobs: Blobs) -> None:
    seen: list[int] = []

    def admit(size: int) -> None:
        seen.append(size)
        if size > 2 * MB:
            raise Invalid("over your quota")

    with pytest.raises(Invalid, match="over your quota"):
        blobs.put_counted((os.urandom(MB // 2) for _ in range(20)), "big.bin", admit=admit)
    assert seen == [n * MB // 2 for n in range(1, 6)]  # stopped at the first chunk past it
    with pytest.raises(Invalid, match="larger than the 300 MB limit"):
        blobs.put_counted(iter([b"x" * 200 * MB, b"y" * 101 * MB]), "huge.bin")
    assert list(blobs.stored()) == []
    assert leftovers(blobs) == []
    assert blobs.usage(0).bytes == 0


def test_a_write_that_must_match_a_hash(blobs: Blobs) -> None:
    with pytest.raises(Invalid, match="hash to"):
        blobs.put_counted([b"tampered"], "x", expect="0" * 64)
    assert list(blobs.stored()) == []
    assert leftovers(blobs) == []


def test_concurrent_writers_of_the_same_bytes_store_one_copy(blobs: Blobs) -> None:
    data = os.urandom(3 * MB)
    results: list[bool] = []
    errors: list[BaseException] = []
    go = threading.Barrier(4)

    def put() -> None:
        try:
            go.wait()
            results.append(blobs.put_counted(pieces(data, 256 * 1024), "same.bin").created)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=put) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results) == [False, False, False, True]
    sha = hashlib.sha256(data).hexdigest()
    assert list(blobs.stored()) == [(sha, len(data))]
    assert b"".join(blobs.chunks(sha)) == data
    assert leftovers(blobs) == []


def test_pruning_takes_old_unreferenced_files_only(blobs: Blobs) -> None:
    kept = blobs.put_bytes(b"on a case", "a.log")
    old = blobs.put_bytes(b"abandoned", "b.log")
    assert blobs.prune({kept.sha256}, timedelta(hours=1)) == 0  # both young
    time.sleep(0.05)
    assert blobs.prune({kept.sha256}, timedelta(0)) == 1
    assert blobs.exists(kept.sha256)
    assert not blobs.exists(old.sha256)
    again = blobs.put_bytes(b"abandoned", "b.log")  # sent again: young again
    assert blobs.prune({kept.sha256}, timedelta(hours=1)) == 0
    assert blobs.exists(again.sha256)


def test_a_250_mb_file_streams_in_and_out_in_little_memory(blobs: Blobs) -> None:
    size, block = 250 * MB, os.urandom(MB)
    expected = hashlib.sha256()

    def generate() -> Iterator[bytes]:  # as a chat platform's download arrives
        for n in range(size // (256 * 1024)):
            chunk = n.to_bytes(8, "big") + block[8:256 * 1024]
            expected.update(chunk)
            yield chunk

    tracemalloc.start()
    try:
        started = time.perf_counter()
        stored = blobs.put_counted(generate(), "dump.bin")
        _, peak_in = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        got = hashlib.sha256()
        for chunk in blobs.chunks(stored.ref.sha256):
            got.update(chunk)
        _, peak_out = tracemalloc.get_traced_memory()
        took = time.perf_counter() - started
    finally:
        tracemalloc.stop()
    assert stored.ref.size == size
    assert got.hexdigest() == expected.hexdigest()
    assert max(peak_in, peak_out) < 16 * MB, (peak_in, peak_out)
    assert took < 60, took


def test_pruning_drops_copies_a_killed_check_left(blobs: Blobs) -> None:
    if not isinstance(blobs, DatabaseBlobs):
        pytest.skip("only the database store makes copies")
    blobs.temp_dir.mkdir(parents=True)
    stale, fresh = blobs.temp_dir / "abc-stale", blobs.temp_dir / "abc-fresh"
    stale.write_bytes(b"x")
    fresh.write_bytes(b"y")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    blobs.prune(set(), timedelta(hours=1))
    assert not stale.exists()
    assert fresh.exists()
