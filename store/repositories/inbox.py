"""The operators' inbox: cases newest first, filtered, one page at a time.

Pages are keyset pages: a page is "the next N cases with an id below the last one shown", so
the database reads one index range whatever the table holds (an OFFSET would read and drop
every case before the page). Status and channel filters have (column, id) indexes (0007).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from store.repositories.base import Repository
from store.tables import Account, Case, Contact

PAGE = 50


@dataclass(frozen=True)
class InboxFilter:
    status: str = ""
    severity: str = ""
    account_id: int | None = None
    channel: str = ""
    q: str = ""


@dataclass(frozen=True)
class InboxRow:
    id: int
    number: str
    severity: str
    status: str
    account: str
    product: str
    subject: str
    channel: str
    created_at: datetime


def _severity() -> Any:
    return Case.details["severity"].as_string()


class Inbox(Repository):
    def page(self, f: InboxFilter, before: int | None = None,
             size: int = PAGE) -> tuple[list[InboxRow], int | None]:
        """Up to `size` cases with id < `before`, newest first, and the next page's cursor."""
        q = (sa.select(col(Case.id), col(Case.number), col(Case.status), col(Case.channel),
                       col(Case.subject), col(Case.created_at), _severity(),
                       Case.details["product"].as_string(), col(Account.name))
             .join(Contact, col(Contact.id) == Case.contact_id)
             .join(Account, col(Account.id) == Contact.account_id)
             .where(col(Case.number).is_not(None))
             .order_by(col(Case.id).desc()).limit(size + 1))
        if before is not None:
            q = q.where(col(Case.id) < before)
        if f.status:
            q = q.where(col(Case.status) == f.status)
        if f.channel:
            q = q.where(col(Case.channel) == f.channel)
        if f.severity:
            q = q.where(_severity() == f.severity)
        if f.account_id is not None:
            q = q.where(col(Contact.account_id) == f.account_id)
        words = f.q.split()
        if len(words) == 1 and words[0].isdigit():
            q = q.where(col(Case.number) == words[0])
        else:
            for word in words[:8]:
                q = q.where(col(Case.subject).icontains(word, autoescape=True))
        rows = [InboxRow(r[0], r[1] or "", r[6] or "", r[2], r[8], r[7] or "", r[4], r[3], r[5])
                for r in self.conn.execute(q)]
        more = len(rows) > size
        rows = rows[:size]
        return rows, (rows[-1].id if more else None)
