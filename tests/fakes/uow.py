"""`FakeUnitOfWork`: the unit of work's repositories held in memory.

It offers the same repository methods as store/uow.py for the aggregates a chat step and its
identity and quota rules touch (accounts, contacts and identities, conversations, delivery
ids, uploads, the audit trail), so a service-layer function that takes a unit (bot/accounts,
bot/quota, …) runs against it without a database. `committed` says whether the block ended
normally; an exception or `read_only` leaves it False, and the in-memory rows as they were
before the block (a copy is restored).
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from store.repositories.contacts import ContactInfo
from store.repositories.conversations import ConvRow, StaleConversation
from store.tables import Account, AuditEvent, ChatIdentity, Contact, saved_id, utcnow


@dataclass
class _Rows:
    accounts: dict[int, Account] = field(default_factory=dict)
    contacts: dict[int, Contact] = field(default_factory=dict)
    identities: list[ChatIdentity] = field(default_factory=list)
    conversations: dict[int, ConvRow] = field(default_factory=dict)  # by contact id
    deliveries: set[str] = field(default_factory=set)
    uploads: list[tuple[int, str, int, datetime]] = field(default_factory=list)
    audit: list[AuditEvent] = field(default_factory=list)
    next_id: int = 1

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1


class _Repo:
    def __init__(self, rows: _Rows, unit: FakeUnitOfWork) -> None:
        self.rows = rows
        self.unit = unit


class FakeAccounts(_Repo):
    def get(self, account_id: int) -> Account | None:
        return self.rows.accounts.get(account_id)

    def owning(self, domain: str) -> Account | None:
        labels = domain.lower().split(".")
        candidates = [".".join(labels[i:]) for i in range(len(labels) - 1)]
        rows = {a.domain: a for a in self.rows.accounts.values() if a.domain in candidates}
        if candidates and candidates[0] in rows:
            return rows[candidates[0]]
        return next((rows[c] for c in candidates[1:]
                     if c in rows and rows[c].include_subdomains), None)

    def add_personal(self, email: str) -> Account:
        return self.save(Account(name=email.lower(), domain=None, personal=True))

    def by_domain(self, domain: str) -> Account | None:
        return next((a for a in self.rows.accounts.values() if a.domain == domain), None)

    def save(self, acct: Account) -> Account:
        if acct.id is None:
            acct.id = self.rows.new_id()
        self.rows.accounts[acct.id] = acct
        return acct


class FakeContacts(_Repo):
    def get(self, contact_id: int) -> Contact | None:
        return self.rows.contacts.get(contact_id)

    def by_email(self, email: str) -> Contact | None:
        return next((c for c in self.rows.contacts.values()
                     if c.email.lower() == email.lower()), None)

    def ensure(self, email: str, name: str = "") -> Contact:
        contact = self.by_email(email)
        if contact is None:
            acct = (self.unit.accounts.owning(email.rsplit("@", 1)[-1])
                    or self.unit.accounts.add_personal(email))
            contact = Contact(id=self.rows.new_id(), account_id=saved_id(acct), email=email,
                              name=name[:200])
            self.rows.contacts[contact.id] = contact  # type: ignore[index]
        elif name and not contact.name:
            contact.name = name
        return contact

    def languages(self, contact_id: int) -> tuple[str | None, str | None]:
        contact = self.rows.contacts.get(contact_id)
        if contact is None:
            return None, None
        acct = self.rows.accounts.get(contact.account_id)
        return contact.language, acct.language if acct is not None else None

    def for_identity(self, channel: str, external_id: str) -> Contact | None:
        ident = self._identity(channel, external_id)
        return self.rows.contacts.get(ident.contact_id) if ident else None

    def link_identity(self, contact: Contact | ContactInfo, channel: str, external_id: str,
                      chat_ref: str | None = None, locale: str | None = None) -> ChatIdentity:
        assert contact.id is not None
        ident = self._identity(channel, external_id)
        if ident is None:
            ident = ChatIdentity(id=self.rows.new_id(), contact_id=contact.id, channel=channel,
                                 external_id=external_id, chat_ref=chat_ref)
            self.rows.identities.append(ident)
        else:
            ident.contact_id = contact.id
            if chat_ref:
                ident.chat_ref = chat_ref
        return ident

    def set_locale(self, channel: str, external_id: str, locale: str | None) -> bool:
        ident = self._identity(channel, external_id)
        if ident is not None:
            ident.locale = locale
        return ident is not None

    def identities_of(self, contact_id: int | None) -> list[ChatIdentity]:
        return [i for i in self.rows.identities if i.contact_id == contact_id]

    def listed_emails(self, account_id: int) -> list[str]:
        return sorted(c.email for c in self.rows.contacts.values()
                      if c.account_id == account_id and c.listed)

    def _identity(self, channel: str, external_id: str) -> ChatIdentity | None:
        return next((i for i in self.rows.identities
                     if (i.channel, i.external_id) == (channel, external_id)), None)


class FakeConversations(_Repo):
    def load_for_identity(self, channel: str,
                          external_id: str) -> tuple[ContactInfo, ConvRow | None] | None:
        contact = self.unit.contacts.for_identity(channel, external_id)
        if contact is None:
            return None
        assert contact.id is not None
        acct = self.rows.accounts.get(contact.account_id)
        return (ContactInfo.of(contact, acct.language if acct is not None else None),
                self.load(contact.id))

    def load(self, contact_id: int) -> ConvRow | None:
        return copy.deepcopy(self.rows.conversations.get(contact_id))

    def insert(self, contact_id: int, flow: str, state: str, answers: dict[str, Any],
               stack: list[dict[str, Any]], channel: str) -> ConvRow:
        if contact_id in self.rows.conversations:
            raise StaleConversation()
        conv = ConvRow(id=self.rows.new_id(), contact_id=contact_id, flow=flow, state=state,
                       answers=answers, stack=stack, draft_id=secrets.token_hex(8),
                       channel=channel, version=1)
        self.rows.conversations[contact_id] = copy.deepcopy(conv)
        return conv

    def update(self, conv: ConvRow) -> None:
        stored = self.rows.conversations.get(conv.contact_id)
        if stored is None or stored.version != conv.version:
            raise StaleConversation()
        conv.version += 1
        self.rows.conversations[conv.contact_id] = copy.deepcopy(conv)

    def delete(self, conv: ConvRow) -> None:
        stored = self.rows.conversations.get(conv.contact_id)
        if stored is None or stored.version != conv.version:
            raise StaleConversation()
        del self.rows.conversations[conv.contact_id]


class FakeDeliveries(_Repo):
    def first(self, key: str) -> bool:
        if key in self.rows.deliveries:
            return False
        self.rows.deliveries.add(key)
        return True


class FakeUploads(_Repo):
    def bytes_since(self, contact_id: int, since: datetime) -> int:
        return sum(size for cid, _, size, at in self.rows.uploads
                   if cid == contact_id and at > since)

    def seen_since(self, contact_id: int, sha256: str, since: datetime) -> bool:
        return any(cid == contact_id and sha == sha256 and at > since
                   for cid, sha, _, at in self.rows.uploads)

    def add(self, contact_id: int, sha256: str, size: int) -> None:
        self.rows.uploads.append((contact_id, sha256, size, utcnow()))


class FakeAuditTrail(_Repo):
    def record(self, actor: str, action: str, subject: str, detail: str = "") -> None:
        self.rows.audit.append(AuditEvent(actor=actor[:320], action=action[:40],
                                          subject=subject[:200], detail=detail))


class FakeUnitOfWork:
    """One unit over `rows`, which outlive it (as a database outlives a transaction)."""

    def __init__(self, rows: _Rows | None = None, *, read_only: bool = False) -> None:
        self.rows = rows if rows is not None else _Rows()
        self.read_only = read_only
        self.committed = False
        self.accounts = FakeAccounts(self.rows, self)
        self.contacts = FakeContacts(self.rows, self)
        self.conversations = FakeConversations(self.rows, self)
        self.deliveries = FakeDeliveries(self.rows, self)
        self.uploads = FakeUploads(self.rows, self)
        self.audit = FakeAuditTrail(self.rows, self)


class FakeStore:
    """The in-memory "database": `unit_of_work()` opens a FakeUnitOfWork on it."""

    def __init__(self) -> None:
        self.rows = _Rows()

    @contextmanager
    def unit_of_work(self, *, read_only: bool = False) -> Iterator[FakeUnitOfWork]:
        before = copy.deepcopy(self.rows)
        unit = FakeUnitOfWork(self.rows, read_only=read_only)
        try:
            yield unit
        except BaseException:
            self._restore(before)
            raise
        if read_only:
            self._restore(before)
        else:
            unit.committed = True

    def _restore(self, before: _Rows) -> None:
        self.rows.__dict__.update(before.__dict__)
