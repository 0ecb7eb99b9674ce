"""Housekeeping that long-running processes do now and then (and `casebot db prune`).

- Platform delivery ids (Slack event ids, Telegram update ids) are kept in `processed_events`
  so a redelivery does nothing. Platforms only redeliver for minutes to hours, so rows older
  than the retention (default 7 days, `CASEBOT_DELIVERY_RETENTION_HOURS`) are deleted.
- Sent and failed outbox mails older than `CASEBOT_OUTBOX_RETENTION_HOURS` (30 days) go; the
  outbox holds addresses and case text, and nothing reads old rows.
- Stored files that no draft and no case refers to, older than `CASEBOT_FILE_RETENTION_HOURS`
  (7 days), are deleted: a file sent and then abandoned is not kept forever (issue 11).
- Verification rows and upload counts older than the limits' longest window (a day) go.
- What a person not linked yet first asked for (`identity_waits`) goes after a week untouched:
  they never finished linking, and their next message starts over.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine

from bot.blobs import make_blobs
from bot.settings import Settings
from store.blobs import Blobs
from store.uow import unit_of_work

log = logging.getLogger(__name__)

PRUNE_EVERY_SECONDS = 3600.0
IDENTITY_WAIT_RETENTION = timedelta(days=7)


def retention(settings: Settings | None = None) -> timedelta:
    """The delivery-id retention: Settings' `CASEBOT_DELIVERY_RETENTION_HOURS` (7 days)."""
    hours = (settings or Settings()).delivery_retention_hours
    return timedelta(hours=max(hours, 0.0))


def prune_deliveries(engine: Engine, older_than: timedelta | None = None) -> int:
    """Delete delivery ids older than the retention; returns how many were deleted."""
    with unit_of_work(engine) as uow:
        count = uow.deliveries.forget(older_than if older_than is not None else retention())
    if count:
        log.info("forgot %d old delivery ids", count)
    return count


def prune_outbox(engine: Engine, older_than: timedelta) -> int:
    """Delete sent and failed mails older than `older_than`; pending ones always stay."""
    with unit_of_work(engine) as uow:
        return uow.outbox.forget_done(older_than)


def prune_alerts(engine: Engine, older_than: timedelta) -> int:
    """Delete staff alerts posted or given up longer ago than `older_than` (the outbox's
    retention: an alert is a message to staff as a mail is)."""
    with unit_of_work(engine) as uow:
        return uow.alerts.forget_done(older_than)


def prune_limits(engine: Engine, older_than: timedelta = timedelta(days=2)) -> int:
    """Forget verification rows and upload counts older than every limit's window."""
    with unit_of_work(engine) as uow:
        return uow.retention.forget_limits(older_than)


def prune_identity_waits(engine: Engine,
                         older_than: timedelta = IDENTITY_WAIT_RETENTION) -> int:
    """Forget the first asks of people who did not link within `older_than`."""
    with unit_of_work(engine) as uow:
        return uow.waits.forget(older_than)


def _shas(value: Any, out: set[str]) -> None:
    """Every `sha256` inside a draft's answers (attachments, nested forms' frames)."""
    if isinstance(value, dict):
        sha = value.get("sha256")
        if isinstance(sha, str):
            out.add(sha)
        for v in value.values():
            _shas(v, out)
    elif isinstance(value, list):
        for v in value:
            _shas(v, out)


def referenced_files(engine: Engine) -> set[str]:
    with unit_of_work(engine, read_only=True) as uow:
        shas = uow.cases.attachment_shas()
        shas |= uow.aside.raw_shas()  # mail kept aside for an operator, as it came
        for answers, stack in uow.conversations.answers_and_stacks():
            _shas(answers, shas)
            _shas(stack, shas)
    return shas


def prune_files(engine: Engine, files: Blobs, older_than: timedelta) -> int:
    """Delete stored files that no case or draft refers to and that are older than the
    retention (a file being attached right now is younger, so it is never taken), in
    whichever store they live (store/blobs)."""
    return files.prune(referenced_files(engine), older_than)


def prune_all(engine: Engine, settings: Settings,
              deliveries: timedelta | None = None) -> dict[str, int]:
    """Everything above, with the retentions from `settings`; returns counts per kind."""
    done = {"delivery ids": prune_deliveries(
        engine, deliveries if deliveries is not None else retention(settings))}
    done["mails"] = prune_outbox(engine, timedelta(hours=settings.outbox_retention_hours))
    done["staff alerts"] = prune_alerts(engine,
                                        timedelta(hours=settings.outbox_retention_hours))
    done["files"] = prune_files(engine, make_blobs(settings, engine),
                                timedelta(hours=settings.file_retention_hours))
    done["limit rows"] = prune_limits(engine)
    done["identity waits"] = prune_identity_waits(engine)
    if done["mails"] or done["files"]:
        log.info("pruned %d old mails and %d unreferenced files", done["mails"], done["files"])
    return done


class Pruner:
    """Call `maybe()` often (e.g. per event or from a timer): it prunes at most once an interval.

    Several workers may each run one; deleting the same old rows twice is harmless.
    """

    def __init__(self, engine: Engine, every: float = PRUNE_EVERY_SECONDS,
                 older_than: timedelta | None = None, settings: Settings | None = None) -> None:
        self.engine = engine
        self.settings = settings  # with settings, mails, files and limit rows are pruned too
        self.every = every
        self.older_than = older_than
        self._next = 0.0

    def maybe(self) -> int:
        now = time.monotonic()
        if now < self._next:
            return 0
        self._next = now + self.every
        try:
            if self.settings is not None:
                return sum(prune_all(self.engine, self.settings, self.older_than).values())
            return prune_deliveries(self.engine, self.older_than)
        except Exception as exc:  # housekeeping must never break event handling
            log.warning("pruning delivery ids failed: %s", type(exc).__name__)
            return 0
