"""Chat work as jobs on PostgreSQL: case updates to Slack and Telegram chats, staff alerts to
the staff channel, App Home refreshes. `casebot worker` runs them (bot/job_tasks.py); the
chat processes on PostgreSQL run no notice loop.

The row stays the record of truth: a `chat_notices` or `staff_alerts` row is written in the
transaction of the change that causes it, and its job is deferred in that same transaction
(bot/jobs.py), so the two exist together. The job delivers that row and nothing else:

1. claim it with the compare-and-set the loops use (bot/notices.py, bot/alerts.py), committed
   before posting. A row already sent (or dropped) is left alone: a retried or duplicate job
   posts nothing. A row claimed by a run that is still alive is not taken (procrastinate's
   lock on `notice:<id>` keeps two runs of one job apart anyway; the claim's lease covers any
   other sender);
2. post it (the adapter's sender, through the shared rate budget);
3. record the outcome in one short transaction right after the platform answers: sent (with
   the platform's message ids, so a reply to them reaches the case), or handed back and the
   job retried with back-off, or dropped after `notices.GIVE_UP_AFTER` tries (an alert: after
   a day) and the job failed (listed by `casebot jobs list --failed` and the console's /jobs).

Delivery is at least once, not exactly once: a worker that dies after the platform accepted
a message and before step 3 commits leaves the row claimed; when its claim's lease has run out
(`lease`: twice CASEBOT_JOB_STALLED_SECONDS, after the queue handed the stalled job back) the
job posts it again, so the customer (or the staff channel) sees that message twice. Nothing
else runs in that window: the App Home refresh is a job of its own, deferred in step 3's
transaction (`publish_home`, one waiting per person, idempotent: the view is replaced
whole). A notice of several parts (Telegram's long texts, files) that failed part-way is sent
again whole on its retry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from bot import alerts, notices
from bot.alerts import Staff
from bot.jobs import NOTICE_CHANNELS, GiveUp, QueueJobs, Retry
from bot.protocol import Alert, Notice, Outcome
from store.blobs import Blobs
from store.tables import NEVER, as_utc, utcnow
from store.uow import unit_of_work

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(minutes=10)
NOT_CONFIGURED_WAIT = timedelta(minutes=5)

PostNotice = Callable[[Notice], tuple[Outcome, list[str]]]


@dataclass
class Outbound:
    """What the worker posts with, built from adapters/ by the composition root
    (bot/processes.py): a notice sender per channel, the staff-alert poster, the App Home
    refresh (by a Slack person's external id), and what to close at the end."""

    notices: Mapping[str, PostNotice] = field(default_factory=dict)
    alert: Callable[[Alert], str | None] | None = None
    home: Callable[[str], None] | None = None
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for close in self.closers:
            try:
                close()
            except Exception:  # one platform's shutdown must not keep the other open
                log.exception("closing a chat client failed")


NOBODY = Outbound()


class ChatJobs:
    """The handlers of `send_notice`, `post_alert` and `publish_home` (see the docstring)."""

    def __init__(self, engine: Engine, files: Blobs, staff: Staff, outbound: Outbound,
                 queue: QueueJobs, *, lease: timedelta, retry_seconds: float) -> None:
        self.engine = engine
        self.files = files
        self.staff = staff
        self.outbound = outbound
        self.queue = queue
        self.lease = lease
        self.retry_seconds = max(retry_seconds, 0.1)

    # -- case updates ----------------------------------------------------------------------

    def send_notice(self, notice_id: int) -> None:
        with unit_of_work(self.engine) as uow:
            row = uow.notices.get(notice_id)
            if row is None or row.status in ("sent", "failed"):
                return  # done (by an earlier run) or gone: nothing to post
            post = self.outbound.notices.get(row.channel)
            if post is None:
                raise Retry(f"this worker cannot post to {row.channel}: set its credentials "
                            "(SLACK_BOT_TOKEN or SLACK_CLIENT_ID/SECRET, TELEGRAM_BOT_TOKEN) "
                            "in every worker's environment", utcnow() + NOT_CONFIGURED_WAIT)
            notice = notices.claim_one(uow, notice_id, lease=self.lease,
                                       file_path=self.files.where)
            claimed_at = row.claimed_at
        if notice is None:  # another sender's claim, still live: look again when it ends
            at = as_utc(claimed_at) + self.lease if claimed_at is not None else None
            raise Retry(f"notice {notice_id} is being sent by another run", at)
        try:
            outcome, refs = post(notice)
        except Exception as exc:  # not the platform's answer (a bug?): handed back, retried
            log.exception("posting notice %s failed", notice_id)
            outcome, refs, error = Outcome.RETRY, [], f"{type(exc).__name__}: {exc}"
        else:
            error = f"{notice.channel} did not take it (the worker's log says why)"
        with unit_of_work(self.engine) as uow:
            notices.ack(uow, notice_id, outcome, [r for r in refs if r])
            row = uow.notices.get(notice_id)
            attempts = row.attempts if row is not None else 0
            if outcome is Outcome.SENT and notice.channel == "slack" \
                    and self.outbound.home is not None:
                self.queue.defer(uow.conn, "publish_home", lock=f"home:{notice.external_id}",
                                 external_id=notice.external_id)
        if outcome is Outcome.SENT:
            return
        if outcome is Outcome.GIVE_UP or attempts >= notices.GIVE_UP_AFTER:
            raise GiveUp(f"notice {notice_id} dropped after {attempts} tries: {error}")
        raise Retry(f"{error} (try {attempts} of {notices.GIVE_UP_AFTER})",
                    utcnow() + self._backoff(attempts))

    def _backoff(self, attempts: int) -> timedelta:
        return min(timedelta(seconds=self.retry_seconds * 2 ** max(attempts - 1, 0)),
                   MAX_BACKOFF)

    def publish_home(self, external_id: str) -> None:
        if self.outbound.home is not None:
            self.outbound.home(external_id)

    # -- staff alerts ----------------------------------------------------------------------

    def post_alert(self, alert_id: int) -> None:
        if self.outbound.alert is None:
            raise Retry("this worker cannot post staff alerts: set the Slack credentials in "
                        "its environment", utcnow() + NOT_CONFIGURED_WAIT)
        with unit_of_work(self.engine) as uow:
            alert = alerts.claim_one(uow, self.staff, alert_id, lease=self.lease)
        if alert is None:
            at = self._alert_due(alert_id)
            if at is None:
                return  # posted, given up or gone
            raise Retry(f"staff alert {alert_id} is not due yet", at)
        try:
            error = self.outbound.alert(alert)
        except Exception as exc:
            log.exception("posting staff alert %s failed", alert_id)
            error = f"{type(exc).__name__}: {exc}"
        with unit_of_work(self.engine) as uow:
            alerts.ack(uow, alert_id, error, self.staff)
        if error is None:
            return
        at = self._alert_due(alert_id)
        if at is None:
            raise GiveUp(f"staff alert {alert_id} given up: {error}")
        raise Retry(error, at)

    def _alert_due(self, alert_id: int) -> datetime | None:
        """When an unsent alert may next be taken; None when there is nothing to post."""
        with unit_of_work(self.engine, read_only=True) as uow:
            row = uow.alerts.get(alert_id)
            if row is None or row.sent_at is not None or as_utc(row.next_attempt_at) >= NEVER:
                return None
            return as_utc(row.next_attempt_at)

    # -- the relay's look (bot/job_tasks.py) -------------------------------------------------

    def relay(self, before: datetime) -> list[tuple[str, str, dict[str, Any]]]:
        """(task, lock, args) of the rows due a job for a while."""
        with unit_of_work(self.engine, read_only=True) as uow:
            waiting = uow.notices.waiting_since(NOTICE_CHANNELS, before, before - self.lease)
            due = [int(r.id) for r in uow.alerts.due(before, 500)]
        return [*(("send_notice", f"notice:{i}", {"notice_id": i}) for i in waiting),
                *(("post_alert", f"alert:{i}", {"alert_id": i}) for i in due)]
