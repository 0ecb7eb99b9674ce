"""Contacts (the people who open cases) and their chat identities."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import col, select

from flows.clean import clean_input
from store.repositories.accounts import Accounts
from store.repositories.base import Repository
from store.tables import Account, ChatIdentity, Contact, saved_id


@dataclass(frozen=True)
class ContactInfo:
    """What an event needs to know about its contact, read without the ORM."""

    id: int
    account_id: int
    email: str
    name: str
    case_recipients: list[str]
    language: str | None = None  # their own choice (issue 27); None: not chosen
    language_offered: bool = False
    # the chat identity's stored platform locale (Slack's, 0019); None: not known
    platform_locale: str | None = None
    # their account's default language (0020); None: the deployment's default applies
    account_language: str | None = None

    @staticmethod
    def of(contact: Contact, account_language: str | None = None) -> ContactInfo:
        assert contact.id is not None
        return ContactInfo(contact.id, contact.account_id, contact.email, contact.name,
                           list(contact.case_recipients or []), contact.language,
                           contact.language_offered, account_language=account_language)


class Contacts(Repository):
    def get(self, contact_id: int) -> Contact | None:
        return self.s.get(Contact, contact_id)

    def by_email(self, email: str) -> Contact | None:
        return self.s.exec(select(Contact).where(
            sa.func.lower(Contact.email) == email.lower())).first()

    def ensure(self, email: str, name: str = "") -> Contact:
        """The contact for `email`; a new one joins the account owning its domain, or gets a
        personal account of its own. No account is ever made for a domain here: operators do
        that (`casebot accounts add`)."""
        name = clean_input(name)[:200]  # a chat profile's display name is user text too
        contact = self.by_email(email)
        if contact is None:
            accounts = Accounts(self.unit)
            acct = (accounts.owning(email.rsplit("@", 1)[-1])
                    or accounts.add_personal(email))
            contact = Contact(account_id=saved_id(acct), email=email, name=name)
            self.s.add(contact)
            self.s.flush()
        elif name and not contact.name:
            contact.name = name
        return contact

    def save(self, contact: Contact) -> None:
        self.s.add(contact)
        self.s.flush()

    def of_account(self, account_id: int | None) -> list[Contact]:
        return list(self.s.exec(select(Contact).where(Contact.account_id == account_id)
                                .order_by(Contact.email)))

    def in_personal_accounts(self) -> list[tuple[Contact, Account]]:
        return list(self.s.exec(select(Contact, Account)
                                .join(Account, col(Account.id) == Contact.account_id)
                                .where(col(Account.personal).is_(True))).all())

    def count_by_account(self) -> dict[int, int]:
        return dict(self.s.exec(select(col(Contact.account_id), sa.func.count())
                                .group_by(col(Contact.account_id))).all())

    def listed_emails(self, account_id: int) -> list[str]:
        """The account's contact list for CC: only contacts who agreed to be listed."""
        return list(self.s.exec(select(Contact.email).where(Contact.account_id == account_id,
                                                            col(Contact.listed).is_(True))
                                .order_by(Contact.email)))

    def save_my_profile(self, contact_id: int, name: str, recipients: list[str],
                        listed: bool | None = None) -> ContactInfo:
        """Store what "My profile" edits: name, default Case Recipients, and whether
        colleagues may pick the contact as a CC (`listed`; None keeps it)."""
        contact = self.s.get(Contact, contact_id)
        if contact is None:
            raise LookupError(f"no contact {contact_id}")
        contact.name = name
        contact.case_recipients = list(recipients)
        if listed is not None:
            contact.listed = listed
        self.s.add(contact)
        self.s.flush()
        return ContactInfo.of(contact)

    def choose_language(self, contact_id: int, language: str | None) -> None:
        """The contact's own language (issue 27); None: not chosen (the platform's locale
        or the default applies). A Core update on the unit's connection."""
        self.conn.execute(sa.update(Contact).where(col(Contact.id) == contact_id)
                          .values(language=language))

    def languages(self, contact_id: int) -> tuple[str | None, str | None]:
        """The contact's own language and their account's default (issue 27), in one
        query; (None, None) when there is no such contact."""
        row = self.s.exec(select(Contact.language, Account.language)
                          .join(Account, col(Account.id) == Contact.account_id)
                          .where(Contact.id == contact_id)).first()
        return (row[0], row[1]) if row is not None else (None, None)

    def language_was_offered(self, contact_id: int) -> None:
        """Switching to the language they wrote in was offered once: not again."""
        self.conn.execute(sa.update(Contact).where(col(Contact.id) == contact_id)
                          .values(language_offered=True))

    # -- chat identities ----------------------------------------------------------------------

    def for_identity(self, channel: str, external_id: str) -> Contact | None:
        return self.s.exec(select(Contact)
                           .join(ChatIdentity, col(ChatIdentity.contact_id) == Contact.id)
                           .where(ChatIdentity.channel == channel,
                                  ChatIdentity.external_id == external_id)).first()

    def link_identity(self, contact: Contact | ContactInfo, channel: str, external_id: str,
                      chat_ref: str | None = None, locale: str | None = None) -> ChatIdentity:
        """`locale`: the platform's language for the person, when the link read it."""
        ident = self.s.exec(select(ChatIdentity).where(
            ChatIdentity.channel == channel, ChatIdentity.external_id == external_id)).first()
        if ident is None:
            ident = ChatIdentity(contact_id=saved_id(contact), channel=channel,
                                 external_id=external_id, chat_ref=chat_ref, locale=locale)
            self.s.add(ident)
        else:
            ident.contact_id = saved_id(contact)
            if chat_ref:
                ident.chat_ref = chat_ref
            if locale:
                ident.locale = locale
        self.s.flush()
        return ident

    def set_locale(self, channel: str, external_id: str, locale: str | None) -> bool:
        """The platform's language for a linked identity (Slack's user_change, or read once
        for an identity linked before it was kept); False when no such identity."""
        result = self.conn.execute(
            sa.update(ChatIdentity).where(col(ChatIdentity.channel) == channel,
                                          col(ChatIdentity.external_id) == external_id)
            .values(locale=locale[:35] if locale else None))
        return bool(result.rowcount)

    def identities_of(self, contact_id: int | None) -> list[ChatIdentity]:
        return list(self.s.exec(select(ChatIdentity)
                                .where(ChatIdentity.contact_id == contact_id)))

    def unlink_identity(self, contact: Contact, channel: str, external_id: str) -> bool:
        """Remove one chat identity from `contact`; False when it was not linked to it."""
        ident = self.s.exec(select(ChatIdentity).where(
            ChatIdentity.channel == channel, ChatIdentity.external_id == external_id,
            ChatIdentity.contact_id == contact.id)).first()
        if ident is None:
            return False
        self.s.delete(ident)
        self.s.flush()
        return True
