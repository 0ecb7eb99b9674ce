"""What one overdue sweep (bot/alerts.py) costs as the desk grows (issue 24).

N cases are written straight into a fresh database (30 % unresolved, a tenth of those
overdue, a third of the overdue ones not alerted yet); the sweeps then alert the backlog, and
the time of a sweep after that (nothing new to tell) is what every Slack, Telegram and
`casebot mail send` process pays every 15 seconds.

    .venv/bin/python bench/overdue_sweep.py [--cases 1000,200000] [--postgres URL]

`--postgres`: a server URL; a scratch database is made on it and dropped afterwards.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.alerts import OverdueSweep, Staff
from store.db import make_engine, table_of, upgrade
from store.tables import Account, Case, Contact, utcnow

BATCH = 10_000


def fill(engine: sa.Engine, count: int) -> None:
    now = utcnow()
    cases = table_of(Case)
    with engine.begin() as conn:
        conn.execute(table_of(Account).insert().values(id=1, name="Acme", created_at=now))
        conn.execute(table_of(Contact).insert().values(
            id=1, account_id=1, email="pat@acme.example", name="", case_recipients=[],
            created_at=now))
        rows = []
        for i in range(count):
            due = now + timedelta(minutes=i % 1000 - 100)
            rows.append({"number": str(10_000_000 + i), "idempotency_key": f"k{i}",
                         "contact_id": 1, "channel": "console",
                         "status": "resolved" if i % 10 < 7 else "open", "subject": "s",
                         "details": {}, "created_at": now, "updated_at": now, "version": 1,
                         "due_at": due, "due_sort": due, "alerted_due_at": due if i % 2 else None})
            if len(rows) == BATCH:
                conn.execute(cases.insert(), rows)
                rows = []
        if rows:
            conn.execute(cases.insert(), rows)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE cases"))


def measure(url: str, count: int) -> str:
    engine = make_engine(url)
    upgrade(engine)
    fill(engine, count)
    sweep = OverdueSweep(engine, Staff(slack_channel="CSTAFF"))
    told = 0
    while True:
        got = sweep.run()
        told += got
        if not got and sweep.position is None:
            break
    times = []
    for _ in range(7):
        start = time.perf_counter()
        assert sweep.run() == 0
        times.append(time.perf_counter() - start)
    engine.dispose()
    times.sort()
    return (f"{engine.dialect.name:10} {count:>9} cases: {told} alerted by the first sweeps; "
            f"a sweep then: median {times[3] * 1000:.1f} ms, best {times[0] * 1000:.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cases", default="1000,200000")
    ap.add_argument("--postgres", default=None)
    args = ap.parse_args()
    for count in (int(c) for c in args.cases.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            print(measure(f"sqlite:///{tmp}/bench.db", count), flush=True)
        if args.postgres:
            name = f"bench_{uuid.uuid4().hex[:10]}"
            admin = sa.create_engine(args.postgres, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            try:
                url = sa.make_url(args.postgres).set(database=name)
                print(measure(url.render_as_string(hide_password=False), count), flush=True)
            finally:
                with admin.connect() as conn:
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
                admin.dispose()


if __name__ == "__main__":
    main()
