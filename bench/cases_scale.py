"""Does a step stay fast with a million stored cases? (issue 7, item 7, the scale part)

Builds two databases that differ only in how many cases they hold (1,000 vs 1,000,000; the
measured 50 contacts own 20 each, the rest belong to 1,000 filler contacts; every case has
its "created" timeline event), then times, side by side in interleaved rounds: an engine
step (answer the subject / `/back`, as bench/engine_step.py does), `/cases` and `/case N`
for a contact.
The fill is bulk SQL (a recursive CTE on SQLite, generate_series on PostgreSQL), then ANALYZE.

    .venv/bin/python bench/cases_scale.py [--small 1000] [--large 1000000] [--rounds 5]
    CASEBOT_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/cases_scale.py --db postgresql
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

from bench.common import prepare
from bot.app import build_service
from bot.protocol import Who
from bot.service import Service
from bot.settings import Settings
from flows.model import Inbound
from store.db import make_engine, upgrade

FILLER_CONTACTS = 1000
PEOPLE = 50
MINE = 20  # each measured contact owns a full /cases page in both databases


def people_ready(service: Service, n: int) -> list[Who]:
    people = []
    for i in range(n):
        who = Who("console", f"user{i}@acme.example", email=f"user{i}@acme.example")
        prepare(service, who)
        people.append(who)
    return people


def fill(engine: sa.Engine, cases: int) -> float:
    """Filler contacts, then `cases` cases, each with a timeline event: the first
    PEOPLE x MINE belong to the measured contacts, the rest to the fillers, so /cases and
    /case N do the same work in both databases and only the table size differs."""
    pg = engine.dialect.name == "postgresql"
    started = time.perf_counter()
    with engine.begin() as conn:
        if pg:
            series = "SELECT x FROM generate_series(1, :n) AS x"
            now, empty, details = "now()", "'[]'::jsonb", "'{\"severity\": \"Low\"}'::jsonb"
            to_text = "(:base + x)::text"
        else:
            series = ("WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq "
                      "WHERE x < :n) SELECT x FROM seq")
            now, empty, details = "datetime('now')", "'[]'", "'{\"severity\": \"Low\"}'"
            to_text = "CAST(:base + x AS TEXT)"
        acct = conn.execute(sa.text("SELECT min(id) FROM accounts")).scalar()
        conn.execute(sa.text(
            f"INSERT INTO contacts (account_id, email, name, case_recipients, created_at) "
            f"SELECT :acct, 'filler' || x || '@acme.example', '', {empty}, {now} "
            f"FROM ({series}) AS s"), {"acct": acct, "n": FILLER_CONTACTS})
        lo, hi, count = conn.execute(sa.text(
            "SELECT min(id), max(id), count(*) FROM contacts")).one()
        assert hi - lo + 1 == count, "contact ids are not contiguous"
        first = (conn.execute(sa.text("SELECT max(id) FROM cases")).scalar() or 0) + 1
        conn.execute(sa.text(
            f"INSERT INTO cases (id, number, idempotency_key, contact_id, channel, status, "
            f"subject, details, created_at, updated_at) "
            f"SELECT :first + x, {to_text.replace(':base', ':base + :first')}, "
            f"'fill:' || x, CASE WHEN x <= :mine THEN :lo + ((x - 1) % :people) "
            f"ELSE :lo + :people + ((x - 1) % :fillers) END, 'console', 'open', "
            f"'Filler case ' || x, "
            f"{details}, {now}, {now} FROM ({series}) AS s"),
            {"n": cases, "first": first - 1, "base": 10_000_000, "lo": lo, "people": PEOPLE,
             "fillers": count - PEOPLE, "mine": PEOPLE * MINE})
        conn.execute(sa.text(
            f"INSERT INTO case_events (case_id, at, kind, text) SELECT id, {now}, 'created', "
            f"'Case opened from console.' FROM cases"))
        if pg:
            conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('cases', 'id'), "
                                 "(SELECT max(id) FROM cases))"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # VACUUM too, so autovacuum does not start on the fresh rows while we measure
        conn.execute(sa.text("VACUUM ANALYZE" if pg else "ANALYZE"))
        if pg:
            conn.execute(sa.text("CHECKPOINT"))
    return time.perf_counter() - started


class Setup:
    def __init__(self, label: str, url: str, home: Path, cases: int) -> None:
        self.label = label
        self.engine = make_engine(url)
        upgrade(self.engine)
        self.service = build_service(Settings(home=home, database_url=url), self.engine)
        self.people = people_ready(self.service, PEOPLE)
        self.fill_seconds = fill(self.engine, cases)
        with self.engine.connect() as conn:
            self.cases: int = conn.execute(sa.text("SELECT count(*) FROM cases")).scalar_one()
            self.numbers: dict[Who, str] = {}
            for who in self.people:
                self.numbers[who] = conn.execute(sa.text(
                    "SELECT max(c.number) FROM cases c JOIN contacts t ON t.id = c.contact_id "
                    "WHERE t.email = :e"), {"e": who.email}).scalar_one()
        self.samples: dict[str, list[float]] = {"step": [], "/cases": [], "/case N": []}
        self.turn = 0

    def round(self, calls: int) -> None:
        subject = Inbound(kind="text", text="Agent crashes on update")
        back = Inbound(kind="command", command="back")
        handle = self.service.handle
        for i in range(calls):
            who = self.people[i % len(self.people)]
            inbound = subject if (self.turn // len(self.people)) % 2 == 0 else back
            self.turn += 1
            t = time.perf_counter()
            handle(who, inbound)
            self.samples["step"].append(time.perf_counter() - t)
            t = time.perf_counter()
            prompts = handle(who, Inbound(kind="command", command="cases"))
            self.samples["/cases"].append(time.perf_counter() - t)
            assert prompts[0].data.get("cases"), prompts
            t = time.perf_counter()
            prompts = handle(who, Inbound(kind="command", command="case",
                                          args=self.numbers[who]))
            self.samples["/case N"].append(time.perf_counter() - t)
            assert "case" in prompts[0].data, prompts

    def close(self) -> None:
        self.engine.dispose()


def pg_database(base: str) -> tuple[str, Callable[[], None]]:
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"casebot_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False), drop


def scale_args(calls: int) -> argparse.Namespace:
    """The options every small-vs-large bench takes (this one and bench/web_scale.py)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--small", type=int, default=1000)
    ap.add_argument("--large", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--calls", type=int, default=calls, help="per round and size")
    ap.add_argument("--slice", type=int, default=10, help="calls before switching size")
    return ap.parse_args()


def database_url(args: argparse.Namespace, tmp: str, size: int,
                 drops: list[Callable[[], None]]) -> str:
    """A fresh database for one size: a SQLite file in `tmp`, or a new PostgreSQL database
    (its drop is added to `drops`)."""
    if args.db != "postgresql":
        return f"sqlite:///{Path(tmp) / f'cases{size}.db'}"
    base = os.environ.get("CASEBOT_TEST_POSTGRES_URL")
    if not base:
        sys.exit("set CASEBOT_TEST_POSTGRES_URL for --db postgresql")
    url, drop = pg_database(base)
    drops.append(drop)
    return url


def main() -> None:
    args = scale_args(calls=200)
    drops: list[Callable[[], None]] = []
    with tempfile.TemporaryDirectory() as tmp:
        setups = []
        for size in (args.small, args.large):
            url = database_url(args, tmp, size, drops)
            setups.append(Setup(f"{size:,}", url, Path(tmp) / f"home{size}", size))
        # small slices, alternating, so machine noise lands on both sizes alike
        for _ in range(args.rounds * args.calls // args.slice):
            for st in setups:
                st.round(args.slice)
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
              f"{platform.python_version()}, {args.db}; {PEOPLE} contacts measured, "
              f"{args.rounds}x{args.calls} calls per operation and size")
        for st in setups:
            print(f"{st.label}: {st.cases:,} cases stored; fill {st.fill_seconds:.1f} s")
        small, large = setups
        print(f"{'operation':10} {'median ' + small.label:>16} {'median ' + large.label:>18} "
              f"{'ratio':>6} {'p99 ' + large.label:>16}")
        for op in small.samples:
            a = statistics.median(small.samples[op]) * 1000
            b = statistics.median(large.samples[op]) * 1000
            p99 = statistics.quantiles(large.samples[op], n=100)[98] * 1000
            print(f"{op:10} {a:>13.3f} ms {b:>15.3f} ms {b / a:>5.2f}x {p99:>13.3f} ms")
        for st in setups:
            st.close()
    for drop in drops:
        drop()


if __name__ == "__main__":
    main()
