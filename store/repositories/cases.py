"""Cases, their timeline events and attachments, and the case JSON of interfaces.md."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from store.db import table_of
from store.repositories.base import Repository
from store.repositories.contacts import ContactInfo
from store.repositories.search import Search
from store.tables import (
    UNRESOLVED_SQL,
    Attachment,
    Case,
    CaseEvent,
    CaseMessage,
    Contact,
    Survey,
    iso,
    saved_id,
    utcnow,
)

_cases = table_of(Case)
CASE_NUMBER_BASE = 10_000_000
CASE_KEYS = ("number", "reference_id", "status", "channel", "contact_email", "profile_name",
             "product", "product_version", "product_language", "operating_system", "issue_type",
             "issue_category", "virus_pattern_type", "subject", "description", "severity",
             "business_impact", "cc_emails", "contact_method", "phone", "preferred_time", "urls",
             "tippingpoint", "change_window", "attachments", "created_at", "updated_at",
             "timeline", "source_url")
LIST_KEYS = ("cc_emails", "urls", "attachments", "timeline", "messages")


def message_json(m: CaseMessage) -> dict[str, Any]:
    """One message as the case JSON lists it (interfaces.md)."""
    return {"id": m.id, "at": iso(m.at), "author": m.author, "author_kind": m.author_kind,
            "visibility": m.visibility, "channel": m.channel, "text": m.text,
            "attachments": list(m.attachments or [])}


class Cases(Repository):
    def by_key(self, key: str) -> Case | None:
        return self.s.exec(select(Case).where(Case.idempotency_key == key)).first()

    def get(self, case_id: int) -> Case | None:
        return self.s.get(Case, case_id)

    def ids_of(self, contact_id: int, limit: int = 200) -> list[int]:
        """A contact's case ids, newest first."""
        return [i for i in self.s.exec(select(Case.id).where(Case.contact_id == contact_id)
                                       .order_by(col(Case.id).desc()).limit(limit)) if i]

    def add_attachment(self, case: Case, f: dict[str, Any]) -> None:
        self.s.add(Attachment(case_id=saved_id(case), name=f["name"], size=f["size"],
                              sha256=f["sha256"]))

    def remove_attachment(self, case: Case, f: dict[str, Any]) -> None:
        """One file of a message taken back out of the case (the newest row of it)."""
        row = self.s.exec(select(Attachment).where(
            Attachment.case_id == saved_id(case), Attachment.sha256 == f["sha256"],
            Attachment.name == f["name"]).order_by(col(Attachment.id).desc()).limit(1)).first()
        if row is not None:
            self.s.delete(row)
            self.s.flush()

    def by_number(self, number: str) -> Case | None:
        return self.s.exec(select(Case).where(Case.number == number.strip())).first()

    def create(self, contact: Contact | ContactInfo, key: str, channel: str,
               fields: dict[str, Any]) -> tuple[Case, bool]:
        """Insert a case once per idempotency key; returns (case, created)."""
        existing = self.by_key(key)
        if existing is not None:
            return existing, False
        s = self.s
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
            s.add(Attachment(case_id=case.id, name=f["name"], size=f["size"],
                             sha256=f["sha256"]))
        s.add(CaseEvent(case_id=case.id, at=now, kind="created", version=1,
                        actor=getattr(contact, "email", None),
                        text=f"Case opened from {channel}."))
        s.flush()
        Search(self.unit).index(case)
        return case, True

    def count_since(self, contact_id: int, *, hours: float) -> int:
        """How many cases the contact opened in the last `hours` (the per-contact limit)."""
        since = utcnow() - timedelta(hours=hours)
        return self.s.exec(select(sa.func.count()).select_from(Case)
                           .where(Case.contact_id == contact_id, Case.created_at > since)).one()

    def of_contact(self, contact_id: int | None = None, limit: int = 50) -> list[Case]:
        """Newest first; every contact's when `contact_id` is None."""
        q = select(Case).order_by(col(Case.id).desc()).limit(limit)
        if contact_id is not None:
            q = q.where(Case.contact_id == contact_id)
        return list(self.s.exec(q))

    def open_of(self, contact_id: int, done: tuple[str, ...], limit: int = 20) -> list[Case]:
        """A contact's cases whose status is not in `done`, newest first (Slack's App Home,
        and what a message that replies to nothing may be about: bot/replies.py)."""
        q = (select(Case).where(Case.contact_id == contact_id, col(Case.status).not_in(done))
             .order_by(col(Case.id).desc()).limit(limit))
        return list(self.s.exec(q))

    def hold(self, case: Case, seen: int | None = None) -> bool:
        """Wait for, then hold, the case until the unit ends, and read it afresh: a no-op
        UPDATE as the unit's first write holds the row (PostgreSQL) or the database (SQLite),
        so two changes to one case run one after the other. With `seen` (the version a
        console form was read at) it holds only if the case is still at that version: False
        when another change came first."""
        q = sa.update(_cases).where(_cases.c.id == saved_id(case)).values(
            version=_cases.c.version)
        if seen is not None:
            q = q.where(_cases.c.version == seen)
        held = self.conn.execute(q).rowcount == 1
        self.s.refresh(case)
        return held

    def last_event(self, case_id: int, kind: str) -> CaseEvent | None:
        """The case's newest timeline entry of `kind`."""
        return self.s.exec(select(CaseEvent).where(CaseEvent.case_id == case_id,
                                                   CaseEvent.kind == kind)
                           .order_by(col(CaseEvent.id).desc()).limit(1)).first()

    def events_since(self, case_id: int, version: int) -> list[CaseEvent]:
        """What changed after a view of `version` (entries of later versions), oldest first."""
        return list(self.s.exec(select(CaseEvent).where(
            CaseEvent.case_id == case_id, col(CaseEvent.version) > version)
            .order_by(col(CaseEvent.id))))

    def unclocked(self, after_id: int, limit: int) -> list[Case]:
        """Cases whose response clock was never set (made before migration 0012), by id."""
        return list(self.s.exec(select(Case).where(col(Case.due_kind).is_(None),
                                                   col(Case.id) > after_id)
                                .order_by(col(Case.id)).limit(limit)))

    def open_of_account(self, account_id: int, after_id: int, limit: int) -> list[Case]:
        """Unresolved cases of an account's contacts, by id (a plan change recomputes them)."""
        contacts = select(Contact.id).where(Contact.account_id == account_id)
        return list(self.s.exec(select(Case).where(
            sa.text(UNRESOLVED_SQL), col(Case.contact_id).in_(contacts),
            col(Case.id) > after_id).order_by(col(Case.id)).limit(limit)))

    def unresolved(self, after_id: int, limit: int) -> list[Case]:
        """Unresolved cases by id, a batch at a time (`casebot cases recompute-due --all`)."""
        return list(self.s.exec(select(Case).where(sa.text(UNRESOLVED_SQL),
                                                   col(Case.id) > after_id)
                                .order_by(col(Case.id)).limit(limit)))

    def clock_marks(self, case_ids: list[int]) -> dict[int, tuple[Any, Any, Any]]:
        """Per case: (first public operator message, last public operator message, last
        customer message) times, for setting the response clock of cases made before it."""
        m, at, case_id = CaseMessage, col(CaseMessage.at), col(CaseMessage.case_id)
        operator = sa.and_(col(m.author_kind) == "operator", col(m.visibility) == "public")
        rows = self.s.exec(select(
            case_id, sa.func.min(sa.case((operator, at))), sa.func.max(sa.case((operator, at))),
            sa.func.max(sa.case((col(m.author_kind) == "customer", at))))
            .where(case_id.in_(case_ids)).group_by(case_id))
        return {r[0]: (r[1], r[2], r[3]) for r in rows}

    def save(self, case: Case) -> None:
        self.s.add(case)
        self.s.flush()

    def timeline(self, case_id: int) -> list[CaseEvent]:
        return list(self.s.exec(select(CaseEvent).where(CaseEvent.case_id == case_id)
                                .order_by(col(CaseEvent.at), col(CaseEvent.id))))

    def add_event(self, case: Case, kind: str, text: str,
                  actor: str | None = None) -> CaseEvent:
        """A timeline entry by `actor`; it is a change, so the case's version goes up (a
        console form saved over it is stale) and the entry records the version it made."""
        now = utcnow()
        case.version = (case.version or 1) + 1
        event = CaseEvent(case_id=saved_id(case), at=now, kind=kind, text=text, actor=actor,
                          version=case.version)
        case.updated_at = now
        self.s.add(event)
        self.s.add(case)
        self.s.flush()
        return event

    def _messages(self, case_id: int, internal: bool) -> list[CaseMessage]:
        query = select(CaseMessage).where(CaseMessage.case_id == case_id)
        if not internal:
            query = query.where(CaseMessage.visibility == "public")
        return list(self.s.exec(query.order_by(col(CaseMessage.id))))

    def _satisfaction(self, case_id: int) -> dict[str, Any] | None:
        survey = self.s.exec(select(Survey).where(
            Survey.case_id == case_id, col(Survey.rating).is_not(None),
            col(Survey.withdrawn).is_(False)).order_by(col(Survey.id).desc()).limit(1)).first()
        return None if survey is None else {"rating": survey.rating, "comment": survey.comment}

    def attachments_of(self, case_id: int) -> list[Attachment]:
        return list(self.s.exec(select(Attachment).where(Attachment.case_id == case_id)
                                .order_by(col(Attachment.id))))

    def attachment_shas(self) -> set[str]:
        """Every stored file a case refers to."""
        return set(self.s.exec(select(Attachment.sha256).distinct()))

    def has_attachment(self, sha256: str) -> bool:
        """Whether any case refers to this stored file (by the indexed hash)."""
        return self.s.exec(select(Attachment.id).where(Attachment.sha256 == sha256)
                           .limit(1)).first() is not None

    def as_json(self, case: Case, *, internal: bool = False) -> dict[str, Any]:
        """The case as interfaces.md promises it: exactly these keys, absent ones null or [].
        `internal`: with the internal notes (an operator's view; never a customer's)."""
        assert case.id is not None
        contact = self.s.get(Contact, case.contact_id)
        d = case.details
        messages = self._messages(case.id, True)
        # an internal note's files and its timeline entry are the operators' only
        hidden = set() if internal else (
            {f["sha256"] for m in messages if m.visibility == "internal"
             for f in m.attachments or []}
            - {f["sha256"] for m in messages if m.visibility != "internal"
               for f in m.attachments or []})
        out: dict[str, Any] = {}
        for key in CASE_KEYS:
            out[key] = d.get(key, [] if key in LIST_KEYS else None)
        out.update(
            number=case.number, reference_id=case.reference_id, status=case.status,
            channel=case.channel, contact_email=contact.email if contact else None,
            subject=case.subject, created_at=iso(case.created_at),
            updated_at=iso(case.updated_at),
            attachments=[{"name": a.name, "size": a.size, "sha256": a.sha256}
                         for a in self.attachments_of(case.id) if a.sha256 not in hidden],
            timeline=[{"at": iso(e.at), "kind": e.kind, "text": e.text}
                      for e in self.timeline(case.id) if internal or e.kind != "internal"],
            messages=[message_json(m) for m in messages
                      if internal or m.visibility == "public"],
            assignee=case.assignee, due_at=iso(case.due_at),
            satisfaction=self._satisfaction(case.id))
        for key in LIST_KEYS:
            out[key] = out[key] or []
        return out
