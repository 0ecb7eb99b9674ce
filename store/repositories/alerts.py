"""Staff alerts (bot/alerts.py holds the rules): the queue the Slack process posts from, and
the overdue sweep's reads and claims on `cases`.

Both claims are compare-and-set UPDATEs, so of several processes exactly one wins each row: an
alert is taken for a lease (`next_attempt_at` moves on, `attempts` + 1, matched on the values
just read); an overdue case is claimed by setting `alerted_due_at` to its `due_at` (matched on
the due time read and on not being alerted for it yet). The overdue reads walk the partial index
`ix_cases_open_due (due_sort, id)`: the predicate is `UNRESOLVED_SQL` as the index spells it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from store.db import table_of
from store.repositories.base import Repository
from store.signals import announce
from store.tables import NEVER, UNRESOLVED_SQL, Case, StaffAlert, utcnow

_A = table_of(StaffAlert)
_C = table_of(Case)
# the channel name in the store's wake-up (store/signals.py): the Slack process's loop wakes
STAFF = "staff"


class Alerts(Repository):
    # -- the queue -----------------------------------------------------------------------------

    def add(self, case_id: int, kind: str, text: str) -> StaffAlert:
        alert = StaffAlert(case_id=case_id, kind=kind, text=text)
        self.s.add(alert)
        self.s.flush()
        announce(self.conn, STAFF)  # the Slack process wakes at commit (PostgreSQL)
        return alert

    def due(self, now: datetime, limit: int) -> list[Any]:
        """(id, attempts, next_attempt_at) of unsent alerts whose time has come, soonest
        first: one range of `ix_staff_alerts_pending`."""
        return list(self.conn.execute(
            sa.select(_A.c.id, _A.c.attempts, _A.c.next_attempt_at)
            .where(_A.c.sent_at.is_(None), _A.c.next_attempt_at <= now)
            .order_by(_A.c.next_attempt_at, _A.c.id).limit(limit)))

    def due_one(self, alert_id: int, now: datetime) -> Any | None:
        """(id, attempts, next_attempt_at) of this alert if unsent and due (a job's look)."""
        return self.conn.execute(
            sa.select(_A.c.id, _A.c.attempts, _A.c.next_attempt_at)
            .where(_A.c.id == alert_id, _A.c.sent_at.is_(None), _A.c.next_attempt_at <= now)
        ).first()

    def take(self, row: Any, until: datetime) -> bool:
        """Claim a due alert until `until` unless another process took it since it was read."""
        done = self.conn.execute(
            _A.update().where(_A.c.id == row.id, _A.c.sent_at.is_(None),
                              _A.c.attempts == row.attempts,
                              _A.c.next_attempt_at == row.next_attempt_at)
            .values(attempts=row.attempts + 1, next_attempt_at=until))
        return done.rowcount == 1

    def get(self, alert_id: int) -> StaffAlert | None:
        return self.s.get(StaffAlert, alert_id)

    def of_case(self, case_id: int) -> list[StaffAlert]:
        return list(self.s.scalars(sa.select(StaffAlert).where(_A.c.case_id == case_id)
                                   .order_by(_A.c.id)))

    def sent(self, alert_id: int, at: datetime) -> None:
        self.conn.execute(_A.update().where(_A.c.id == alert_id)
                          .values(sent_at=at, last_error=None))

    def failed(self, alert_id: int, error: str, retry_at: datetime) -> None:
        self.conn.execute(_A.update().where(_A.c.id == alert_id, _A.c.sent_at.is_(None))
                          .values(last_error=error[:500], next_attempt_at=retry_at))

    def forget_done(self, older_than: timedelta) -> int:
        """Delete alerts posted, or given up (no next attempt), more than `older_than` ago;
        one still being tried always stays."""
        cutoff = utcnow() - older_than
        finished = sa.or_(_A.c.sent_at.is_not(None), _A.c.next_attempt_at == NEVER)
        return self.conn.execute(sa.delete(_A).where(finished, _A.c.created_at < cutoff)
                                 ).rowcount or 0

    # -- the overdue sweep ---------------------------------------------------------------------

    def overdue(self, now: datetime, limit: int, *, since: datetime | None = None,
                after: tuple[datetime, int] | None = None) -> list[Any]:
        """(id, due_at, alerted_due_at, due_sort) of unresolved cases due before `now`, by
        (due_sort, id): those that came due after `since`, or the next `limit` after the
        position `after`. Already alerted ones are among them (the caller skips them), so a
        read costs at most `limit` index entries however many old overdue cases there are."""
        query = (sa.select(_C.c.id, _C.c.due_at, _C.c.alerted_due_at, _C.c.due_sort)
                 .where(sa.text(UNRESOLVED_SQL), _C.c.due_sort < now))
        if since is not None:
            query = query.where(_C.c.due_sort >= since)
        if after is not None:
            query = query.where(sa.tuple_(_C.c.due_sort, _C.c.id) > sa.tuple_(*after))
        return list(self.conn.execute(query.order_by(_C.c.due_sort, _C.c.id).limit(limit)))

    def claim_overdue(self, case_id: int, due_at: datetime) -> bool:
        """Record that staff are told case `case_id` missed `due_at`: False when another
        process did first, or the case changed (resolved, a new due time) since it was read.
        Not a change of the case: its version stays (an open console form is not stale)."""
        done = self.conn.execute(
            _C.update().where(_C.c.id == case_id, _C.c.due_at == due_at, sa.text(UNRESOLVED_SQL),
                              sa.or_(_C.c.alerted_due_at.is_(None),
                                     _C.c.alerted_due_at != _C.c.due_at))
            .values(alerted_due_at=_C.c.due_at))
        return done.rowcount == 1
