"""Housekeeping that long-running processes do now and then: forgetting old delivery ids.

Platform delivery ids (Slack event ids, Telegram update ids) are kept in `processed_events`
so a redelivery does nothing. Platforms only redeliver for minutes to hours, so rows older
than the retention (default 7 days, `CASEBOT_DELIVERY_RETENTION_HOURS`) are deleted.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from store import repo

log = logging.getLogger(__name__)

DEFAULT_RETENTION_HOURS = 7 * 24
PRUNE_EVERY_SECONDS = 3600.0


def retention() -> timedelta:
    """The delivery-id retention from `CASEBOT_DELIVERY_RETENTION_HOURS` (default 7 days)."""
    raw = os.environ.get("CASEBOT_DELIVERY_RETENTION_HOURS", "").strip()
    try:
        hours = float(raw) if raw else DEFAULT_RETENTION_HOURS
    except ValueError:
        log.warning("CASEBOT_DELIVERY_RETENTION_HOURS is not a number; using %s",
                    DEFAULT_RETENTION_HOURS)
        hours = DEFAULT_RETENTION_HOURS
    return timedelta(hours=max(hours, 0.0))


def prune_deliveries(engine: Engine, older_than: timedelta | None = None) -> int:
    """Delete delivery ids older than the retention; returns how many were deleted."""
    with Session(engine) as s:
        count = repo.forget_deliveries(s, older_than if older_than is not None else retention())
        s.commit()
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
