"""What `casebot worker` runs (PostgreSQL): the jobs' handlers, the relay and stalled-job
recovery, on one procrastinate worker.

- `check_sample(check_id)`: bot/sample_jobs.run_check; a verdict recorded once.
- `send_mail(mail_id)`: the mailer's claim (a compare-and-set with a lease) guards against a
  double send; its SMTP classification decides: a temporary failure is retried at the
  outbox's own backoff (`Retry(at=next_attempt_at)`), a permanent one fails the job. A mail
  "sending" under a live lease (its sender was killed mid-send) is tried when the lease ends.
- `send_notice(notice_id)`, `post_alert(alert_id)`, `publish_home(external_id)`: chat work
  (bot/chat_jobs.py): a case update to a Slack DM or Telegram chat, a staff alert to the staff
  channel, a Slack App Home refresh, posted with the platform clients the composition root
  gives the worker (bot/processes.py); chat processes on PostgreSQL run no notice loop.
- `relay` (every 30 s): rows whose job was lost get one again (bot/jobs.py).
- `prune` (hourly): `casebot db prune`'s housekeeping (bot/maintenance.py), which the chat
  processes do themselves on SQLite.
- `overdue_sweep` (every 15 s, when staff alerts are configured): bot/alerts.OverdueSweep, on
  whichever worker takes it (its claim alerts each due time once); chat processes on
  PostgreSQL no longer run it.
- `recover_stalled` (every few seconds): jobs of a worker that stopped sending heartbeats
  (killed, machine gone) are handed back to the queue, so another worker runs them.

Each job's last error is kept in `job_errors` for `casebot jobs list` and the console.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from bot.alerts import SWEEP_EVERY, OverdueSweep, Staff
from bot.blobs import make_blobs
from bot.chat_jobs import NOBODY, ChatJobs, Outbound
from bot.jobs import QUEUE, GiveUp, QueueJobs, Retry, attach, retry_strategy
from bot.mailer import Sender, make_sender
from bot.maintenance import prune_all
from bot.sample_jobs import run_check
from bot.settings import Settings
from store.tables import utcnow
from store.uow import unit_of_work

log = logging.getLogger(__name__)

RELAY_AFTER = timedelta(seconds=60)  # a row this old without its job is deferred again
# how often an idle worker looks for due jobs besides being woken by NOTIFY: a retry's or a
# scheduled job's time, and the bound on a lost wake-up (procrastinate clears its wake-up flag
# after each fetch, so a job committed while a fetch runs waits for the next look; 5 s, the
# library's default, made about one operator reply in a hundred wait 4-5 s: bench/notices.py)
FETCH_EVERY = 1.0
PRUNE_MINUTE = 17  # housekeeping once an hour, at this minute (not the busy top of the hour)


class Runtime:
    """The worker's handlers over one engine and the settings."""

    def __init__(self, settings: Settings, engine: Engine,
                 outbound: Outbound = NOBODY) -> None:
        self.settings = settings
        self.engine = engine
        queue = attach(engine)
        assert queue is not None, "jobs run on PostgreSQL only"
        self.queue: QueueJobs = queue
        self.files = make_blobs(settings, engine)
        make_sender(engine, settings)  # a bad CASEBOT_SMTP_URL fails here, at start
        staff = Staff.from_settings(settings)
        self.sweep = OverdueSweep(engine, staff)
        # a claim older than this belongs to a run that is gone: the queue hands a job back
        # after job_stalled_seconds without a heartbeat (bot/chat_jobs.py)
        self.chat = ChatJobs(engine, self.files, staff, outbound, self.queue,
                             lease=timedelta(seconds=2 * settings.job_stalled_seconds),
                             retry_seconds=settings.notice_retry_seconds)

    def check_sample(self, check_id: int) -> None:
        run_check(self.engine, self.files, check_id, self.settings.zip_check_seconds,
                  self.settings.default_language)

    def send_mail(self, mail_id: int) -> None:
        # a sender per job: it holds its SMTP connection, and jobs run in several threads
        sender = make_sender(self.engine, self.settings)
        if sender is None:  # no CASEBOT_SMTP_URL: mail waits in the outbox
            raise Retry("CASEBOT_SMTP_URL is not set", utcnow() + timedelta(minutes=5))
        mail = sender.claim_one(mail_id)
        if mail is None:
            status, at = self._mail_state(mail_id)
            if status in ("pending", "sending") and at is not None:
                raise Retry(f"mail {mail_id} is not due yet ({status})", at)
            return  # sent, failed or gone: nothing to do
        try:
            outcome, detail = asyncio.run(_deliver(sender, mail))
        except Exception as exc:  # not an SMTP outcome (a bug?): back to the queue, not leased
            sender.mark_retry(mail, f"{type(exc).__name__}: {exc}")
            raise Retry(f"{type(exc).__name__}: {exc}", self._mail_state(mail_id)[1]) from exc
        if outcome == "retry":
            raise Retry(str(detail), self._mail_state(mail_id)[1])
        if outcome == "failed":
            raise GiveUp(str(detail))

    def _mail_state(self, mail_id: int) -> tuple[str | None, datetime | None]:
        with unit_of_work(self.engine, read_only=True) as uow:
            row = uow.outbox.get(mail_id)
            return (row.status, row.next_attempt_at) if row else (None, None)

    def relay(self) -> int:
        """Defer again the rows due a job for a while: mail due, checks still running."""
        before = utcnow() - RELAY_AFTER
        count = 0
        with unit_of_work(self.engine) as uow:
            for mail_id in uow.outbox.due_before(before):
                count += self.queue.defer(uow.conn, "send_mail", lock=f"mail:{mail_id}",
                                          mail_id=mail_id)
            for check_id in uow.sample_checks.checking_since(before):
                count += self.queue.defer(uow.conn, "check_sample",
                                          lock=f"sample:{check_id}", check_id=check_id)
            for task, lock, args in self.chat.relay(before):
                count += self.queue.defer(uow.conn, task, lock=lock, **args)
            uow.commit()
        if count:
            log.info("relay: %s job(s) deferred again", count)
        return count

    def record_error(self, job_id: int, task: str, exc: BaseException) -> None:
        try:
            with unit_of_work(self.engine) as uow:
                uow.job_errors.record(job_id, task, f"{type(exc).__name__}: {exc}")
                uow.commit()
        except Exception:  # the job's own outcome matters more than its note
            log.exception("could not record job %s's error", job_id)


async def _deliver(sender: Sender, mail: Any) -> tuple[str, Any]:
    try:
        return await sender.deliver(mail)
    finally:
        await sender.close()


def _every(seconds: float) -> str:
    """A cron line (procrastinate's 6th column: seconds) for about every `seconds`."""
    step = max(1, min(59, round(seconds)))
    return f"* * * * * */{step}"


def build_worker_app(settings: Settings, engine: Engine,
                     outbound: Outbound = NOBODY) -> tuple[Any, Runtime]:
    """The procrastinate app with casebot's tasks and periodic jobs registered; `outbound`:
    the platform clients chat jobs post with."""
    runtime = Runtime(settings, engine, outbound)
    app = runtime.queue.app
    strategy = retry_strategy()

    def task(name: str, handler: Callable[..., Any]) -> None:
        def run(context: Any, /, **kwargs: Any) -> None:
            try:
                handler(**kwargs)
            except Exception as exc:
                runtime.record_error(context.job.id, name, exc)
                raise

        app.task(name=name, queue=QUEUE, retry=strategy, pass_context=True)(run)

    task("check_sample", runtime.check_sample)
    task("send_mail", runtime.send_mail)
    task("send_notice", runtime.chat.send_notice)
    task("post_alert", runtime.chat.post_alert)
    task("publish_home", runtime.chat.publish_home)

    def relay(timestamp: int) -> None:
        runtime.relay()

    app.periodic(cron=_every(30), queueing_lock="relay")(
        app.task(name="relay", queue=QUEUE)(relay))

    def prune(timestamp: int) -> None:
        prune_all(engine, settings)

    app.periodic(cron=f"{PRUNE_MINUTE} * * * *", queueing_lock="prune")(
        app.task(name="prune", queue=QUEUE)(prune))

    if runtime.sweep.staff.configured:
        def overdue_sweep(timestamp: int) -> None:
            runtime.sweep.run()

        app.periodic(cron=_every(SWEEP_EVERY), queueing_lock="overdue_sweep")(
            app.task(name="overdue_sweep", queue=QUEUE)(overdue_sweep))

    stalled = settings.job_stalled_seconds

    async def recover_stalled(timestamp: int) -> None:
        for job in await app.job_manager.get_stalled_jobs(queue=QUEUE,
                                                          seconds_since_heartbeat=stalled):
            log.warning("job %s (%s) stalled on a worker that stopped; handing it back",
                        job.id, job.task_name)
            await app.job_manager.retry_job(job)

    app.periodic(cron=_every(stalled / 3), queueing_lock="recover_stalled")(
        app.task(name="recover_stalled", queue=QUEUE)(recover_stalled))
    return app, runtime


def run_worker(settings: Settings, engine: Engine, *, concurrency: int | None = None,
               outbound: Outbound = NOBODY) -> None:
    """Run jobs until SIGTERM or SIGINT; the jobs in hand are finished first (a zip check
    within its budget, a mail within the SMTP timeout, a post within Slack's or Telegram's)."""
    app, _ = build_worker_app(settings, engine, outbound)
    stalled = settings.job_stalled_seconds
    app.run_worker(queues=[QUEUE], concurrency=concurrency or settings.job_concurrency,
                   name=f"{socket.gethostname()}:{os.getpid()}",
                   update_heartbeat_interval=max(0.5, stalled / 3),
                   stalled_worker_timeout=stalled, delete_jobs="successful",
                   fetch_job_polling_interval=FETCH_EVERY,
                   install_signal_handlers=True)
