"""The outbox: mail queued in the same transaction as what it tells, sent by bot/mailer.py."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from store.db import table_of
from store.repositories.base import Repository
from store.tables import OutboxMail, utcnow

_T = table_of(OutboxMail)
_DUE = ("pending", "sending")


class Outbox(Repository):
    def queue(self, *, kind: str, to: str, subject: str, body_text: str,
              cc: list[str] | None = None, body_html: str | None = None,
              headers: dict[str, str] | None = None,
              case_id: int | None = None) -> OutboxMail:
        mail = OutboxMail(kind=kind, to=to, cc=list(cc or []), subject=subject,
                          body_text=body_text, body_html=body_html,
                          headers=dict(headers or {}), case_id=case_id)
        self.s.add(mail)
        self.s.flush()
        return mail

    def recent(self, limit: int = 100) -> list[OutboxMail]:
        return list(self.s.exec(select(OutboxMail).order_by(col(OutboxMail.id).desc())
                                .limit(limit)))

    def of_case(self, case_id: int | None, limit: int = 50) -> list[OutboxMail]:
        return list(self.s.exec(select(OutboxMail).where(OutboxMail.case_id == case_id)
                                .order_by(col(OutboxMail.id).desc()).limit(limit)))

    def get(self, mail_id: int) -> OutboxMail | None:
        return self.s.get(OutboxMail, mail_id)

    # -- the sender's side (bot/mailer.py) ---------------------------------------------------

    def first_due(self, now: datetime, skip: set[int] | None = None) -> Any:
        """(id, status, attempts) of the mail due first, or None."""
        q = (sa.select(_T.c.id, _T.c.status, _T.c.attempts)
             .where(_T.c.status.in_(_DUE), _T.c.next_attempt_at <= now)
             .order_by(_T.c.next_attempt_at, _T.c.id).limit(1))
        if skip:
            q = q.where(_T.c.id.not_in(skip))
        return self.conn.execute(q).first()

    def due_one(self, mail_id: int, now: datetime) -> Any:
        """(id, status, attempts) of this mail if it is due now (pending and its time come, or
        "sending" with its lease run out), else None."""
        return self.conn.execute(
            sa.select(_T.c.id, _T.c.status, _T.c.attempts)
            .where(_T.c.id == mail_id, _T.c.status.in_(_DUE), _T.c.next_attempt_at <= now)
        ).first()

    def due_before(self, before: datetime, limit: int = 500) -> list[int]:
        """Mail that should have gone out before `before` (the job relay's look)."""
        return [int(i) for i in self.conn.execute(
            sa.select(_T.c.id).where(_T.c.status.in_(_DUE), _T.c.next_attempt_at < before)
            .order_by(_T.c.next_attempt_at).limit(limit)).scalars()]

    def take(self, row: Any, now: datetime, lease: timedelta) -> OutboxMail | None:
        """Move a due mail to "sending" unless another sender took it first (compare-and-set
        on status and attempts); the mail, or None."""
        done = self.conn.execute(
            _T.update().where(_T.c.id == row.id, _T.c.status == row.status,
                              _T.c.attempts == row.attempts)
            .values(status="sending", attempts=row.attempts + 1, next_attempt_at=now + lease))
        return self.s.get(OutboxMail, row.id) if done.rowcount == 1 else None

    def record(self, mail_id: int | None, statuses: tuple[str, ...], attempts: int | None,
               values: dict[str, Any]) -> None:
        """Write a send's outcome, if the mail is still in one of `statuses` (and at
        `attempts`, when given)."""
        where = [_T.c.id == mail_id, _T.c.status.in_(statuses)]
        if attempts is not None:
            where.append(_T.c.attempts == attempts)
        self.conn.execute(_T.update().where(*where).values(**values))

    def next_due(self) -> datetime | None:
        return self.conn.execute(sa.select(sa.func.min(_T.c.next_attempt_at))
                                 .where(_T.c.status.in_(_DUE))).scalar()

    def forget_done(self, older_than: timedelta) -> int:
        """Delete sent and failed mails older than `older_than`; pending ones always stay."""
        cutoff = utcnow() - older_than
        return self.conn.execute(sa.delete(_T).where(_T.c.status.in_(("sent", "failed")),
                                                     _T.c.created_at < cutoff)).rowcount or 0
