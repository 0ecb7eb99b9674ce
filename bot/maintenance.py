"""Housekeeping that long-running processes do now and then: forgetting old delivery ids.

Platform delivery ids (Slack event ids, Telegram update ids) are kept in `processed_events`
so a redelivery does nothing. Platforms only redeliver for minutes to hours, so rows older
than the retention (default 7 days, `CASEBOT_DELIVERY_RETENTION_HOURS`) are deleted.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from sqlalchemy.engine import Engine

from bot.settings import Settings
from store import repo
from store.uow import unit_of_work

log = logging.getLogger(__name__)

PRUNE_EVERY_SECONDS = 3600.0


def retention(settings: Settings | None = None) -> timedelta:
    """The delivery-id retention: Settings' `CASEBOT_DELIVERY_RETENTION_HOURS` (7 days)."""
    hours = (settings or Settings()).delivery_retention_hours
    return timedelta(hours=max(hours, 0.0))


def prune_deliveries(engine: Engine, older_than: timedelta | None = None) -> int:
    """Delete delivery ids older than the retention; returns how many were deleted."""
    with unit_of_work(engine) as s:
        count = repo.forget_deliveries(s, older_than if older_than is not None else retention())
    if count:
        log.info("forgot %d old delivery ids", count)
    return count


class Pruner:
    """Call `maybe()` often (e.g. per event or from a timer): it prunes at most once an interval.

    Several workers may each run one; deleting the same old rows twice is harmless.
    """

    def __init__(self, engine: Engine, every: float = PRUNE_EVERY_SECONDS,
                 older_than: timedelta | None = None) -> None:
        self.engine = engine
        self.every = every
        self.older_than = older_than
        self._next = 0.0

    def maybe(self) -> int:
        now = time.monotonic()
        if now < self._next:
            return 0
        self._next = now + self.every
        try:
            return prune_deliveries(self.engine, self.older_than)
        except Exception as exc:  # housekeeping must never break event handling
            log.warning("pruning delivery ids failed: %s", type(exc).__name__)
            return 0
