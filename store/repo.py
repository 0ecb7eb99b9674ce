"""Reading and writing casebot's records inside one session (one unit of work per event).

Functions take the session first and never commit: the caller decides where a unit of work
ends, so a case, its timeline and its confirmation mail are written together or not at all.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from flows import conversation
from flows.clean import clean_input
from flows.context import CodeView, ProfileView
from flows.model import Inbound, PendingFile
from flows.validators import mask_activation_code
from store import fast
from store.db import table_of
from store.fast import Db
from store.tables import (
    Account,
    ActivationCode,
    Attachment,
    Case,
    CaseEvent,
    ChatIdentity,
    Contact,
    Conversation,
    IdentityWait,
    OutboxMail,
    ProcessedEvent,
    Profile,
    UrlCheck,
    as_utc,
    utcnow,
)

CASE_NUMBER_BASE = 10_000_000


class StaleConversation(Exception):
    """Another event changed the conversation first; the caller retries from the start."""


# -- accounts, contacts, identities ---------------------------------------------------------

def saved_id(row: Any) -> int:
    """The primary key of a row that has been flushed (None only before the INSERT)."""
    assert row.id is not None, "row not flushed yet"
    return int(row.id)


def find_account(s: Session, domain: str) -> Account | None:
    """The account that owns `domain`: its own, or a parent's that takes sub-domains.

    Never a bare TLD, and never a personal account (those have no domain).
    """
    labels = domain.lower().split(".")
    candidates = [".".join(labels[i:]) for i in range(len(labels) - 1)]
    if not candidates:
        return None
    rows = {a.domain: a for a in s.exec(select(Account).where(col(Account.domain)
                                                                .in_(candidates)))}
    if candidates[0] in rows:
        return rows[candidates[0]]
    return next((rows[c] for c in candidates[1:] if c in rows and rows[c].include_subdomains),
                None)


def personal_account(s: Session, email: str) -> Account:
    """A new account of one for `email`, whose domain no account owns (issue 11)."""
    acct = Account(name=email.lower(), domain=None, personal=True)
    s.add(acct)
    s.flush()
    return acct


def contact_by_email(s: Session, email: str) -> Contact | None:
    return s.exec(select(Contact).where(sa.func.lower(Contact.email) == email.lower())).first()


def ensure_contact(s: Session, email: str, name: str = "") -> Contact:
    """The contact for `email`; a new one joins the account owning its domain, or gets a
    personal account of its own. No account is ever made for a domain here: operators do
    that (`casebot accounts add`)."""
    name = clean_input(name)[:200]  # a chat profile's display name is user text too
    contact = contact_by_email(s, email)
    if contact is None:
        acct = find_account(s, email.rsplit("@", 1)[-1]) or personal_account(s, email)
        contact = Contact(account_id=saved_id(acct), email=email, name=name)
        s.add(contact)
        s.flush()
    elif name and not contact.name:
        contact.name = name
    return contact


def contact_for_identity(s: Session, channel: str, external_id: str) -> Contact | None:
    row = s.exec(select(Contact).join(ChatIdentity, col(ChatIdentity.contact_id) == Contact.id)
                 .where(ChatIdentity.channel == channel,
                        ChatIdentity.external_id == external_id)).first()
    return row


def link_identity(s: Session, contact: Contact, channel: str, external_id: str,
                  chat_ref: str | None = None) -> ChatIdentity:
    ident = s.exec(select(ChatIdentity).where(ChatIdentity.channel == channel,
                                              ChatIdentity.external_id == external_id)).first()
    if ident is None:
        ident = ChatIdentity(contact_id=saved_id(contact), channel=channel,
                             external_id=external_id, chat_ref=chat_ref)
        s.add(ident)
    else:
        ident.contact_id = saved_id(contact)
        if chat_ref:
            ident.chat_ref = chat_ref
    s.flush()
    return ident


def identities_of(s: Session, contact_id: int) -> list[ChatIdentity]:
    return list(s.exec(select(ChatIdentity).where(ChatIdentity.contact_id == contact_id)))


def unlink_identity(s: Session, contact: Contact, channel: str, external_id: str) -> bool:
    """Remove one chat identity from `contact`; False when it was not linked to it."""
    ident = s.exec(select(ChatIdentity).where(ChatIdentity.channel == channel,
                                              ChatIdentity.external_id == external_id,
                                              ChatIdentity.contact_id == contact.id)).first()
    if ident is None:
        return False
    s.delete(ident)
    s.flush()
    return True


def account_contact_emails(s: Session, account_id: int) -> list[str]:
    """The account's contact list for CC: only contacts who agreed to be listed."""
    rows = s.exec(select(Contact.email).where(Contact.account_id == account_id,
                                              col(Contact.listed).is_(True))
                  .order_by(Contact.email))
    return list(rows)


# -- activation codes and profiles ------------------------------------------------------------

_codes = table_of(ActivationCode)
_profiles = table_of(Profile)
# Read on many steps (the profile and code questions, and checking earlier answers still
# hold), so run on the cursor (store/fast.py), like the event's own statements below.
_CODES_OF = fast.Prepared(sa.select(_codes.c.id, _codes.c.product, _codes.c.code)
                          .where(_codes.c.account_id == sa.bindparam("account_id"),
                                 _codes.c.product == sa.bindparam("product"))
                          .order_by(_codes.c.id))
_PROFILES_OF = fast.Prepared(
    sa.select(_profiles.c.id, _profiles.c.name, _profiles.c.product, _profiles.c.version,
              _profiles.c.operating_systems, _profiles.c.language, _profiles.c.settings,
              _profiles.c.activation_code_id, _profiles.c.toolbox_guid, _codes.c.code)
    .select_from(_profiles.outerjoin(_codes, _profiles.c.activation_code_id == _codes.c.id))
    .where(_profiles.c.contact_id == sa.bindparam("contact_id"))
    .order_by(_profiles.c.name_key))


def activation_codes(db: Db, account_id: int, product: str) -> list[CodeView]:
    rows = fast.execute(db, _CODES_OF, {"account_id": account_id, "product": product}).rows
    return [CodeView(id=id_, product=product_, masked=mask_activation_code(code))
            for id_, product_, code in rows]


def register_code(s: Session, account_id: int, product: str, code: str,
                  registered_by: int | None = None) -> ActivationCode:
    row = s.exec(select(ActivationCode).where(ActivationCode.account_id == account_id,
                                              ActivationCode.code == code)).first()
    if row is None:
        row = ActivationCode(account_id=account_id, product=product, code=code,
                             registered_by=registered_by)
        s.add(row)
        s.flush()
    return row


def profile_views(db: Db, contact_id: int) -> list[ProfileView]:
    rows = fast.execute(db, _PROFILES_OF, {"contact_id": contact_id}).rows
    return [ProfileView(
        id=id_, name=name, product=product, version=version,
        operating_systems=tuple(systems or ()), language=language,
        settings=tuple(settings or ()), activation_code_id=code_id,
        activation_code_masked=mask_activation_code(code) if code is not None else None,
        toolbox_guid=guid)
        for id_, name, product, version, systems, language, settings, code_id, guid, code
        in rows]


def save_profile(s: Session, contact: Contact | ContactInfo, a: dict[str, Any]) -> int:
    """Create or update the contact's profile from the profile form's answers."""
    code_answer = a.get("activation_code") or {}
    if "new" in code_answer:
        code_id = register_code(s, contact.account_id, a["product"], code_answer["new"],
                                registered_by=contact.id).id
    else:
        code_id = code_answer.get("id")
        owned = s.get(ActivationCode, code_id) if code_id else None
        if owned is None or owned.account_id != contact.account_id:
            code_id = None
    pid = a.get("_profile_id")
    profile = s.get(Profile, pid) if pid else None
    if profile is None or profile.contact_id != contact.id:
        profile = Profile(contact_id=saved_id(contact), name="", name_key="", product="",
                          version="", language="")
        s.add(profile)
    profile.name = a["name"]
    profile.name_key = a["name"].casefold()
    profile.product = a["product"]
    profile.version = a["version"]
    profile.operating_systems = list(a.get("operating_systems") or [])
    profile.activation_code_id = code_id
    profile.toolbox_guid = a.get("toolbox_guid") or None
    profile.settings = list(a.get("settings") or [])
    profile.language = a["language"]
    profile.updated_at = utcnow()
    s.flush()
    assert profile.id is not None
    return profile.id


def delete_profile(s: Session, contact: Contact | ContactInfo, profile_id: int) -> bool:
    profile = s.get(Profile, profile_id)
    if profile is None or profile.contact_id != contact.id:
        return False
    s.delete(profile)
    s.flush()
    return True


# -- conversations (the hot path: plain Core statements) -----------------------------------

@dataclass(kw_only=True)
class ConvRow(conversation.Conversation):
    """A conversation as stored: its row id, owner, channel and version (optimistic lock)."""

    id: int
    contact_id: int
    channel: str
    version: int


_conv = table_of(Conversation)
_contacts = table_of(Contact)
_idents = table_of(ChatIdentity)
_CONV_COLS = (_conv.c.id, _conv.c.contact_id, _conv.c.flow, _conv.c.state, _conv.c.answers,
              _conv.c.stack, _conv.c.draft_id, _conv.c.channel, _conv.c.version)

# Every chat step runs these: compiled once, run on the cursor (store/fast.py).
_LOAD_CONV = fast.Prepared(
    sa.select(*_CONV_COLS).where(_conv.c.contact_id == sa.bindparam("contact_id")))
_LOAD_BY_IDENTITY = fast.Prepared(
    sa.select(_contacts.c.id, _contacts.c.account_id, _contacts.c.email, _contacts.c.name,
              _contacts.c.case_recipients, *_CONV_COLS)
    .select_from(_idents.join(_contacts, _contacts.c.id == _idents.c.contact_id)
                 .outerjoin(_conv, _conv.c.contact_id == _contacts.c.id))
    .where(_idents.c.channel == sa.bindparam("channel"),
           _idents.c.external_id == sa.bindparam("external_id")))
_UPDATE_CONV = fast.Prepared(
    _conv.update()
    .where(_conv.c.id == sa.bindparam("b_id"), _conv.c.version == sa.bindparam("b_version"))
    .values(flow=sa.bindparam("b_flow"), state=sa.bindparam("b_state"),
            answers=sa.bindparam("b_answers", type_=_conv.c.answers.type),
            stack=sa.bindparam("b_stack", type_=_conv.c.stack.type),
            channel=sa.bindparam("b_channel"), version=sa.bindparam("b_next"),
            updated_at=sa.bindparam("b_now", type_=_conv.c.updated_at.type)))


@dataclass(frozen=True)
class ContactInfo:
    """What an event needs to know about its contact, read without the ORM."""

    id: int
    account_id: int
    email: str
    name: str
    case_recipients: list[str]

    @staticmethod
    def of(contact: Contact) -> ContactInfo:
        assert contact.id is not None
        return ContactInfo(contact.id, contact.account_id, contact.email, contact.name,
                           list(contact.case_recipients or []))


def load_for_identity(db: Db, channel: str,
                      external_id: str) -> tuple[ContactInfo, ConvRow | None] | None:
    """The contact behind a chat identity and their conversation, in one query."""
    row = fast.execute(db, _LOAD_BY_IDENTITY, {"channel": channel,
                                               "external_id": external_id}).first()
    if row is None:
        return None
    contact = ContactInfo(row[0], row[1], row[2], row[3], list(row[4] or []))
    if row[5] is None:
        return contact, None
    return contact, _conv_row(row[5:])


def _conv_row(cols: Any) -> ConvRow:
    """A row of `_CONV_COLS` as a ConvRow."""
    return ConvRow(id=cols[0], contact_id=cols[1], flow=cols[2], state=cols[3],
                   answers=cols[4], stack=cols[5], draft_id=cols[6], channel=cols[7],
                   version=cols[8])


def load_conversation(db: Db, contact_id: int) -> ConvRow | None:
    row = fast.execute(db, _LOAD_CONV, {"contact_id": contact_id}).first()
    return _conv_row(row) if row else None


def insert_conversation(s: Session, contact_id: int, flow: str, state: str,
                        answers: dict[str, Any], stack: list[dict[str, Any]],
                        channel: str) -> ConvRow:
    draft = secrets.token_hex(8)
    try:
        result = s.connection().execute(_conv.insert().values(
            contact_id=contact_id, flow=flow, state=state, answers=answers, stack=stack,
            draft_id=draft, channel=channel, version=1, updated_at=utcnow()))
    except sa.exc.IntegrityError as exc:
        raise StaleConversation() from exc
    key = result.inserted_primary_key
    assert key is not None
    return ConvRow(id=key[0], contact_id=contact_id, flow=flow, state=state, answers=answers,
                   stack=stack, draft_id=draft, channel=channel, version=1)


def update_conversation(db: Db, conv: ConvRow) -> None:
    result = fast.execute(db, _UPDATE_CONV, {
        "b_id": conv.id, "b_version": conv.version, "b_flow": conv.flow, "b_state": conv.state,
        "b_answers": conv.answers, "b_stack": conv.stack, "b_channel": conv.channel,
        "b_next": conv.version + 1, "b_now": utcnow()})
    if result.rowcount != 1:
        raise StaleConversation()
    conv.version += 1


def delete_conversation(s: Session, conv: ConvRow) -> None:
    result = s.connection().execute(
        _conv.delete().where(_conv.c.id == conv.id, _conv.c.version == conv.version))
    if result.rowcount != 1:
        raise StaleConversation()


# -- cases --------------------------------------------------------------------------------------

def case_by_key(s: Session, key: str) -> Case | None:
    return s.exec(select(Case).where(Case.idempotency_key == key)).first()


def create_case(s: Session, contact: Contact | ContactInfo, key: str, channel: str,
                fields: dict[str, Any]) -> tuple[Case, bool]:
    """Insert a case once per idempotency key; returns (case, created)."""
    existing = case_by_key(s, key)
    if existing is not None:
        return existing, False
    now = utcnow()
    details = {k: v for k, v in fields.items() if k != "attachments"}
    case = Case(idempotency_key=key, contact_id=saved_id(contact), channel=channel,
                subject=fields["subject"], details=details, created_at=now, updated_at=now)
    s.add(case)
    s.flush()
    assert case.id is not None
    case.number = str(CASE_NUMBER_BASE + case.id)
    if fields.get("is_threat"):
        case.reference_id = f"TR-{now:%y%m%d}-{secrets.token_hex(3).upper()}"
    for f in fields.get("attachments") or []:
        s.add(Attachment(case_id=case.id, name=f["name"], size=f["size"], sha256=f["sha256"]))
    s.add(CaseEvent(case_id=case.id, at=now, kind="created",
                    text=f"Case opened from {channel}."))
    s.flush()
    return case, True


def cases_since(s: Session, contact_id: int, *, hours: float) -> int:
    """How many cases the contact opened in the last `hours` (the per-contact case limit)."""
    since = utcnow() - timedelta(hours=hours)
    return s.exec(select(sa.func.count()).select_from(Case)
                  .where(Case.contact_id == contact_id, Case.created_at > since)).one()


def case_by_number(s: Session, number: str) -> Case | None:
    return s.exec(select(Case).where(Case.number == number.strip())).first()


def cases_of(s: Session, contact_id: int | None = None, limit: int = 50) -> list[Case]:
    q = select(Case).order_by(col(Case.id).desc()).limit(limit)
    if contact_id is not None:
        q = q.where(Case.contact_id == contact_id)
    return list(s.exec(q))


def open_cases_of(s: Session, contact_id: int, done: tuple[str, ...],
                  limit: int = 20) -> list[Case]:
    """A contact's cases whose status is not in `done`, newest first (Slack's App Home)."""
    q = (select(Case).where(Case.contact_id == contact_id, col(Case.status).not_in(done))
         .order_by(col(Case.id).desc()).limit(limit))
    return list(s.exec(q))


def timeline(s: Session, case_id: int) -> list[CaseEvent]:
    return list(s.exec(select(CaseEvent).where(CaseEvent.case_id == case_id)
                       .order_by(col(CaseEvent.at), col(CaseEvent.id))))


def add_event(s: Session, case: Case, kind: str, text: str) -> CaseEvent:
    now = utcnow()
    event = CaseEvent(case_id=saved_id(case), at=now, kind=kind, text=text)
    case.updated_at = now
    s.add(event)
    s.add(case)
    s.flush()
    return event


def attachments_of(s: Session, case_id: int) -> list[Attachment]:
    return list(s.exec(select(Attachment).where(Attachment.case_id == case_id)
                       .order_by(col(Attachment.id))))


CASE_KEYS = ("number", "reference_id", "status", "channel", "contact_email", "profile_name",
             "product", "product_version", "product_language", "operating_system", "issue_type",
             "issue_category", "virus_pattern_type", "subject", "description", "severity",
             "business_impact", "cc_emails", "contact_method", "phone", "preferred_time", "urls",
             "tippingpoint", "change_window", "attachments", "created_at", "updated_at",
             "timeline", "source_url")
LIST_KEYS = ("cc_emails", "urls", "attachments", "timeline")


def iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return as_utc(dt).astimezone(UTC).isoformat().replace("+00:00", "Z")


def case_json(s: Session, case: Case) -> dict[str, Any]:
    """The case as interfaces.md promises it: exactly these keys, absent ones null or []."""
    assert case.id is not None
    contact = s.get(Contact, case.contact_id)
    d = case.details
    out: dict[str, Any] = {}
    for key in CASE_KEYS:
        out[key] = d.get(key, [] if key in LIST_KEYS else None)
    out.update(
        number=case.number, reference_id=case.reference_id, status=case.status,
        channel=case.channel, contact_email=contact.email if contact else None,
        subject=case.subject, created_at=iso(case.created_at), updated_at=iso(case.updated_at),
        attachments=[{"name": a.name, "size": a.size, "sha256": a.sha256}
                     for a in attachments_of(s, case.id)],
        timeline=[{"at": iso(e.at), "kind": e.kind, "text": e.text}
                  for e in timeline(s, case.id)])
    for key in LIST_KEYS:
        out[key] = out[key] or []
    return out


# -- the last URL check -------------------------------------------------------------------------

def remember_url_check(s: Session, contact_id: int, urls: list[str]) -> None:
    row = s.get(UrlCheck, contact_id)
    if row is None:
        s.add(UrlCheck(contact_id=contact_id, urls=list(urls)))
    else:
        row.urls, row.checked_at = list(urls), utcnow()
        s.add(row)
    s.flush()


def last_url_check(s: Session, contact_id: int) -> list[str]:
    row = s.get(UrlCheck, contact_id)
    return list(row.urls) if row else []


# -- outbox and delivery ids ------------------------------------------------------------------

def queue_mail(s: Session, *, kind: str, to: str, subject: str, body_text: str,
               cc: list[str] | None = None, body_html: str | None = None,
               headers: dict[str, str] | None = None, case_id: int | None = None) -> OutboxMail:
    mail = OutboxMail(kind=kind, to=to, cc=list(cc or []), subject=subject, body_text=body_text,
                      body_html=body_html, headers=dict(headers or {}), case_id=case_id)
    s.add(mail)
    s.flush()
    return mail


def outbox(s: Session, limit: int = 100) -> list[OutboxMail]:
    return list(s.exec(select(OutboxMail).order_by(col(OutboxMail.id).desc()).limit(limit)))


_processed = table_of(ProcessedEvent)
_RECORD_DELIVERY = {
    "sqlite": fast.Prepared(sqlite_insert(_processed).on_conflict_do_nothing(
        index_elements=["key"]).returning(_processed.c.key), keys=["key", "at"]),
    "postgresql": fast.Prepared(pg_insert(_processed).on_conflict_do_nothing(
        index_elements=["key"]).returning(_processed.c.key), keys=["key", "at"]),
}


def first_delivery(db: Db, key: str) -> bool:
    """Record a platform delivery id; False when it was seen before (a redelivery).

    One INSERT … ON CONFLICT DO NOTHING: on PostgreSQL a concurrent insert of the same id
    waits for the other transaction and then counts as seen, so exactly one event proceeds.
    """
    conn = fast.connection_of(db)
    stmt = _RECORD_DELIVERY.get(conn.dialect.name)
    if stmt is None:  # another database: the portable, slower way
        if conn.execute(sa.select(_processed.c.key).where(_processed.c.key == key)).first():
            return False
        conn.execute(_processed.insert().values(key=key, at=utcnow()))
        return True
    # RETURNING, not rowcount: psycopg reports -1 for this statement under SQLAlchemy 2.1
    return fast.execute(conn, stmt, {"key": key, "at": utcnow()}).first() is not None


def forget_deliveries(s: Session, older_than: timedelta) -> int:
    cutoff = utcnow() - older_than
    result = s.connection().execute(_processed.delete().where(_processed.c.at < cutoff))
    return result.rowcount or 0


# -- identity waits (a person not linked yet; bot/chat.py) ------------------------------------

_waits = table_of(IdentityWait)
_WAIT_KEY = ["channel", "external_id"]


def _ask_json(ask: Inbound) -> dict[str, Any]:
    """A typed or command ask as JSON. No stored file is kept (nothing is fetched before
    linking); a message's files are kept as the platform's references, fetched once linked."""
    return {"kind": ask.kind, "text": ask.text, "command": ask.command, "args": ask.args,
            "source": ask.source,
            "pending_files": [asdict(f) for f in ask.pending_files]}


def _ask_of(data: dict[str, Any]) -> Inbound:
    """`_ask_json` read back (rows written before pending files existed have none)."""
    fields = dict(data)
    pending = tuple(PendingFile(**f) for f in fields.pop("pending_files", None) or ())
    return Inbound(**fields, pending_files=pending)


def identity_wait(s: Session, channel: str, external_id: str) -> tuple[Inbound | None, bool]:
    """What this unlinked identity first asked for (None: nothing yet) and whether it said
    "not that email"."""
    row = s.connection().execute(sa.select(_waits.c.ask, _waits.c.declined).where(
        _waits.c.channel == channel, _waits.c.external_id == external_id)).first()
    if row is None:
        return None, False
    return (_ask_of(row.ask) if row.ask else None), bool(row.declined)


def remember_wait(s: Session, channel: str, external_id: str, *, ask: Inbound | None = None,
                  declined: bool = False, replace: bool = False) -> None:
    """Keep the first ask (a later one replaces it only with `replace`: a message to open a
    request from) and "not that email" (never unset).

    One INSERT … ON CONFLICT DO UPDATE, so two workers writing at once both land."""
    values = {"channel": channel, "external_id": external_id, "declined": declined,
              "ask": _ask_json(ask) if ask is not None else sa.null(), "updated_at": utcnow()}
    stmt: sa.Executable
    if s.connection().dialect.name == "postgresql":
        pg = pg_insert(_waits).values(**values)
        stmt = pg.on_conflict_do_update(index_elements=_WAIT_KEY,
                                        set_=_merged(pg.excluded, replace))
    else:  # SQLite, the other database casebot runs on
        lite = sqlite_insert(_waits).values(**values)
        stmt = lite.on_conflict_do_update(index_elements=_WAIT_KEY,
                                          set_=_merged(lite.excluded, replace))
    s.connection().execute(stmt)


def _merged(excluded: Any, replace: bool) -> dict[str, Any]:
    """An existing wait keeps its "not that email", and its first ask unless `replace`."""
    return {"declined": sa.or_(_waits.c.declined, excluded.declined),
            "ask": excluded.ask if replace else sa.func.coalesce(_waits.c.ask, excluded.ask),
            "updated_at": excluded.updated_at}


def take_wait(s: Session, channel: str, external_id: str) -> Inbound | None:
    """The first ask of an identity just linked; its wait is deleted."""
    ask, _ = identity_wait(s, channel, external_id)
    s.connection().execute(_waits.delete().where(
        _waits.c.channel == channel, _waits.c.external_id == external_id))
    return ask


def forget_waits(s: Session, older_than: timedelta) -> int:
    """Delete waits untouched for `older_than` (a person who never finished linking)."""
    cutoff = utcnow() - older_than
    return s.connection().execute(
        _waits.delete().where(_waits.c.updated_at < cutoff)).rowcount or 0
