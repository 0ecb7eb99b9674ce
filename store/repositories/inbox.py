"""The operators' queue: views (Mine, Unassigned, All unresolved, Overdue, All) with capped
counts, filters, three sorts and keyset pages both ways.

Every page is one index range whatever the table holds: a page is "the next N cases after
(or before) the last one shown" in the sort's own index order, never an OFFSET. The unresolved
views use the partial indexes of 0012 (`ix_cases_open_due`, `ix_cases_open_assignee_due`),
so their queries repeat `UNRESOLVED_SQL` word for word (SQLite matches a partial index's
predicate by its text). A search (store/repositories/search.py) narrows the cases first, then
sorts the few it found newest or oldest first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from store.repositories.base import Repository
from store.repositories.search import matching
from store.tables import DONE_STATUSES, NEVER, UNRESOLVED_SQL, Account, Case, Contact, as_utc

PAGE = 50
COUNT_CAP = 1000  # counts stop here ("1,000+"): the same cost at a million cases
VIEWS = ("mine", "unassigned", "unresolved", "overdue", "all")
UNRESOLVED_VIEWS = ("mine", "unassigned", "unresolved", "overdue")
SORTS = ("due", "newest", "oldest")
SEARCH_MANY = 1000  # a search matching more: read newest first, not its matches sorted


@dataclass(frozen=True)
class InboxFilter:
    view: str = "all"
    me: str = ""  # the signed-in operator's email (the "mine" view)
    statuses: tuple[str, ...] = ()
    severity: str = ""
    account_id: int | None = None
    channel: str = ""
    q: str = ""
    sort: str = ""  # "" is the view's default

    @property
    def unresolved_only(self) -> bool:
        """Every case it can show is unresolved: the partial indexes serve it."""
        return self.view in UNRESOLVED_VIEWS or bool(
            self.statuses and not set(self.statuses) & set(DONE_STATUSES))

    @property
    def order(self) -> str:
        """The sort in effect: by due time only where the due index covers every case shown
        (unresolved) and without a search (a search lists what it found by age)."""
        due_ok = self.unresolved_only and not self.q.strip()
        if self.sort in ("newest", "oldest"):
            return self.sort
        return "due" if due_ok else "newest"


@dataclass(frozen=True)
class Cursor:
    """A page boundary: the case id, and its due_sort for the due-time sort."""

    id: int
    due: datetime | None = None

    def text(self) -> str:
        return str(self.id) if self.due is None else f"{self.id}@{as_utc(self.due).isoformat()}"

    @classmethod
    def parse(cls, raw: str) -> Cursor | None:
        head, _, tail = raw.partition("@")
        if not head.isascii() or not head.isdigit() or len(head) > 18:
            return None
        try:
            return cls(int(head), datetime.fromisoformat(tail) if tail else None)
        except ValueError:
            return None


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
    assignee: str | None = None
    due_at: datetime | None = None


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    previous: Cursor | None = None  # for the link to the page before (None: this is the first)
    next: Cursor | None = None  # for the link to the page after (None: this is the last)
    sort: str = "newest"
    counts: dict[str, int] = field(default_factory=dict)


def _severity() -> Any:
    return Case.details["severity"].as_string()


def view_conditions(view: str, me: str, now: datetime) -> list[Any]:
    """The rule of each view, in one place."""
    unresolved = sa.text(UNRESOLVED_SQL)
    if view == "mine":
        return [col(Case.assignee) == me, unresolved]
    if view == "unassigned":
        return [col(Case.assignee).is_(None), unresolved]
    if view == "unresolved":
        return [unresolved]
    if view == "overdue":
        return [col(Case.due_sort) < now, unresolved]
    return []


class Inbox(Repository):
    def page(self, f: InboxFilter, now: datetime, *, after: Cursor | None = None,
             before: Cursor | None = None, size: int = PAGE) -> InboxPage:
        """Up to `size` cases of the view in its sort order: the first page, or the page
        following `after`, or the one preceding `before`."""
        order = f.order
        q = (sa.select(col(Case.id), col(Case.number), col(Case.status), col(Case.channel),
                       col(Case.subject), col(Case.created_at), _severity(),
                       Case.details["product"].as_string(), col(Account.name),
                       col(Case.assignee), col(Case.due_at), col(Case.due_sort))
             .join(Contact, col(Contact.id) == Case.contact_id)
             .join(Account, col(Account.id) == Contact.account_id)
             .where(*view_conditions(f.view, f.me, now)))
        if f.statuses:
            q = q.where(col(Case.status).in_(f.statuses))
            if f.unresolved_only and f.view not in UNRESOLVED_VIEWS:
                q = q.where(sa.text(UNRESOLVED_SQL))
        if f.channel:
            q = q.where(col(Case.channel) == f.channel)
        if f.severity:
            q = q.where(_severity() == f.severity)
        if f.account_id is not None:
            q = q.where(col(Contact.account_id) == f.account_id)
        found = matching(self.conn.dialect.name, f.q) if f.q.strip() else None
        if found is not None:
            q = q.where(col(Case.id).in_(found))
        elif f.q.strip():
            q = q.where(sa.false())  # no letters or digits in it: nothing matches
        backwards = before is not None
        q = self._ordered(q, order, after if after is not None else before, backwards,
                          few=found is not None and self._few(found))
        rows = list(self.conn.execute(q.limit(size + 1)).all())
        more = len(rows) > size
        rows = rows[:size]
        if backwards:
            rows.reverse()
        page = [InboxRow(r[0], r[1] or "", r[6] or "", r[2], r[8], r[7] or "", r[4], r[3],
                         r[5], r[9], r[10]) for r in rows]
        first = Cursor(rows[0][0], rows[0][11] if order == "due" else None) if rows else None
        last = Cursor(rows[-1][0], rows[-1][11] if order == "due" else None) if rows else None
        if backwards:
            return InboxPage(page, first if more else None, last, order)
        return InboxPage(page, first if after is not None else None, last if more else None,
                         order)

    @staticmethod
    def _ordered(q: Any, order: str, cursor: Cursor | None, backwards: bool, *,
                 few: bool = False) -> Any:
        """`few`: a search that matches few cases sorts them by `id + 0`, which no index
        provides, so PostgreSQL reads the matches first (GIN) instead of walking every case
        newest first hoping to meet one (it guesses a rare word matches ~650 of 1M rows:
        260 ms at 1M cases). A search matching many walks the cases newest first: it meets a
        page of matches at once."""
        ident, due = col(Case.id), col(Case.due_sort)
        key = ident + 0 if few else ident
        if order == "due":
            if cursor is not None:
                pair = sa.tuple_(due, ident)
                edge = sa.tuple_(sa.literal(cursor.due or NEVER, sa.DateTime(timezone=True)),
                                 sa.literal(cursor.id))
                q = q.where(pair < edge if backwards else pair > edge)
            return q.order_by(due.desc(), ident.desc()) if backwards \
                else q.order_by(due, ident)
        ascending = (order == "oldest") != backwards
        if cursor is not None:
            forward = ident > cursor.id if order == "oldest" else ident < cursor.id
            back = ident < cursor.id if order == "oldest" else ident > cursor.id
            q = q.where(back if backwards else forward)
        return q.order_by(key if ascending else key.desc())

    def _few(self, found: Any, many: int = SEARCH_MANY) -> bool:
        """Does the search match at most `many` cases? (Reads at most `many` + 1 matches.)"""
        sub = found.subquery()
        probe = sa.select(sa.func.count()).select_from(
            sa.select(sub.c.case_id).limit(many + 1).subquery())
        return int(self.conn.execute(probe).scalar_one()) <= many

    def counts(self, me: str, now: datetime, cap: int = COUNT_CAP) -> dict[str, int]:
        """Cases per view, each counted up to `cap` + 1 (shown as "1,000+"), in one
        statement (one round trip)."""
        counted = [sa.select(sa.func.count()).select_from(
            sa.select(col(Case.id)).where(*view_conditions(view, me, now))
            .limit(cap + 1).subquery()).scalar_subquery() for view in VIEWS]
        row = self.conn.execute(sa.select(*counted)).one()
        return dict(zip(VIEWS, row, strict=True))
