"""Background work of a long-running chat process: mail delivery, the overdue sweep and
housekeeping.

`casebot slack` and `casebot telegram` start this beside their adapter, so one process is a
complete deployment; `casebot mail send` and `casebot db prune` do the same jobs separately.
On PostgreSQL none of it runs here: each mail is a job, and the overdue sweep and the
housekeeping are periodic jobs that `casebot worker` runs (bot/job_tasks.py).
The overdue sweep (bot/alerts.py) runs where alerts are delivered: here, beside the mail
sender, and in `casebot mail send`; it runs only when an alert destination is configured.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from bot.alerts import Staff, start_sweep
from bot.app import build_engine
from bot.mailer import start_sender
from bot.maintenance import Pruner
from bot.settings import Settings

log = logging.getLogger(__name__)


def start_background(settings: Settings, *, prune_every: float = 60.0) -> Callable[[], None]:
    """On SQLite, start the mail sender (when SMTP is configured), the overdue sweep (when
    staff alerts are) and the housekeeping (delivery ids and the rest); on PostgreSQL nothing
    (`casebot worker` does it all as jobs).

    Returns a function that stops them, finishing the mail in hand first.
    """
    engine = build_engine(settings, migrate=False)
    if engine.dialect.name != "sqlite":
        engine.dispose()
        return lambda: None
    sender = start_sender(engine, settings)
    sweep = start_sweep(engine, Staff.from_settings(settings))
    stop = threading.Event()
    pruner = Pruner(engine, settings=settings)

    def prune_loop() -> None:
        while not stop.wait(prune_every):
            pruner.maybe()

    pruner.maybe()
    thread = threading.Thread(target=prune_loop, name="casebot-pruner", daemon=True)
    thread.start()

    def shutdown() -> None:
        stop.set()
        for job in (sender, sweep):
            if job is not None:
                job[0].set()
                job[1].join(10)
        engine.dispose()

    return shutdown
