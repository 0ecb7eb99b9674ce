"""The outbound rate budget every process shares: Telegram's and Slack's limits hold for the
bot, not for one process, so N processes each pacing themselves would together send N times
too fast.

Each bucket is a GCRA ("generic cell rate algorithm", a token bucket kept as one timestamp):
`tat`, the theoretical arrival time of the next send. A send that asks at `now` may go at
`max(now, tat - tolerance)`, and moves `tat` one interval past that. A sender *reserves* its
slot and sleeps until it comes (`reserve` returns the seconds to wait), so callers queue in
the order they asked, and one query per send suffices: no retry loop, no polling. With
`burst` 1 the sends are spaced evenly, so no window of one second ever holds more than
`per_second` of them; a larger burst lets a quiet bucket send that many at once.

A send can count against several buckets at once (the bot's, and the chat's): its slot is the
latest any of them allows, and each is moved past that same slot, so the chat's spacing holds
even when the bot's budget delays a send.

- PostgreSQL (`SharedBudget`): one row per bucket in `rate_buckets`, locked (`FOR UPDATE`, in
  name order so two senders never deadlock), read and moved in one short transaction on the
  server's clock (`clock_timestamp()`), so machines whose clocks disagree still share one
  time line; a send counted in one bucket without a burst (the usual: the bot's) is one
  upsert. Rows of buckets unused for an hour (a chat's) are deleted now and then.
- SQLite or anything else on one machine (`LocalBudget`): the same arithmetic in memory, for
  the threads of this process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Engine

from store.db import table_of
from store.tables import RateBucket

STALE = 3600.0  # seconds after which an unused bucket's row is deleted
PRUNE_EVERY = 600.0  # seconds between those deletions, per process


@dataclass(frozen=True)
class Bucket:
    """One limit a send counts against: `name` (e.g. "telegram:123:chat:42"), `per_second`
    sends on average (0 or less: no limit), at most `burst` at once from a quiet bucket."""

    name: str
    per_second: float
    burst: int = 1

    @property
    def interval(self) -> float:
        return 1.0 / self.per_second

    @property
    def tolerance(self) -> float:
        return (max(self.burst, 1) - 1) * self.interval


def slot(now: float, buckets: Sequence[tuple[Bucket, float]]) -> tuple[float, list[float]]:
    """When a send asking at `now` may go, given each bucket's `tat`, and each bucket's new
    `tat` (the GCRA step, shared by both budgets)."""
    at = max([now, *(tat - b.tolerance for b, tat in buckets)])
    return at, [max(tat, at) + b.interval for b, tat in buckets]


class Budget:
    """`reserve(buckets)` takes a slot in every bucket and returns how many seconds to wait
    for it (0: send now)."""

    def reserve(self, buckets: Sequence[Bucket]) -> float:
        raise NotImplementedError


def _live(buckets: Sequence[Bucket]) -> list[Bucket]:
    """The buckets that limit anything, each once, in name order (so two processes reserving
    the same buckets lock their rows in the same order)."""
    return sorted({b.name: b for b in buckets if b.per_second > 0}.values(),
                  key=lambda b: b.name)


class LocalBudget(Budget):
    """The buckets of this process only (one machine, SQLite)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tats: dict[str, float] = {}
        self.pruned = time.monotonic()

    def reserve(self, buckets: Sequence[Bucket]) -> float:
        live = _live(buckets)
        if not live:
            return 0.0
        with self.lock:
            now = time.monotonic()
            at, tats = slot(now, [(b, self.tats.get(b.name, 0.0)) for b in live])
            self.tats.update((b.name, tat) for b, tat in zip(live, tats, strict=True))
            if now - self.pruned > PRUNE_EVERY:
                self.pruned = now
                self.tats = {k: v for k, v in self.tats.items() if v > now - STALE}
        return at - now


class SharedBudget(Budget):
    """The buckets of every process on this PostgreSQL database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.table = table_of(RateBucket)
        self.pruned = time.monotonic()

    def reserve(self, buckets: Sequence[Bucket]) -> float:
        live = _live(buckets)
        if not live:
            return 0.0
        if len(live) == 1 and live[0].burst <= 1:
            return self._reserve_one(live[0])
        names = [b.name for b in live]
        t = self.table
        with self.engine.begin() as conn:
            rows = self._locked(conn, names)
            if len(rows) < len(names):  # first use of a bucket: make its row, then lock it
                conn.execute(pg_insert(t).values(
                    [{"name": n, "tat": 0.0} for n in names if n not in rows]
                ).on_conflict_do_nothing())
                rows = self._locked(conn, names)
            now = conn.execute(sa.text("SELECT extract(epoch FROM clock_timestamp())::float8")
                               ).scalar_one()
            at, tats = slot(now, [(b, rows[b.name]) for b in live])
            conn.execute(t.update().where(t.c.name == sa.bindparam("n")),
                         [{"n": n, "tat": tat} for n, tat in zip(names, tats, strict=True)])
            if time.monotonic() - self.pruned > PRUNE_EVERY:
                self.pruned = time.monotonic()
                conn.execute(t.delete().where(t.c.tat < now - STALE, t.c.name.not_in(names)))
        return float(at - now)

    def _reserve_one(self, bucket: Bucket) -> float:
        """One bucket without a burst (the common case: a private chat's send counts against
        the bot's bucket only) in one statement: the row is made or moved under its lock, and
        the slot is its old `tat` or now, whichever is later (the new `tat` less one
        interval)."""
        with self.engine.begin() as conn:
            wait = conn.execute(_RESERVE_ONE, {"name": bucket.name,
                                               "interval": bucket.interval}).scalar_one()
        return max(0.0, float(wait))

    def _locked(self, conn: sa.Connection, names: list[str]) -> dict[str, float]:
        t = self.table
        rows = conn.execute(sa.select(t.c.name, t.c.tat).where(t.c.name.in_(names))
                            .order_by(t.c.name).with_for_update())
        return {name: float(tat) for name, tat in rows}


_NOW = "extract(epoch FROM clock_timestamp())::float8"
_RESERVE_ONE = sa.text(
    f"INSERT INTO rate_buckets AS b (name, tat) VALUES (:name, {_NOW} + :interval) "
    f"ON CONFLICT (name) DO UPDATE SET tat = GREATEST(b.tat, {_NOW}) + :interval "
    f"RETURNING b.tat - :interval - {_NOW}")


def budget_for(engine: Engine) -> Budget:
    """The budget every process on `engine`'s database shares (PostgreSQL), else this
    process's own."""
    return SharedBudget(engine) if engine.dialect.name == "postgresql" else LocalBudget()
