"""Accounts: the customer companies (or a person's account of one) contacts belong to."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import col, select

from store.repositories.base import Repository
from store.tables import Account, ActivationCode, Contact


class Accounts(Repository):
    def get(self, account_id: int) -> Account | None:
        return self.s.get(Account, account_id)

    def owning(self, domain: str) -> Account | None:
        """The account that owns `domain`: its own, or a parent's that takes sub-domains.

        Never a bare TLD, and never a personal account (those have no domain).
        """
        labels = domain.lower().split(".")
        candidates = [".".join(labels[i:]) for i in range(len(labels) - 1)]
        if not candidates:
            return None
        rows = {a.domain: a for a in self.s.exec(select(Account).where(
            col(Account.domain).in_(candidates)))}
        if candidates[0] in rows:
            return rows[candidates[0]]
        return next((rows[c] for c in candidates[1:]
                     if c in rows and rows[c].include_subdomains), None)

    def add_personal(self, email: str) -> Account:
        """A new account of one for `email`, whose domain no account owns (issue 11)."""
        acct = Account(name=email.lower(), domain=None, personal=True)
        self.s.add(acct)
        self.s.flush()
        return acct

    def by_domain(self, domain: str) -> Account | None:
        return self.s.exec(select(Account).where(Account.domain == domain)).first()

    def by_name(self, name: str) -> Account | None:
        """By name, ignoring case and repeated spaces."""
        wanted = " ".join(name.split()).casefold()
        return self.s.exec(select(Account).where(
            sa.func.lower(Account.name) == wanted.lower())).first()

    def all(self) -> list[Account]:
        return list(self.s.exec(select(Account).order_by(col(Account.name), col(Account.id))))

    def choices(self) -> list[tuple[int, str]]:
        """(id, name) of every account, by name (the console's filter)."""
        return [(a.id, a.name) for a in self.s.exec(select(Account).order_by(col(Account.name)))
                if a.id is not None]

    def save(self, acct: Account) -> Account:
        self.s.add(acct)
        self.s.flush()
        return acct

    def merge_into(self, own: Account, into: Account) -> None:
        """Move a personal account's codes into `into` and delete it (its contact moves too:
        the caller sets the contact's account)."""
        for code in self.s.exec(select(ActivationCode)
                                .where(ActivationCode.account_id == own.id)):
            code.account_id = into.id  # type: ignore[assignment]
            self.s.add(code)
        self.s.flush()

    def delete(self, acct: Account) -> None:
        self.s.delete(acct)
        self.s.flush()

    def plan_of_contact(self, contact_id: int) -> str | None:
        """The plan of the contact's account (which response times apply to their cases)."""
        return self.s.exec(select(Account.plan).join(Contact, col(Contact.account_id)
                                                     == Account.id)
                           .where(Contact.id == contact_id)).first()
