"""The unit of work: one database transaction per event, on one pooled connection.

`unit_of_work(engine)` is the only way casebot runs a transaction. The unit holds one
connection from the pool; the statements every chat step runs are plain SQLAlchemy Core on
`unit.conn` (so engine events, echo and tracing see them), and the ORM session, which costs
more to set up than those statements, is opened on first use on the same connection, in the
same transaction. Repositories (store/repositories/) are reached from the unit
(`unit.cases.by_number(n)`) and never commit: leaving the block commits once; an exception
rolls everything back, so nothing is half-saved. A `read_only` unit refuses any write
statement and is rolled back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from store.repositories.accounts import Accounts
from store.repositories.alerts import Alerts
from store.repositories.audit import AuditTrail
from store.repositories.canned import CannedReplies
from store.repositories.cases import Cases
from store.repositories.contacts import Contacts
from store.repositories.conversations import Conversations
from store.repositories.deliveries import Deliveries
from store.repositories.feeds import FeedImports, UrlRatings
from store.repositories.inbox import Inbox
from store.repositories.limits import LimitLocks
from store.repositories.messages import AsideMails, CaseRefs, HeldMessages, Messages, Surveys
from store.repositories.notices import Notices
from store.repositories.operators import Operators
from store.repositories.outbox import Outbox
from store.repositories.profiles import Profiles
from store.repositories.retention import Retention
from store.repositories.sample_checks import JobErrors, SampleChecks
from store.repositories.search import Search
from store.repositories.uploads import Uploads
from store.repositories.url_checks import UrlChecks
from store.repositories.verification import VerificationCodes
from store.repositories.waits import Waits

# What a read-only unit may send: anything else is a write (or DDL) and is refused.
_READS = frozenset({"SELECT", "WITH", "PRAGMA", "SHOW", "EXPLAIN", "VALUES"})


class ReadOnlyViolation(RuntimeError):
    """A read-only unit of work was asked to write."""


def _refuse_writes(_conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
    verb = statement.lstrip(" \n\t(").split(None, 1)[0].upper() if statement.strip() else ""
    if verb not in _READS:
        raise ReadOnlyViolation(f"a read-only unit of work tried to run {verb}")


class UnitOfWork:
    """One event's transaction; its repositories are made on first use."""

    def __init__(self, engine: Engine, *, read_only: bool = False) -> None:
        self.read_only = read_only
        self._conn = engine.connect()
        try:
            if read_only:
                sa.event.listen(self._conn, "before_cursor_execute", _refuse_writes)
            self._conn.begin()
        except BaseException:
            self._conn.close()
            raise
        self._session: Session | None = None

    @property
    def conn(self) -> Connection:
        """The unit's connection, for Core statements: the session's pending changes are
        flushed first, as its own queries would (autoflush)."""
        if self._session is not None:
            self._session.flush()
        return self._conn

    @property
    def session(self) -> Session:
        """The ORM session on the unit's connection, opened on first use."""
        if self._session is None:
            self._session = Session(bind=self._conn, expire_on_commit=False,
                                    join_transaction_mode="control_fully")
        return self._session

    def commit(self) -> None:
        if self._session is not None:
            self._session.commit()  # flushes, then commits the connection's transaction
        else:
            self._conn.commit()

    def close(self) -> None:
        """Ends the unit; what was not committed is rolled back."""
        try:
            if self._session is not None:
                self._session.close()
        finally:
            self._conn.close()

    # -- repositories, one per aggregate -----------------------------------------------------

    @cached_property
    def accounts(self) -> Accounts:
        return Accounts(self)

    @cached_property
    def contacts(self) -> Contacts:
        return Contacts(self)

    @cached_property
    def profiles(self) -> Profiles:
        return Profiles(self)

    @cached_property
    def conversations(self) -> Conversations:
        return Conversations(self)

    @cached_property
    def cases(self) -> Cases:
        return Cases(self)

    @cached_property
    def canned(self) -> CannedReplies:
        return CannedReplies(self)

    @cached_property
    def outbox(self) -> Outbox:
        return Outbox(self)

    @cached_property
    def deliveries(self) -> Deliveries:
        return Deliveries(self)

    @cached_property
    def waits(self) -> Waits:
        return Waits(self)

    @cached_property
    def url_checks(self) -> UrlChecks:
        return UrlChecks(self)

    @cached_property
    def sample_checks(self) -> SampleChecks:
        return SampleChecks(self)

    @cached_property
    def job_errors(self) -> JobErrors:
        return JobErrors(self)

    @cached_property
    def notices(self) -> Notices:
        return Notices(self)

    @cached_property
    def operators(self) -> Operators:
        return Operators(self)

    @cached_property
    def audit(self) -> AuditTrail:
        return AuditTrail(self)

    @cached_property
    def limits(self) -> LimitLocks:
        return LimitLocks(self)

    @cached_property
    def verification(self) -> VerificationCodes:
        return VerificationCodes(self)

    @cached_property
    def uploads(self) -> Uploads:
        return Uploads(self)

    @cached_property
    def url_ratings(self) -> UrlRatings:
        return UrlRatings(self)

    @cached_property
    def feed_imports(self) -> FeedImports:
        return FeedImports(self)

    @cached_property
    def inbox(self) -> Inbox:
        return Inbox(self)

    @cached_property
    def search(self) -> Search:
        return Search(self)

    @cached_property
    def retention(self) -> Retention:
        return Retention(self)

    @cached_property
    def messages(self) -> Messages:
        return Messages(self)

    @cached_property
    def case_refs(self) -> CaseRefs:
        return CaseRefs(self)

    @cached_property
    def surveys(self) -> Surveys:
        return Surveys(self)

    @cached_property
    def held(self) -> HeldMessages:
        return HeldMessages(self)

    @cached_property
    def aside(self) -> AsideMails:
        return AsideMails(self)

    @cached_property
    def alerts(self) -> Alerts:
        return Alerts(self)


@contextmanager
def unit_of_work(engine: Engine, *, read_only: bool = False) -> Iterator[UnitOfWork]:
    """One transaction: committed when the block ends, rolled back if `read_only` or on an
    exception."""
    unit = UnitOfWork(engine, read_only=read_only)
    try:
        yield unit
        if not read_only:
            unit.commit()
    finally:
        unit.close()
