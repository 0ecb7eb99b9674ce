"""Slow work as jobs: on PostgreSQL a procrastinate queue that any `casebot worker` runs.

The seam is `defer(conn, task, lock=..., **args)`. The business transaction writes its row
(an outbox mail, a sample check, a chat notice, a staff alert) as before, and the job is
deferred on the same connection, inside a savepoint: it exists exactly when the row does
(commit or rollback together), so a crash between the two loses nothing. The lock names the
row (`mail:42`): procrastinate's queueing lock refuses a second waiting job for it, and its
lock keeps two runs of one row apart. A periodic relay (bot/job_tasks.py) defers again the
rows whose job was lost (one that failed for good, rows from before the upgrade): a
duplicate is refused or finds the row done.

Handlers are idempotent: each claims its row with the compare-and-set it always had and does
nothing when the row is already done. They say how to go on by raising `Retry` (try again at
the row's own next attempt: the mailer's backoff) or `GiveUp` (the row records why); any
other error is retried with exponential backoff (`RowRetry`).

SQLite (the embedded, single-process default) has no queue: sample checks run in the chat
process's bounded pool (bot/samples.py), mail goes out from its sender loop, and notices and
staff alerts from the chat process's notice loop, as before.
"""

from __future__ import annotations

import logging
import threading
import weakref
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from store.db import direct_url
from store.tables import ChatNotice, OutboxMail, StaffAlert

if TYPE_CHECKING:
    import procrastinate

log = logging.getLogger(__name__)

QUEUE = "casebot"
NOTICE_CHANNELS = ("slack", "telegram")  # notices sent by jobs (bot/chat_jobs.py)
# the failures a job is retried after (a database hiccup, a bug fixed by a restart)
MAX_ATTEMPTS = 10
BACKOFF_BASE = 5.0  # seconds, doubled per attempt
BACKOFF_CAP = 600.0


class Retry(Exception):
    """Try this job again at `at` (None: now); `error` is shown by `casebot jobs list`."""

    def __init__(self, error: str, at: datetime | None = None) -> None:
        super().__init__(error)
        self.at = at


class GiveUp(Exception):
    """This job failed for good; its row already says why."""


def dsn(db_url: str | sa.URL) -> str:
    """A libpq connection string from casebot's SQLAlchemy URL (postgresql+psycopg://...)."""
    url = sa.make_url(db_url) if isinstance(db_url, str) else db_url
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def make_app(db_url: str | sa.URL, *, pool_size: int = 4,
             pooled: bool = False) -> procrastinate.App:
    """The procrastinate app on casebot's database (its tasks are added by the worker).
    `pooled`: `db_url` goes through a transaction pooler, so psycopg must prepare nothing on
    the server (store/db.py says why)."""
    import procrastinate

    connector = procrastinate.PsycopgConnector(
        conninfo=dsn(db_url), min_size=1, max_size=max(1, pool_size),
        kwargs={"prepare_threshold": None} if pooled else None)
    return procrastinate.App(connector=connector)


def worker_app(engine: Engine) -> procrastinate.App:
    """The app a worker runs and the job manager reads with. A worker holds a session (its
    LISTEN for new jobs, its heartbeats): behind PgBouncer in transaction mode it connects
    directly when CASEBOT_DATABASE_DIRECT_URL is given, else through the pooler with nothing
    prepared, and then finds new jobs by its one-second poll only (bot/job_tasks.py)."""
    direct = direct_url(engine)
    if direct is None:
        log.info("workers find new jobs by polling: LISTEN does not work through a "
                 "transaction pooler; set CASEBOT_DATABASE_DIRECT_URL to wake them at once")
    return make_app(direct or engine.url, pooled=direct is None)


def retry_strategy() -> Any:
    """`Retry` at the row's time, `GiveUp` never, anything else with exponential backoff."""
    from procrastinate import BaseRetryStrategy, RetryDecision

    class RowRetry(BaseRetryStrategy):
        def get_retry_decision(self, *, exception: BaseException,
                               job: Any) -> RetryDecision | None:
            if isinstance(exception, GiveUp):
                return None
            if isinstance(exception, Retry):
                return RetryDecision(retry_at=exception.at) if exception.at is not None \
                    else RetryDecision(retry_in={"seconds": 0})
            if job.attempts + 1 >= MAX_ATTEMPTS:
                return None
            wait = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** job.attempts)
            return RetryDecision(retry_in={"seconds": int(wait)})

    return RowRetry()


class QueueJobs:
    """Defers jobs on PostgreSQL in the caller's transaction (see the module's docstring).

    `app` is what a worker runs and the job manager reads with; deferring goes through an
    app of its own that is never opened: once a worker has opened `app` asynchronously,
    procrastinate would run a deferral on the caller's (synchronous) connection as
    asynchronous, and a job deferred from inside a job (a sample verdict's notice, the relay)
    would fail."""

    def __init__(self, app: procrastinate.App, deferrer: procrastinate.App) -> None:
        self.app = app
        self.deferrer = deferrer
        self._opened = False
        self._lock = threading.Lock()

    def manager(self) -> Any:
        """The app's job manager over its own small pool, opened on first use and kept (the
        console's pages and the CLI read the queue through it)."""
        with self._lock:
            if not self._opened:
                self.app.open()
                self._opened = True
        return self.app.job_manager

    def defer(self, conn: Connection, task: str, *, lock: str, at: datetime | None = None,
              **args: Any) -> bool:
        """Defer `task(**args)` in `conn`'s transaction; False when a job for `lock` already
        waits (procrastinate's queueing lock)."""
        from procrastinate.exceptions import AlreadyEnqueued

        driver = conn.connection.driver_connection
        assert driver is not None
        # a savepoint: a refused duplicate must not abort the caller's transaction. The
        # transaction must have begun (the row written first), else this would commit alone.
        assert driver.info.transaction_status == 2, "defer after writing the row"  # INTRANS
        try:
            with driver.transaction():
                self.deferrer.configure_task(task, queue=QUEUE, lock=lock, queueing_lock=lock,
                                             schedule_at=at, connection=driver).defer(**args)
        except AlreadyEnqueued:
            return False
        return True


# -- which engines defer: PostgreSQL engines built by bot/app.build_engine -----------------------

_QUEUES: weakref.WeakKeyDictionary[Engine, QueueJobs] = weakref.WeakKeyDictionary()


def attach(engine: Engine) -> QueueJobs | None:
    """Make `engine` defer jobs for the rows that need them (PostgreSQL only); its jobs."""
    if engine.dialect.name != "postgresql":
        return None
    jobs = _QUEUES.get(engine)
    if jobs is None:
        jobs = _QUEUES[engine] = QueueJobs(worker_app(engine), make_app(engine.url))
    _listen()
    return jobs


def jobs_of(engine: Engine) -> QueueJobs | None:
    return _QUEUES.get(engine)


def _mail_queued(_mapper: Any, conn: Connection, mail: OutboxMail) -> None:
    """Every outbox mail gets its send job, in the transaction that queued it."""
    jobs = _QUEUES.get(conn.engine)
    if jobs is not None and mail.id is not None:
        jobs.defer(conn, "send_mail", lock=f"mail:{mail.id}", mail_id=mail.id)


def _notice_queued(_mapper: Any, conn: Connection, notice: ChatNotice) -> None:
    """A Slack or Telegram notice gets its send job (bot/chat_jobs.py); the terminal's are
    read by `casebot chat` when it starts."""
    jobs = _QUEUES.get(conn.engine)
    if jobs is not None and notice.id is not None and notice.channel in NOTICE_CHANNELS:
        jobs.defer(conn, "send_notice", lock=f"notice:{notice.id}", notice_id=notice.id)


def _alert_queued(_mapper: Any, conn: Connection, alert: StaffAlert) -> None:
    jobs = _QUEUES.get(conn.engine)
    if jobs is not None and alert.id is not None:
        jobs.defer(conn, "post_alert", lock=f"alert:{alert.id}", alert_id=alert.id)


def _listen() -> None:
    for table, hook in ((OutboxMail, _mail_queued), (ChatNotice, _notice_queued),
                        (StaffAlert, _alert_queued)):
        if not sa.event.contains(table, "after_insert", hook):
            sa.event.listen(table, "after_insert", hook)


# -- what operators see: `casebot jobs list`, the console's /jobs -------------------------------

STATUSES = ("todo", "doing", "failed", "succeeded", "cancelled", "aborting", "aborted")


def job_rows(engine: Engine, *, failed: bool = False, limit: int = 500) -> list[dict[str, Any]]:
    """The queue's jobs, newest first: id, task, status, attempts, scheduled time, the row
    they work on (`lock`) and the last error. Succeeded jobs are deleted by the worker."""
    from store.uow import unit_of_work

    jobs = attach(engine)
    if jobs is None:
        return []
    found = jobs.manager().list_jobs(queue=QUEUE, status="failed" if failed else None)
    found = sorted(found, key=lambda j: j.id or 0, reverse=True)[:limit]
    with unit_of_work(engine, read_only=True) as uow:
        errors = uow.job_errors.of([j.id for j in found if j.id is not None])
    return [{"id": j.id, "task": j.task_name, "status": j.status, "attempts": j.attempts,
             "scheduled_at": j.scheduled_at.isoformat() if j.scheduled_at else None,
             "lock": j.lock, "args": j.task_kwargs, "last_error": errors.get(j.id or 0)}
            for j in found]


def retry_now(engine: Engine, job_id: int) -> bool:
    """Put a failed job back in the queue, due now (the console's Retry); False if it is not
    a failed job of casebot's queue."""
    from store.tables import utcnow

    jobs = attach(engine)
    if jobs is None:
        return False
    manager = jobs.manager()
    if not manager.list_jobs(id=job_id, queue=QUEUE, status="failed"):
        return False
    manager.retry_job_by_id(job_id, retry_at=utcnow())
    return True
