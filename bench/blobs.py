"""Attachment bytes in and out: MB/s for one file through each blob store (store/blobs).

    .venv/bin/python bench/blobs.py --mb 100 --rounds 3 [--pg postgresql+psycopg://...]

Stores: the local folder; PostgreSQL chunked bytea (`DatabaseBlobs`, what casebot uses); and,
for the comparison in docs/decisions.md, PostgreSQL large objects written and read with the
server's `lo_put` / `lo_get` in the same 1 MB pieces, one transaction per file. Each round
writes a fresh file (different bytes, so nothing is deduplicated) and reads it back whole,
hashing as a download would; the median per store is printed, with the peak of Python memory
(tracemalloc) during the write and the read. PostgreSQL: a throwaway database on the server
of --pg (default $CASEBOT_TEST_POSTGRES_URL), dropped afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import scratch_database
from store.blobs import CHUNK, Blobs
from store.blobs.database import DatabaseBlobs
from store.blobs.local import LocalBlobs
from store.db import make_engine, upgrade

MB = 1024 * 1024


def source(mb: int, seed: bytes) -> Iterator[bytes]:
    block = os.urandom(CHUNK)
    for n in range(mb):
        yield seed + n.to_bytes(8, "big") + block[len(seed) + 8:]


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    tracemalloc.start()
    started = time.perf_counter()
    fn()
    took = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return took, peak / MB


Figures = tuple[tuple[float, float], tuple[float, float]]  # (seconds, peak MB) in, out


def through_store(blobs: Blobs, mb: int, seed: bytes) -> Figures:
    shas: list[str] = []

    def write() -> None:
        shas.append(blobs.put_counted(source(mb, seed), "bench.bin").ref.sha256)

    def read() -> None:
        digest = hashlib.sha256()
        for chunk in blobs.chunks(shas[0]):
            digest.update(chunk)
        assert digest.hexdigest() == shas[0]

    return timed(write), timed(read)


def large_objects(engine: sa.Engine, mb: int, seed: bytes) -> Figures:
    oids: list[int] = []

    def write() -> None:
        with engine.begin() as conn:
            oid = conn.execute(sa.text("SELECT lo_create(0)")).scalar_one()
            for n, chunk in enumerate(source(mb, seed)):
                conn.execute(sa.text("SELECT lo_put(:o, :at, :d)"),
                             {"o": oid, "at": n * CHUNK, "d": chunk})
        oids.append(oid)

    def read() -> None:
        digest = hashlib.sha256()
        with engine.begin() as conn:
            for n in range(mb):
                digest.update(conn.execute(sa.text("SELECT lo_get(:o, :at, :n)"),
                                           {"o": oids[0], "at": n * CHUNK, "n": CHUNK}
                                           ).scalar_one())

    return timed(write), timed(read)


def measure(stores: dict[str, Blobs | sa.Engine], mb: int, rounds: int
            ) -> dict[str, list[Figures]]:
    results: dict[str, list[Figures]] = {}
    for r in range(rounds):
        for label, store in stores.items():  # interleaved: noise hits all alike
            seed = f"{r}:{label}".encode()
            figures = large_objects(store, mb, seed) if isinstance(store, sa.Engine) \
                else through_store(store, mb, seed)
            results.setdefault(label, []).append(figures)
    return results


def report(results: dict[str, list[Figures]], mb: int, rounds: int) -> None:
    print(f"{mb} MB file, median of {rounds} rounds")
    print("| store | in MB/s | out MB/s | peak memory in / out (MB) |")
    print("|---|---|---|---|")
    for label, rows in results.items():
        w = statistics.median(f[0][0] for f in rows)
        rd = statistics.median(f[1][0] for f in rows)
        pw = max(f[0][1] for f in rows)
        pr = max(f[1][1] for f in rows)
        print(f"| {label} | {mb / w:,.0f} | {mb / rd:,.0f} | {pw:.1f} / {pr:.1f} |")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--mb", type=int, default=100)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--pg", default=os.environ.get("CASEBOT_TEST_POSTGRES_URL"))
    args = p.parse_args()
    with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        stores: dict[str, Blobs | sa.Engine] = {
            "local folder": LocalBlobs(Path(tmp) / "f", 2**40)}
        if args.pg:
            engine = make_engine(stack.enter_context(scratch_database(args.pg, "bench_blobs")))
            stack.callback(engine.dispose)
            upgrade(engine)
            stores["PostgreSQL bytea chunks"] = DatabaseBlobs(engine, 2**40, Path(tmp) / "t")
            stores["PostgreSQL large objects"] = engine
        results = measure(stores, args.mb, args.rounds)
    report(results, args.mb, args.rounds)


if __name__ == "__main__":
    main()
