"""What slow work as jobs costs on PostgreSQL (issue 26): mail through `casebot worker`.

N outbox mails are queued (each defers its job in its own transaction: the cost added to
every change that sends mail), then W `casebot worker` processes send them to a local SMTP
sink; reported: the defer's added cost per mail, mails/s end to end and the workers' CPU per
mail. Then a worker is SIGKILLed in the middle of a slow zip check and the time until the
verdict is recorded by another worker is measured (the stalled-job hand-over).

    .venv/bin/python bench/jobs.py --postgres postgresql+psycopg://postgres@127.0.0.1/test \
        [--mails 500] [--workers 1,2]
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import scratch_database  # noqa: E402
from bot.app import build_service  # noqa: E402
from bot.jobs import job_rows  # noqa: E402
from bot.settings import Settings  # noqa: E402
from flows.errors import Invalid  # noqa: E402
from store.db import make_engine, upgrade  # noqa: E402
from store.uow import unit_of_work  # noqa: E402
from tests.smtpsink import SmtpSink  # noqa: E402
from tests.zipfactory import make_zipcrypto_zip  # noqa: E402


def queue(engine: sa.Engine, n: int, *, jobs: bool) -> float:
    """Seconds per mail queued (one transaction each)."""
    if jobs:
        build_service(Settings(home=Path(tempfile.mkdtemp()), database_url=str(engine.url)),
                      engine)
    started = time.perf_counter()
    for i in range(n):
        with unit_of_work(engine) as uow:
            uow.outbox.queue(kind="update", to=f"u{i}@example.com", subject=f"m{i}",
                             body_text="hello")
    return (time.perf_counter() - started) / n


def worker(url: str, home: str, **extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CASEBOT_DATABASE_URL": url, "CASEBOT_HOME": home,
           "PYTHONPATH": str(ROOT), "CASEBOT_MAIL_FROM": "bench@example.com", **extra}
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "worker"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def mail_run(server: str, n: int, workers: int) -> None:
    with scratch_database(server) as url:
        engine = make_engine(url)
        upgrade(engine)
        queue(engine, 20, jobs=False)  # warm the pool
        plain = queue(engine, n, jobs=False)
        with unit_of_work(engine) as uow:
            uow.conn.execute(sa.text("DELETE FROM outbox"))
        deferred = queue(engine, n, jobs=True)
        sink = SmtpSink().start()
        home = tempfile.mkdtemp()
        cpu = children_cpu()
        started = time.perf_counter()
        procs = [worker(url, home, CASEBOT_SMTP_URL=f"{sink.url}?starttls=0")
                 for _ in range(workers)]
        while len(sink.received) < n:
            time.sleep(0.05)
        took = time.perf_counter() - started
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(30)
        cpu = children_cpu() - cpu
        sink.stop()
        twice = sum(1 for c in sink.per_message_id().values() if c > 1)
        print(f"workers={workers}: queue a mail {plain * 1000:.2f} ms, with its job "
              f"{deferred * 1000:.2f} ms; {n} mails sent in {took:.1f} s "
              f"({n / took:.0f}/s incl. worker start-up), worker CPU {cpu / n * 1000:.1f} "
              f"ms/mail, sent twice: {twice}")
        engine.dispose()


def handover(server: str, stalled: float) -> None:
    with scratch_database(server) as url:
        engine = make_engine(url)
        upgrade(engine)
        home = Path(tempfile.mkdtemp())
        service = build_service(Settings(home=home, database_url=url), engine)
        slow = make_zipcrypto_zip(home / "slow.zip", {"a.bin": os.urandom(6_000_000)},
                                  "infected")
        ref = service.files.put_path(slow, "slow.zip")
        extra = {"CASEBOT_JOB_STALLED_SECONDS": str(stalled)}
        first = worker(url, str(home), **extra)
        with suppress(Invalid):  # "being checked"
            service.samples.check(ref.sha256, ref.path, "slow.zip", "infected", None,
                                  wait=0, waiter=("telegram", "1", None))
        while not any(j["status"] == "doing" for j in job_rows(engine)):
            time.sleep(0.05)
        time.sleep(0.5)
        first.kill()
        killed = time.perf_counter()
        second = worker(url, str(home), **extra)
        key = service.samples.key(ref.sha256, "infected", None)  # type: ignore[attr-defined]
        while True:
            with unit_of_work(engine, read_only=True) as uow:
                if uow.sample_checks.find(key).status == "done":
                    break
            time.sleep(0.1)
        took = time.perf_counter() - killed
        second.send_signal(signal.SIGTERM)
        second.wait(30)
        first.wait()
        print(f"zip check (6 MB ZipCrypto) killed mid-check: verdict {took:.1f} s after the "
              f"kill (stalled after {stalled:g} s, worker start-up and the whole check again)")
        engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--postgres", required=True)
    ap.add_argument("--mails", type=int, default=500)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--stalled", type=float, default=5.0)
    args = ap.parse_args()
    for w in (int(x) for x in args.workers.split(",")):
        mail_run(args.postgres, args.mails, w)
    handover(args.postgres, args.stalled)


if __name__ == "__main__":
    main()
