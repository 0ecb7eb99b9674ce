"""What a reservation in the shared outbound rate budget costs (issue 26, store/budget.py).

Every Telegram send that names a chat (and every Slack notice or alert) reserves its slot in a
PostgreSQL row first. N senders, each with its own engine as separate processes would have,
reserve in the bot's bucket as fast as they can (the limit set far above what they reach, so
nobody waits): reservations a second, and each one's latency.

    .venv/bin/python bench/rate_budget.py [--senders 1,2,4,8] [--postgres URL]

`--postgres`: a server URL (default CASEBOT_TEST_POSTGRES_URL); a scratch database is made on
it and dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import scratch_database
from store.budget import Bucket, SharedBudget
from store.db import make_engine, upgrade

RESERVATIONS = 400


def run(url: str, senders: int) -> str:
    budgets = [SharedBudget(make_engine(url)) for _ in range(senders)]
    latencies: list[float] = []
    bucket = Bucket("telegram:1:bot", 1_000_000.0)

    def send(budget: SharedBudget) -> None:
        for _ in range(RESERVATIONS // senders):
            started = time.perf_counter()
            budget.reserve([bucket])
            latencies.append(time.perf_counter() - started)

    threads = [threading.Thread(target=send, args=(b,)) for b in budgets]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.perf_counter() - started
    for b in budgets:
        b.engine.dispose()
    latencies.sort()
    return (f"| {senders} | {len(latencies) / took:,.0f} | "
            f"{latencies[len(latencies) // 2] * 1000:.2f} | "
            f"{latencies[int(len(latencies) * 0.99)] * 1000:.2f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--senders", default="1,2,4,8")
    ap.add_argument("--postgres", default=os.environ.get("CASEBOT_TEST_POSTGRES_URL"))
    args = ap.parse_args()
    if not args.postgres:
        raise SystemExit("give --postgres URL (or set CASEBOT_TEST_POSTGRES_URL)")
    with scratch_database(args.postgres, "casebot_budget") as url:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        print("| senders | reservations/s | p50 ms | p99 ms |\n|---|---|---|---|")
        for n in (int(x) for x in args.senders.split(",")):
            print(run(url, n))

if __name__ == "__main__":
    main()
