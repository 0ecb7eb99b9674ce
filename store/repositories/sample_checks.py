"""Sample checks shared by every process (0014): asked for once per key, finished once.

The finish is a compare-and-set (checking -> done), so of two runs of one check (a worker
killed mid-check and its job retried elsewhere) exactly one writes the verdict and tells the
waiting chats. A chat registers as a waiter under a row lock taken by the same kind of
update, so a waiter is either seen by the finish or sees the verdict itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from flows.i18n import as_data, from_data
from store.db import table_of
from store.repositories.base import Repository
from store.tables import JobError, SampleCheck, SampleWaiter, utcnow

_C = table_of(SampleCheck)
_W = table_of(SampleWaiter)
_E = table_of(JobError)
Key = tuple[str, str, str]  # sha256, sha256 of the password, member suffixes


class SampleChecks(Repository):
    def find(self, key: Key) -> Any:
        """(id, status, verdict, verdict_msg, name) of the check with this key, or None."""
        sha256, secret, members = key
        return self.conn.execute(
            sa.select(_C.c.id, _C.c.status, _C.c.verdict, _C.c.verdict_msg, _C.c.name)
            .where(_C.c.sha256 == sha256, _C.c.secret == secret, _C.c.members == members)
        ).first()

    def get(self, check_id: int) -> Any:
        return self.conn.execute(sa.select(_C).where(_C.c.id == check_id)).first()

    def ask(self, key: Key, name: str, password: str | None) -> int | None:
        """Add a check for `key`; its id, or None when another process added it first."""
        sha256, secret, members = key
        try:
            with self.conn.begin_nested():
                return int(self.conn.execute(
                    _C.insert().values(sha256=sha256, secret=secret, members=members,
                                       name=name[:255], password=password, status="checking",
                                       created_at=utcnow()).returning(_C.c.id)).scalar_one())
        except sa.exc.IntegrityError:
            return None

    def hold_if_checking(self, check_id: int) -> bool:
        """Lock the row while it is still checking (until commit); False once done."""
        done = self.conn.execute(_C.update().where(_C.c.id == check_id,
                                                   _C.c.status == "checking")
                                 .values(status="checking"))
        return done.rowcount == 1

    def add_waiter(self, check_id: int, channel: str, external_id: str,
                   chat_ref: str | None, name: str) -> None:
        """This chat gets the verdict (once, however often it asks)."""
        try:
            with self.conn.begin_nested():
                self.conn.execute(_W.insert().values(check_id=check_id, channel=channel,
                                                     external_id=external_id,
                                                     chat_ref=chat_ref, name=name[:255]))
        except sa.exc.IntegrityError:
            pass

    def finish(self, check_id: int, verdict: str | None) -> list[Any] | None:
        """Record the verdict (checking -> done) and hand back the waiters, removed; None
        when another run finished it first. A verdict that is a message is kept as one too
        (`verdict_of` gives it back), the English text beside it."""
        kept = as_data(verdict)
        done = self.conn.execute(
            _C.update().where(_C.c.id == check_id, _C.c.status == "checking")
            .values(status="done", verdict=None if verdict is None else str.__str__(verdict),
                    verdict_msg=kept if isinstance(kept, dict) else None,
                    password=None, done_at=utcnow()))
        if done.rowcount != 1:
            return None
        return self._take_waiters(check_id)

    def forget(self, check_id: int) -> list[Any] | None:
        """Drop a check that could not run (its file is gone): the waiters, removed; None when
        another run finished it first."""
        waiters = self._take_waiters(check_id)
        gone = self.conn.execute(_C.delete().where(_C.c.id == check_id,
                                                   _C.c.status == "checking"))
        return waiters if gone.rowcount == 1 else None

    def _take_waiters(self, check_id: int) -> list[Any]:
        waiters = list(self.conn.execute(sa.select(_W).where(_W.c.check_id == check_id)
                                         .order_by(_W.c.id)))
        self.conn.execute(_W.delete().where(_W.c.check_id == check_id))
        return waiters

    def forget_done(self, older_than: timedelta) -> int:
        """Delete verdicts older than `older_than` (their files are pruned by then too)."""
        return self.conn.execute(_C.delete().where(
            _C.c.status == "done", _C.c.done_at < utcnow() - older_than)).rowcount or 0

    def checking_since(self, before: datetime, limit: int = 500) -> list[int]:
        """Checks still running that were asked for before `before` (the relay's look)."""
        return [int(i) for i in self.conn.execute(
            sa.select(_C.c.id).where(_C.c.status == "checking", _C.c.created_at < before)
            .order_by(_C.c.id).limit(limit)).scalars()]


def verdict_of(row: Any) -> str | None:
    """A done check's verdict as the message it is (shown in the reader's language), or the
    English text of a row written before verdicts were kept as messages (0021)."""
    if row.verdict_msg is not None:
        found = from_data(row.verdict_msg)
        if isinstance(found, str):
            return found
    return row.verdict  # type: ignore[no-any-return]


class JobErrors(Repository):
    """Why a job last failed (the queue keeps status and attempts, not the error)."""

    def record(self, job_id: int, task: str, error: str) -> None:
        self.conn.execute(_E.delete().where(_E.c.job_id == job_id))
        self.conn.execute(_E.insert().values(job_id=job_id, task=task[:200],
                                             error=error[:1000], at=utcnow()))

    def clear(self, job_id: int) -> None:
        self.conn.execute(_E.delete().where(_E.c.job_id == job_id))

    def forget_older(self, older_than: timedelta) -> int:
        return self.conn.execute(_E.delete().where(_E.c.at < utcnow() - older_than)
                                 ).rowcount or 0

    def of(self, job_ids: list[int]) -> dict[int, str]:
        if not job_ids:
            return {}
        return {int(r.job_id): r.error for r in self.conn.execute(
            sa.select(_E.c.job_id, _E.c.error).where(_E.c.job_id.in_(job_ids)))}
