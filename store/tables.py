"""casebot's tables. Schema changes go through alembic (store/migrations), never create_all.

Free-form parts (a conversation's answers, a case's details) are JSON; anything we look up by
or sort on is a real, indexed column, so a busy desk with a million cases stays fast.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(at: datetime) -> datetime:
    """A stored time with its zone: SQLite hands timestamps back naive, and every one is UTC."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def iso(dt: datetime | None) -> str | None:
    """A stored time as the case JSON writes it (UTC, `Z`)."""
    if dt is None:
        return None
    return as_utc(dt).astimezone(UTC).isoformat().replace("+00:00", "Z")


# `cases.due_sort` of a case that owes nothing: unresolved-by-due-time is one index range (0012)
NEVER = datetime(9999, 12, 31, tzinfo=UTC)
# a case in these is done: nobody works on it (the rest are "unresolved")
DONE_STATUSES = ("resolved", "closed")
# the other statuses, in SQL; queries spell it exactly as the partial indexes do (0012)
UNRESOLVED_SQL = "status NOT IN ('resolved', 'closed')"


def saved_id(row: Any) -> int:
    """The primary key of a row that has been flushed (None only before the INSERT)."""
    assert row.id is not None, "row not flushed yet"
    return int(row.id)


def _ts(**kw: Any) -> Any:
    return Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True), **kw)


def _json(default: Any) -> Any:
    return Field(default_factory=default, sa_type=JSON)


class Account(SQLModel, table=True):
    __tablename__ = "accounts"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    domain: str | None = Field(default=None, max_length=255, unique=True)
    # sub-domains (eu.acme.example) join only when the operator said so (0007)
    include_subdomains: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    # a personal account of one: a verified address at a domain no account owns (0007)
    personal: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    created_at: datetime = _ts()
    # which of the catalog's response times apply: "standard" or "premium" (0012)
    plan: str = Field(default="standard", max_length=20,
                      sa_column_kwargs={"server_default": "standard"})
    # issue 27 (0020): the language its contacts get when they chose none and their platform
    # says none (bot/i18n.py, `choose`); None: the deployment's default
    language: str | None = Field(default=None, max_length=16)


class Contact(SQLModel, table=True):
    __tablename__ = "contacts"
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="accounts.id", index=True)
    email: str = Field(max_length=320, unique=True)
    name: str = Field(default="", max_length=200)
    case_recipients: list[str] = _json(list)
    # agreed (in My profile) to be offered to colleagues as a CC choice (0007)
    listed: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    created_at: datetime = _ts()
    # issue 27 (0018): the language the contact chose (/language, or an operator); None: not
    # chosen (the platform's locale or CASEBOT_DEFAULT_LANGUAGE applies, bot/i18n.py), and
    # whether casebot has offered once to switch to the language they wrote in
    language: str | None = Field(default=None, max_length=16)
    language_offered: bool = Field(default=False,
                                   sa_column_kwargs={"server_default": sa.false()})


class ChatIdentity(SQLModel, table=True):
    """A Slack team+user, a Telegram user or a console user, linked to one contact."""

    __tablename__ = "chat_identities"
    __table_args__ = (sa.UniqueConstraint("channel", "external_id"),)
    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contacts.id", index=True)
    channel: str = Field(max_length=20)
    external_id: str = Field(max_length=200)
    chat_ref: str | None = Field(default=None, max_length=200)
    # the platform's language for the person (Slack's user locale), kept so an ordinary
    # action asks the platform nothing; refreshed by Slack's user_change event (0019)
    locale: str | None = Field(default=None, max_length=35)
    created_at: datetime = _ts()


class ActivationCode(SQLModel, table=True):
    __tablename__ = "activation_codes"
    __table_args__ = (sa.UniqueConstraint("account_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="accounts.id", index=True)
    product: str = Field(max_length=120)
    code: str = Field(max_length=40)
    # the only contact who may see the code in full (0007)
    registered_by: int | None = Field(default=None, foreign_key="contacts.id")
    created_at: datetime = _ts()


class Profile(SQLModel, table=True):
    __tablename__ = "profiles"
    __table_args__ = (sa.UniqueConstraint("contact_id", "name_key"),)
    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contacts.id", index=True)
    name: str = Field(max_length=80)
    name_key: str = Field(max_length=80)
    product: str = Field(max_length=120)
    version: str = Field(max_length=60)
    operating_systems: list[str] = _json(list)
    activation_code_id: int | None = Field(default=None, foreign_key="activation_codes.id")
    toolbox_guid: str | None = Field(default=None, max_length=36)
    settings: list[str] = _json(list)
    language: str = Field(max_length=60)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class Conversation(SQLModel, table=True):
    """A contact's place in a flow. `version` guards against two events racing."""

    __tablename__ = "conversations"
    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contacts.id", unique=True)
    flow: str = Field(max_length=20)
    state: str = Field(max_length=40)
    answers: dict[str, Any] = _json(dict)
    stack: list[dict[str, Any]] = _json(list)
    draft_id: str = Field(max_length=40)
    channel: str = Field(default="console", max_length=20)
    version: int = Field(default=1)
    updated_at: datetime = _ts()


class Case(SQLModel, table=True):
    __tablename__ = "cases"
    # a contact's newest cases (/cases) by index, however many cases there are (0002)
    # the web inbox's filters, newest first, by index (0006)
    # the desk's views: an owner's cases, unresolved by due time, an owner's by due time (0012)
    __table_args__ = (sa.Index("ix_cases_contact_id_id", "contact_id", "id"),
                      sa.Index("ix_cases_status_id", "status", "id"),
                      sa.Index("ix_cases_channel_id", "channel", "id"),
                      sa.Index("ix_cases_assignee_id", "assignee", "id"),
                      sa.Index("ix_cases_open_due", "due_sort", "id",
                               sqlite_where=sa.text(UNRESOLVED_SQL),
                               postgresql_where=sa.text(UNRESOLVED_SQL)),
                      sa.Index("ix_cases_open_assignee_due", "assignee", "due_sort", "id",
                               sqlite_where=sa.text(UNRESOLVED_SQL),
                               postgresql_where=sa.text(UNRESOLVED_SQL)),
                      sa.Index("ix_cases_reference_id", "reference_id"))
    id: int | None = Field(default=None, primary_key=True)
    number: str | None = Field(default=None, max_length=20, unique=True)
    reference_id: str | None = Field(default=None, max_length=30)
    idempotency_key: str = Field(max_length=80, unique=True)
    contact_id: int = Field(foreign_key="contacts.id")
    channel: str = Field(max_length=20)
    status: str = Field(default="open", max_length=30)
    subject: str = Field(max_length=200)
    details: dict[str, Any] = _json(dict)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    # when it was last resolved: a customer's message within CASEBOT_REOPEN_DAYS reopens it (0011)
    resolved_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    # the desk (0012): the owner (an operator's email), bumped by every change, and the
    # response clock: what is owed by when (null: nothing, e.g. waiting for the customer);
    # `due_sort` is `due_at` or NEVER; `clock_at` when the clock last (re)started;
    # `alerted_due_at` the due time staff were last told was missed
    assignee: str | None = Field(default=None, max_length=320)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    due_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    due_kind: str | None = Field(default=None, max_length=20)
    due_sort: datetime = Field(default=NEVER, sa_type=sa.DateTime(timezone=True))
    first_response_at: datetime | None = Field(default=None,
                                               sa_type=sa.DateTime(timezone=True))
    clock_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    alerted_due_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class Attachment(SQLModel, table=True):
    """A file on a case; the bytes live once on disk under their sha256."""

    __tablename__ = "attachments"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    name: str = Field(max_length=255)
    size: int
    sha256: str = Field(max_length=64, index=True)
    created_at: datetime = _ts()


class CaseEvent(SQLModel, table=True):
    """The case timeline: created, status changes, notes."""

    __tablename__ = "case_events"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    at: datetime = _ts()
    kind: str = Field(max_length=30)
    text: str = Field(default="")
    # who made it (an operator's email, a customer's, `cli:USER`) and the case version it made
    # (0012): a stale console form shows the entries after its version
    actor: str | None = Field(default=None, max_length=320)
    version: int | None = None


class OutboxMail(SQLModel, table=True):
    """Mail written in the same transaction as the change that causes it; a sender delivers."""

    __tablename__ = "outbox"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=30)
    to: str = Field(max_length=320)
    cc: list[str] = _json(list)
    subject: str = Field(max_length=300)
    body_text: str
    body_html: str | None = None
    headers: dict[str, str] = _json(dict)
    case_id: int | None = Field(default=None, foreign_key="cases.id", index=True)
    status: str = Field(default="pending", max_length=20, index=True)
    attempts: int = 0
    next_attempt_at: datetime = _ts()
    last_error: str | None = None
    created_at: datetime = _ts()
    sent_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    # issue 23: the case message it carries, and its files ({name, size, sha256})
    message_id: int | None = Field(default=None, foreign_key="case_messages.id", index=True)
    files: list[dict[str, Any]] = _json(list)


class ProcessedEvent(SQLModel, table=True):
    """Platform delivery ids already handled, so a redelivery does nothing."""

    __tablename__ = "processed_events"
    key: str = Field(primary_key=True, max_length=200)
    at: datetime = _ts(index=True)


class VerificationCode(SQLModel, table=True):
    """A code mailed to prove an address; only its hash is kept."""

    __tablename__ = "verification_codes"
    __table_args__ = (sa.Index("ix_verification_codes_channel_external_id", "channel",
                               "external_id"),)
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, index=True)
    domain: str = Field(default="", max_length=255, index=True)
    channel: str = Field(max_length=20)
    external_id: str = Field(max_length=200)
    code_hash: str = Field(max_length=128)
    tries: int = 0
    # when the last wrong guess came, for the growing delay between guesses (0007)
    last_try_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    expires_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    consumed_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    created_at: datetime = _ts(index=True)


class UrlRating(SQLModel, table=True):
    """A local web-reputation entry for a URL, a path prefix, a host or a registered domain."""

    __tablename__ = "url_ratings"
    __table_args__ = (sa.UniqueConstraint("kind", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=10)
    key: str = Field(max_length=2048)
    rating: str = Field(max_length=30)
    category: str | None = Field(default=None, max_length=100)
    source: str = Field(default="feed", max_length=100)
    updated_at: datetime = _ts()


class ChatNotice(SQLModel, table=True):
    """A message for a contact's chat (e.g. an operator's case update), sent by the bot process.

    Written by whoever causes it (the CLI, another worker) and delivered by the running chat
    adapter, so an update reaches the chat even when it was made from another process.
    """

    __tablename__ = "chat_notices"
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=20, index=True)
    external_id: str = Field(max_length=200)
    chat_ref: str | None = Field(default=None, max_length=200)
    case_id: int | None = Field(default=None, foreign_key="cases.id")
    text: str
    status: str = Field(default="pending", max_length=20, index=True)
    attempts: int = 0
    claimed_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    created_at: datetime = _ts()
    sent_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    # issue 23: the case message it carries (None: a plain update), its buttons
    # (`flows.commands` ids with labels) and its files ({name, size, sha256})
    message_id: int | None = Field(default=None, foreign_key="case_messages.id", index=True)
    buttons: list[dict[str, str]] = _json(list)
    files: list[dict[str, Any]] = _json(list)


class UrlCheck(SQLModel, table=True):
    """A contact's last /checkurl, so "Request reclassification" works on any worker, later."""

    __tablename__ = "url_checks"
    contact_id: int = Field(foreign_key="contacts.id", primary_key=True)
    urls: list[str] = _json(list)
    checked_at: datetime = _ts()


class AuditEvent(SQLModel, table=True):
    """Who saw or changed something sensitive (e.g. a full activation code), and when (0007)."""

    __tablename__ = "audit_events"
    # the console's /audit by operator or by subject (a case), newest first (0012)
    __table_args__ = (sa.Index("ix_audit_events_actor_id", "actor", "id"),
                      sa.Index("ix_audit_events_subject_id", "subject", "id"))
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(index=True)
    actor: str = Field(max_length=320)
    action: str = Field(max_length=40)
    subject: str = Field(max_length=200)
    detail: str = Field(default="")


class Upload(SQLModel, table=True):
    """Bytes a contact stored, for the per-contact file quota (0007)."""

    __tablename__ = "uploads"
    __table_args__ = (sa.Index("ix_uploads_contact_id_at", "contact_id", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contacts.id")
    sha256: str = Field(max_length=64)
    size: int = Field(sa_type=sa.BigInteger)
    at: datetime = _ts()


class Operator(SQLModel, table=True):
    """Support staff who sign in to the web console (issue 14). Not contacts: no chat, no case."""

    __tablename__ = "operators"
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True)
    password_hash: str = Field(max_length=200)
    created_at: datetime = _ts()
    last_sign_in_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    # carried in each session cookie; bumped by sign-out and by a new password, which ends
    # every session signed in before (a copied cookie stops working too)
    session_epoch: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class SignInFailure(SQLModel, table=True):
    """A refused web sign-in, by email and by client address, for the rate limit (web/auth.py).

    In the database rather than in memory, so the limit holds across web processes."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (sa.Index("ix_sign_in_failures_key_at", "key", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=400)
    at: datetime = _ts()


class LimitLock(SQLModel, table=True):
    """One row per limit whose check and count must not interleave (the verification codes,
    the web sign-ins): a unit takes the row's lock before it reads the counts and holds it
    until it commits, so concurrent requests, in any process, are counted one after another
    (store/repositories/limits.py, 0010)."""

    __tablename__ = "limit_locks"
    name: str = Field(primary_key=True, max_length=100)
    taken_at: datetime = _ts()


class IdentityWait(SQLModel, table=True):
    """A person not linked yet: what they first asked for and whether they said "not that
    email" (bot/chat.py). In the database, so any worker, or a restarted one, goes on with
    the first ask once they are linked; deleted on linking, pruned after a retention (0008)."""

    __tablename__ = "identity_waits"
    channel: str = Field(primary_key=True, max_length=20)
    external_id: str = Field(primary_key=True, max_length=200)
    ask: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    declined: bool = Field(default=False)
    updated_at: datetime = _ts(index=True)


class FeedImport(SQLModel, table=True):
    """A URL feed import started in the web console (web/imports.py): its progress and result.
    In the database, so any console process, or one restarted, shows it, and an import whose
    process stopped shows as stopped rather than vanishing (0009)."""

    __tablename__ = "feed_imports"
    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=100)
    upload: str = Field(max_length=64)  # the uploaded file's name in the imports folder
    done_bytes: int = Field(default=0, sa_type=sa.BigInteger)
    total_bytes: int = Field(default=0, sa_type=sa.BigInteger)
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejects: list[Any] = _json(list)  # the first [line, reason] pairs
    seconds: float = 0.0
    finished: bool = False
    error: str = Field(default="", sa_type=sa.Text)
    started_at: datetime = _ts(index=True)
    updated_at: datetime = _ts()  # progress, or the running process's heartbeat


class CaseMessage(SQLModel, table=True):
    """One message of a case's conversation (issue 23), oldest first by id.

    `external_id` is the platform's own id of it (Slack's ts, Telegram's message id, a mail's
    Message-ID): with `channel` it is unique, so a redelivered event or a mail fetched twice
    is stored once.
    """

    __tablename__ = "case_messages"
    __table_args__ = (sa.UniqueConstraint("channel", "external_id",
                                          name="uq_case_messages_channel_external_id"),
                      sa.Index("ix_case_messages_case_id_id", "case_id", "id"))
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id")
    at: datetime = _ts()
    author: str = Field(max_length=320)  # an email, or "casebot"
    author_kind: str = Field(max_length=20)  # customer / operator / system
    visibility: str = Field(default="public", max_length=20)  # public / internal
    channel: str = Field(max_length=20)  # slack / telegram / console / mail / web / cli
    text: str = ""
    attachments: list[dict[str, Any]] = _json(list)  # {name, size, sha256}
    external_id: str | None = Field(default=None, max_length=300)
    original: str | None = None  # a mail's whole text before quotes were cut
    # a customer's message: the case's status before it, restored if the customer takes the
    # message back out into a new request (bot/followup.py, 0017)
    status_before: str | None = Field(default=None, max_length=30)


class CaseRef(SQLModel, table=True):
    """A chat message about a case (Slack: the thread's parent ts; Telegram: any message id),
    so a reply to it reaches that case and no other."""

    __tablename__ = "case_refs"
    __table_args__ = (sa.UniqueConstraint("channel", "chat", "ref",
                                          name="uq_case_refs_channel_chat_ref"),)
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=20)
    chat: str = Field(max_length=200)
    ref: str = Field(max_length=200)
    case_id: int = Field(foreign_key="cases.id", index=True)
    created_at: datetime = _ts()


class Survey(SQLModel, table=True):
    """The satisfaction question of one resolution; withdrawn when the case reopens."""

    __tablename__ = "surveys"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    asked_at: datetime = _ts()
    rating: int | None = None
    comment: str | None = None
    answered_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    withdrawn: bool = False
    comment_wanted: bool = False  # rated: the customer's next plain message is the comment


class HeldMessage(SQLModel, table=True):
    """What a customer wrote outside any thread while their cases' conversations go on and
    none is plainly the one it answers (bot/replies.py `unthreaded`): kept until they press
    "Add to case N" or "New case" (never silently taken as either)."""

    __tablename__ = "held_messages"
    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contacts.id", index=True)
    channel: str = Field(max_length=20)
    text: str = ""
    files: list[dict[str, Any]] = _json(list)
    external_id: str | None = Field(default=None, max_length=300)
    created_at: datetime = _ts()


class AsideMail(SQLModel, table=True):
    """Mail that reached casebot but belongs to no case it may touch: kept for an operator."""

    __tablename__ = "mail_aside"
    id: int | None = Field(default=None, primary_key=True)
    received_at: datetime = _ts()
    sender: str = Field(default="", max_length=320)
    subject: str = Field(default="", max_length=300)
    reason: str = Field(default="", max_length=200)
    message_id: str | None = Field(default=None, max_length=300, unique=True)
    raw_sha256: str | None = Field(default=None, max_length=64)
    size: int = 0


class StaffAlert(SQLModel, table=True):
    """A new Critical/High case, a missed due time or a customer's reply on an owned case,
    waiting for the Slack process to post it to `CASEBOT_STAFF_SLACK_CHANNEL` (0012)."""

    __tablename__ = "staff_alerts"
    # the Slack process's next look: unsent alerts by when they are due, by index (0012)
    __table_args__ = (sa.Index("ix_staff_alerts_pending", "next_attempt_at", "id",
                               sqlite_where=sa.text("sent_at IS NULL"),
                               postgresql_where=sa.text("sent_at IS NULL")),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id")
    kind: str = Field(max_length=30)
    text: str
    created_at: datetime = _ts()
    sent_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    last_error: str | None = None
    # when a Slack process may (next) take it: a claim's lease, a failure's backoff, NEVER
    # once given up
    next_attempt_at: datetime = Field(default_factory=utcnow,
                                      sa_type=sa.DateTime(timezone=True),
                                      sa_column_kwargs={"server_default": sa.func.now()})


class CannedReply(SQLModel, table=True):
    """A named reply operators insert in the reply form (0012)."""

    __tablename__ = "canned_replies"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    text: str
    updated_by: str = Field(max_length=320)
    updated_at: datetime = _ts()


class Blob(SQLModel, table=True):
    """A stored file in the database (CASEBOT_BLOBS=database, store/blobs/database.py): one
    row per sha256, its bytes in `blob_chunks`. `created_at` is refreshed when the same bytes
    are stored again, so pruning by age never takes a file being attached (0013)."""

    __tablename__ = "blobs"
    sha256: str = Field(primary_key=True, max_length=64)
    size: int = Field(default=0, sa_type=sa.BigInteger)
    created_at: datetime = _ts(index=True)


class BlobChunk(SQLModel, table=True):
    """One 1 MB piece of a blob's bytes (the last may be shorter), in order of `seq` (0013)."""

    __tablename__ = "blob_chunks"
    sha256: str = Field(primary_key=True, max_length=64, foreign_key="blobs.sha256",
                        ondelete="CASCADE")
    seq: int = Field(primary_key=True)
    data: bytes = Field(sa_type=sa.LargeBinary)


class RateBucket(SQLModel, table=True):
    """One outbound rate limit shared by every process (store/budget.py, 0015): `tat`, when
    the next send's slot begins, in seconds since the epoch on the database server's clock."""

    __tablename__ = "rate_buckets"
    name: str = Field(primary_key=True, max_length=200)
    tat: float = Field(default=0.0, sa_type=sa.Float)

class SampleCheck(SQLModel, table=True):
    """A sample zip's check, shared by every process: asked for, then its verdict (0014).

    Keyed like the old in-process cache: the file's sha256, a hash of the password and the
    member types the category accepts. The password itself waits here only while the check
    runs (a job on another node needs it to decrypt) and is cleared with the verdict.
    """

    __tablename__ = "sample_checks"
    __table_args__ = (sa.UniqueConstraint("sha256", "secret", "members",
                                          name="uq_sample_checks_key"),)
    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64)
    secret: str = Field(max_length=64)  # sha256 of the password: the key, never the password
    members: str = Field(max_length=200)  # the accepted member suffixes, comma-joined
    name: str = Field(max_length=255)
    password: str | None = None  # only until the verdict
    status: str = Field(default="checking", max_length=20)  # checking, done
    verdict: str | None = None  # None once done: the sample passed (English, for operators)
    # what the verdict is (flows/i18n.py `as_data`), rendered in each reader's language (0021);
    # None on a row written before: `verdict` is shown as it is
    verdict_msg: Any = Field(default=None, sa_type=JSON, nullable=True)
    created_at: datetime = _ts()
    done_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class SampleWaiter(SQLModel, table=True):
    """A chat told "being checked": it gets the verdict as a chat notice, once (0014)."""

    __tablename__ = "sample_waiters"
    __table_args__ = (sa.UniqueConstraint("check_id", "channel", "external_id",
                                          name="uq_sample_waiters_chat"),)
    id: int | None = Field(default=None, primary_key=True)
    check_id: int = Field(foreign_key="sample_checks.id")
    channel: str = Field(max_length=20)
    external_id: str = Field(max_length=200)
    chat_ref: str | None = Field(default=None, max_length=200)
    name: str = Field(max_length=255)  # the file's name as this chat sent it


class JobError(SQLModel, table=True):
    """The last error of a job of the job queue (bot/jobs.py), for `casebot jobs list` and the
    console's /jobs page: the queue keeps a job's status and attempts, not why it failed."""

    __tablename__ = "job_errors"
    job_id: int = Field(primary_key=True, sa_type=sa.BigInteger)
    task: str = Field(max_length=200)
    error: str
    at: datetime = _ts()
