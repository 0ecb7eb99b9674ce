"""What one chat step costs the database layer: statements, transactions and CPU per step.

A contact at the subject question types a subject, then `/back`, alternately, through
`Chat.handle` (the call every adapter makes), with a delivery id each as the chats send.
Engine events count the statements and transactions SQLAlchemy sees; `time.process_time`
measures this process's CPU per step (median). Runs on a checkout from before issue 21 too
(there the step's statements ran on the raw cursor, so events saw none of them), so a
before/after pair can be taken side by side:

    .venv/bin/python bench/step_cost.py [--db sqlite|postgresql] [--steps 200]
    (cd ../baseline && .venv/bin/python ../main/bench/step_cost.py --db postgresql)

PostgreSQL needs CASEBOT_TEST_POSTGRES_URL (a database step_cost_<pid> is created beside it
and dropped afterwards).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, os.getcwd())  # the checkout being measured (this one, or an older one)

import sqlalchemy as sa

from bench.common import prepare
from bot.app import build_service
from bot.chat import Chat
from bot.settings import Settings
from flows.model import Inbound
from store.db import make_engine, upgrade

try:
    from bot.protocol import Who
except ImportError:  # a checkout from before issue 21
    from bot.service import Who  # type: ignore[attr-defined]


def database(kind: str) -> tuple[str, sa.Engine | None]:
    if kind == "sqlite":
        return f"sqlite:///{tempfile.mkdtemp()}/casebot.db", None
    base = os.environ.get("CASEBOT_TEST_POSTGRES_URL")
    if not base:
        raise SystemExit("--db postgresql needs CASEBOT_TEST_POSTGRES_URL")
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"step_cost_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return sa.engine.make_url(base).set(database=name).render_as_string(
        hide_password=False), admin


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--steps", type=int, default=200)
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    url, admin = database(args.db)
    engine = make_engine(url)
    try:
        upgrade(engine)
        service = build_service(Settings(home=Path(tempfile.mkdtemp()), database_url=url),
                                engine=engine)
        chat = Chat(service)
        who = Who("telegram", "42", email="pat@acme.example", chat_ref="42")
        prepare(service, who)
        verbs: Counter[str] = Counter()
        tx: Counter[str] = Counter()

        def statement(_conn: Any, _cursor: Any, sql: str, *_rest: Any) -> None:
            verbs[sql.split(None, 1)[0].upper()] += 1

        sa.event.listen(engine, "before_cursor_execute", statement)
        for name in ("begin", "commit", "rollback"):
            sa.event.listen(engine, name, lambda _conn, name=name: tx.update([name]))
        cpu = []
        for i in range(args.steps):
            ask = (Inbound.from_text(f"Subject {i}") if i % 2 == 0
                   else Inbound(kind="command", command="back"))
            started = time.process_time()
            chat.handle(who, ask, delivery_id=f"step-{i}")
            cpu.append(time.process_time() - started)
        n = args.steps
        shown = ", ".join(f"{v} {c / n:.2f}" for v, c in sorted(verbs.items())) or "none seen"
        print(f"{args.db}, {n} steps: statements a step {sum(verbs.values()) / n:.2f} ({shown}); "
              f"transactions a step {tx['begin'] / n:.2f} (commits {tx['commit'] / n:.2f}); "
              f"CPU a step, median {statistics.median(cpu) * 1000:.3f} ms")
    finally:
        engine.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(sa.text(
                    f'DROP DATABASE IF EXISTS "step_cost_{os.getpid()}" WITH (FORCE)'))
            admin.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
