"""What a customer waits for (issue 26): from an operator's reply being committed to the
message arriving at Slack, on PostgreSQL, the chat process's notice loop (main's way before
this change, still the embedded SQLite way) against a `casebot worker` job, side by side.

Two scratch databases, one stand-in Slack (tests/e2e/fake_slack.py) in this process, and two
processes: a "loop" process that runs the Slack app's notice loop exactly as `casebot slack`
did on PostgreSQL (`SlackBot.start_notices`: woken by LISTEN/NOTIFY, claims, posts, acks), and
a real `casebot worker`. The replies alternate in rounds between the two, one at a time (a
reply, then wait for it to arrive), each to its own person (one DM each: the shared
per-channel rate budget never waits). A reply is `bot.updates.reply_case`, what `casebot cases
reply` and the console run; the clock starts when it returns (its transaction committed) and
stops when the stand-in receives chat.postMessage (both clocks in this process).

    .venv/bin/python bench/notices.py --postgres postgresql+psycopg://postgres@127.0.0.1/test \
        [--notices 100] [--round 20]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import scratch_database  # noqa: E402
from bot.app import build_service  # noqa: E402
from bot.service import Service  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.updates import reply_case  # noqa: E402
from store.db import make_engine, upgrade  # noqa: E402
from store.uow import unit_of_work  # noqa: E402
from tests.e2e.fake_slack import BOT_TOKEN, SECRET, Call, FakeSlack  # noqa: E402

LOOP_PROCESS = """
import signal, sys, threading
from bot.processes import build_slack_bot
from bot.settings import Settings
bot = build_slack_bot(Settings())
bot.start_notices()
print("ready", flush=True)
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
stop.wait()
bot.stop()
"""


def env_for(url: str, api_url: str) -> dict[str, str]:
    return {**os.environ, "CASEBOT_DATABASE_URL": url, "CASEBOT_HOME": tempfile.mkdtemp(),
            "PYTHONPATH": str(ROOT), "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": api_url,
            "CASEBOT_MAIL_FROM": "bench@example.com"}


def cases(service: Service, prefix: str, n: int) -> list[tuple[str, str]]:
    """n Slack persons, each with a case: (case number, DM channel)."""
    made = []
    with unit_of_work(service.engine) as s:
        for i in range(n):
            user = f"U{prefix}{i}"
            contact = s.contacts.ensure(f"{prefix}{i}@acme.example")
            s.contacts.link_identity(contact, "slack", f"T1:{user}", f"D{user}")
            case, _ = s.cases.create(contact, f"k{prefix}{i}", "slack",
                                     {"subject": "VPN drops", "severity": "Medium"})
            made.append((str(case.number), f"D{user}"))
    return made


def arrived(channel: str) -> Callable[[list[Call]], float | None]:
    def when(calls: list[Call]) -> float | None:
        return next((c.at for c in calls if c.method == "chat.postMessage"
                     and c.args.get("channel") == channel), None)
    return when


def one(fake: FakeSlack, service: Service, number: str, dm: str) -> float:
    reply_case(service, number, actor="cli:bench", text=f"Please try again ({number})")
    committed = time.monotonic()
    return fake.wait_for(arrived(dm), 30.0) - committed


def summary(name: str, ms: list[float]) -> str:
    ms = sorted(ms)
    p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
    return (f"{name:5} n={len(ms)}  median {statistics.median(ms):6.1f} ms  p99 {p99:6.1f} ms"
            f"  min {ms[0]:5.1f}  max {ms[-1]:6.1f}")


def start(way: str, url: str, api_url: str) -> subprocess.Popen[str]:
    """The loop process (main's Slack process's notice loop) or a `casebot worker`."""
    command = ["-c", LOOP_PROCESS] if way == "loop" else ["-m", "bot.cli", "worker"]
    proc = subprocess.Popen([sys.executable, *command], cwd=ROOT, env=env_for(url, api_url),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    if way == "loop":
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
    return proc


def measure(fake: FakeSlack, urls: dict[str, str], n: int, size: int) -> dict[str, list[float]]:
    """Milliseconds per reply, each way, in alternating rounds of `size`."""
    services, todo, procs = {}, {}, []
    for way, url in urls.items():
        engine = make_engine(url)
        upgrade(engine)
        services[way] = build_service(Settings(home=Path(tempfile.mkdtemp()),
                                               database_url=url), engine)
        todo[way] = cases(services[way], way, n + 1)
    took: dict[str, list[float]] = {way: [] for way in urls}
    try:
        procs = [start(way, url, fake.api_url) for way, url in urls.items()]
        for way in urls:  # warm both: connections, the worker's first fetch
            one(fake, services[way], *todo[way].pop())
        while any(todo.values()):
            for way in urls:
                for _ in range(min(size, len(todo[way]))):
                    took[way].append(1000 * one(fake, services[way], *todo[way].pop()))
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(30)
        for service in services.values():
            service.engine.dispose()
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--postgres", required=True)
    ap.add_argument("--notices", type=int, default=100)
    ap.add_argument("--round", type=int, default=20)
    args = ap.parse_args()
    with FakeSlack() as fake, scratch_database(args.postgres) as loop_url, \
            scratch_database(args.postgres) as job_url:
        took = measure(fake, {"loop": loop_url, "job": job_url}, args.notices, args.round)
    print(f"commit of an operator reply -> chat.postMessage at the stand-in, PostgreSQL, "
          f"{os.cpu_count()} CPUs")
    for way in ("loop", "job"):
        print(summary(way, took[way]))
    ratio = statistics.median(took["job"]) / statistics.median(took["loop"])
    print(f"job/loop median ratio {ratio:.2f}")


if __name__ == "__main__":
    main()
