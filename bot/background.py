"""Background work of a long-running chat process: mail delivery and housekeeping.

`casebot slack` and `casebot telegram` start this beside their adapter, so one process is a
complete deployment; `casebot mail send` and `casebot db prune` do the same jobs separately.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from bot.app import build_engine
from bot.mailer import start_sender
from bot.maintenance import Pruner
from bot.settings import Settings

log = logging.getLogger(__name__)


def start_background(settings: Settings, *, prune_every: float = 60.0) -> Callable[[], None]:
    """Start the mail sender (when SMTP is configured) and the delivery-id pruner.

    Returns a function that stops both, finishing the mail in hand first.
    """
    engine = build_engine(settings, migrate=False)
    sender = start_sender(engine, settings)
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
        if sender is not None:
            sender[0].set()
            sender[1].join(10)
        engine.dispose()

    return shutdown
