"""URL rating look-ups on a small and a big local table, side by side; feed import rate.

    .venv/bin/python bench/url_lookup.py                      # 1,000 vs 1,000,000 entries
    .venv/bin/python bench/url_lookup.py --big 100000 --rounds 3

Both tables are filled by `bot.feeds.import_feed` from generated CSV feeds (a quarter each of
url, prefix, host and domain entries), which also gives the import rate. A look-up is
`LocalProvider.rate([url])`: normalise, build the candidate keys, one indexed query. Half of the
looked-up URLs hit an entry (at some level), half are Untested. The two sizes alternate in slices of
250 look-ups so load from other processes hits both alike; medians of rounds are reported.

- "uncached": no rating cache (the default: every look-up reads the table). The misses never
  repeat; hits may repeat a URL, whose candidate keys (a pure function of the string) are then
  remembered by `candidate_keys`, as in production.
- "cold": the same, with the key memory emptied before every look-up (normalise + keys +
  query every time): the worst case.
- "batch 10": `rate()` of 10 URLs at once (one query), counted per URL; cold keys.
- "cached": a working set of 1,000 URLs through the optional rating LRU cache (may serve a
  rating up to its TTL old; off by default).
- "query only": the indexed query alone, keys built beforehand.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from bot import ratings
from bot.feeds import import_feed
from bot.ratings import LocalProvider, keys_for
from flows.urls import normalize_url
from store.db import make_engine, upgrade

KINDS = ("url", "prefix", "host", "domain")


def write_feed(path: Path, n: int) -> None:
    with path.open("w") as f:
        f.write("kind,key,rating,category\n")
        for i in range(n):
            kind = KINDS[i % 4]
            key = {"url": f"https://www.s{i}.example.com/login?id={i}",
                   "prefix": f"s{i}.example.com/files/{i}",
                   "host": f"h{i}.s{i}.example.net",
                   "domain": f"d{i}-example.org"}[kind]
            rating = ("Safe", "Suspicious", "Highly Suspicious", "Dangerous")[i % 4]
            f.write(f"{kind},{key},{rating},{75 if i % 2 else 38}\n")


def probe(i: int, n: int, rnd: random.Random) -> str:
    """A URL that hits entry j (at its level or below it) or misses everything."""
    j = rnd.randrange(n)
    if rnd.random() < 0.5:
        return f"https://www.miss{i}.example.com/a/b?q={i}"
    kind = KINDS[j % 4]
    return {"url": f"https://www.s{j}.example.com/login?id={j}",
            "prefix": f"https://s{j}.example.com/files/{j}/x/y.exe",
            "host": f"http://a.h{j}.s{j}.example.net/",
            "domain": f"https://www.d{j}-example.org/p"}[kind]


def build(tmp: Path, n: int) -> tuple[Engine, float]:
    engine = make_engine(f"sqlite:///{tmp / f'r{n}.db'}")
    upgrade(engine)
    feed = tmp / f"feed{n}.csv"
    write_feed(feed, n)
    report = import_feed(engine, feed, actor="test")
    assert report.added == n, (report.added, report.rejects[:3])
    return engine, report.seconds


SLICE = 250
MODES = ("uncached", "cold", "batch 10", "cached", "query")


# the key memory; None before it existed: lets this harness time older code too
KEY_MEMORY = getattr(ratings, "candidate_keys", None)


def forget_keys() -> None:
    if KEY_MEMORY is not None:
        KEY_MEMORY.cache_clear()


def timed(mode: str, provider: LocalProvider, urls: list[str]) -> float:
    """Seconds for `urls` in one of the modes that rate URLs."""
    started = time.perf_counter()
    if mode in ("uncached", "cached"):
        for u in urls:
            provider.rate([u])
    elif mode == "cold":
        for u in urls:
            forget_keys()
            provider.rate([u])
    elif mode == "batch 10":
        for i in range(0, len(urls), 10):
            forget_keys()
            provider.rate(urls[i:i + 10])
    return time.perf_counter() - started


def timed_query(provider: LocalProvider, keys: list[list[str]]) -> float:
    """Seconds for the indexed query alone, one key list per URL ("query" mode)."""
    started = time.perf_counter()
    for ks in keys:
        provider._fetch(ks)
    return time.perf_counter() - started


# seconds for the look-ups from index a to index b of one size's work
Slice = Callable[[int, int], float]


def slices(mode: str, provider: LocalProvider, urls: list[str], keys: list[list[str]]) -> Slice:
    if mode == "query":
        return lambda a, b: timed_query(provider, keys[a:b])
    return lambda a, b: timed(mode, provider, urls[a:b])


def side_by_side(count: int, work: dict[str, Slice]) -> dict[str, float]:
    """Look-ups/s per size, the sizes alternating in slices of SLICE so load from other
    processes on the machine falls on both alike."""
    forget_keys()
    spent = dict.fromkeys(work, 0.0)
    names = list(work)
    for k, i in enumerate(range(0, count, SLICE)):
        for name in names if k % 2 == 0 else names[::-1]:
            spent[name] += work[name](i, i + SLICE)
    return {name: count / spent[name] for name in work}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", type=int, default=1_000)
    ap.add_argument("--big", type=int, default=1_000_000)
    ap.add_argument("--lookups", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        sizes = {"small": args.small, "big": args.big}
        engines: dict[str, Engine] = {}
        imports: dict[str, float] = {}
        for name, n in sizes.items():
            engines[name], imports[name] = build(tmp, n)
            print(f"import {n:>9,} rows: {imports[name]:7.1f} s = "
                  f"{n / imports[name]:,.0f} rows/s", flush=True)
        for name, n in sizes.items():  # warm up: imports, public-suffix list, page cache
            rnd = random.Random(-1)
            timed("cold", LocalProvider(engines[name]), [probe(-i, n, rnd) for i in range(2000)])
        results: dict[tuple[str, str], list[float]] = {}
        plain = {name: LocalProvider(engines[name]) for name in sizes}
        cached = {name: LocalProvider(engines[name], cache_size=10_000, cache_ttl=300)
                  for name in sizes}
        for r in range(args.rounds):
            fresh: dict[str, list[str]] = {}
            hot: dict[str, list[str]] = {}
            keys: dict[str, list[list[str]]] = {}
            for name, n in sizes.items():
                rnd = random.Random(r)
                fresh[name] = [probe(r * args.lookups + i, n, rnd) for i in range(args.lookups)]
                hot[name] = [probe(i % 1000, n, random.Random(i % 1000))
                             for i in range(args.lookups)]
                keys[name] = [[k for _, k in keys_for(normalize_url(u))] for u in fresh[name]]
            for mode in MODES:
                work = {name: slices(mode, cached[name] if mode == "cached" else plain[name],
                                     hot[name] if mode == "cached" else fresh[name], keys[name])
                        for name in sizes}
                for name, rate in side_by_side(args.lookups, work).items():
                    results.setdefault((name, mode), []).append(rate)
        modes = MODES
        print(f"\n{'':10}{'entries':>12}" + "".join(f"{m + '/s':>14}" for m in modes))
        med = {k: statistics.median(v) for k, v in results.items()}
        for name, n in sizes.items():
            print(f"{name:10}{n:>12,}" + "".join(f"{med[(name, m)]:>14,.0f}" for m in modes))
        for mode in modes:
            ratio = med[("small", mode)] / med[("big", mode)]
            rounds = " · ".join(f"{a:,.0f}/{b:,.0f}" for a, b in
                                zip(results[("small", mode)], results[("big", mode)],
                                    strict=True))
            print(f"ratio small/big {mode}: {ratio:.2f}  (rounds small/big: {rounds})")


if __name__ == "__main__":
    main()
