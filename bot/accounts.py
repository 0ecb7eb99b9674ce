"""Accounts (the customer companies) and how a contact joins one by its email domain.

A contact belongs to the account of its email domain; a sub-domain (eu.acme.example) joins the
account of a parent domain (acme.example) when it has none of its own. What happens to a
domain no account knows is a setting, CASEBOT_UNKNOWN_DOMAINS:
- "own" (default): the domain gets an account of its own, named after the domain; an operator
  may name it later with `casebot accounts add NAME --domain D`.
- "refuse": the contact is not created and the person is told to ask their administrator.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from flows.errors import Invalid
from store import repo
from store.repo import ContactInfo
from store.tables import Account, Contact

POLICIES = ("own", "refuse")
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class UnknownDomain(Invalid):
    """The email's domain has no account and CASEBOT_UNKNOWN_DOMAINS=refuse."""


def normalize_domain(text: str) -> str:
    """`acme.example`, `@Acme.Example` → `acme.example`; anything else is refused."""
    raw = text.strip().lstrip("@").rstrip(".").lower()
    try:
        domain = raw.encode("idna").decode("ascii")
    except UnicodeError:
        domain = raw
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(x) for x in labels) or len(domain) > 253:
        raise Invalid(f"'{text.strip()[:80]}' is not a domain name. Give it like acme.example.")
    return domain


def refusal(domain: str) -> UnknownDomain:
    return UnknownDomain(
        f"Addresses at {domain} are not registered with support yet, so I can't open cases for "
        "you. Please ask your administrator to register your company's domain, or use your "
        "work address at a registered domain.")


def check_domain(s: Session, email: str, policy: str = "own") -> None:
    """Raise `UnknownDomain` when `email` could not join an account (before mailing a code)."""
    if policy != "refuse" or repo.contact_by_email(s, email) is not None:
        return
    domain = email.rsplit("@", 1)[-1].lower()
    if repo.find_account(s, domain) is None:
        raise refusal(domain)


def join(s: Session, email: str, name: str = "", *, policy: str = "own") -> Contact:
    """The contact for `email` (see `repo.ensure_contact`), unless the policy refuses it."""
    check_domain(s, email, policy)
    return repo.ensure_contact(s, email, name)


def add_account(s: Session, name: str, domain: str) -> tuple[Account, str]:
    """Create the account for `domain`; returns (account, "created" | "renamed").

    A domain that already got an account of its own (named after the domain) is given `name`;
    a domain that belongs to a named account is refused, so two companies never share one.
    """
    name = " ".join(name.split())
    if not name or len(name) > 200:
        raise Invalid("Give the account a name of 1 to 200 characters.")
    domain = normalize_domain(domain)
    acct = s.exec(select(Account).where(Account.domain == domain)).first()
    if acct is None:
        acct = Account(name=name, domain=domain)
        s.add(acct)
        s.flush()
        return acct, "created"
    if acct.name not in (domain, name):
        raise Invalid(f"{domain} already belongs to the account '{acct.name}'.")
    acct.name = name
    s.add(acct)
    s.flush()
    return acct, "renamed"


def list_accounts(s: Session) -> list[dict[str, Any]]:
    counts: dict[int, int] = dict(s.exec(select(col(Contact.account_id), sa.func.count())
                                         .group_by(col(Contact.account_id))).all())
    return [{"id": a.id, "name": a.name, "domain": a.domain,
             "contacts": counts.get(a.id or 0, 0), "created_at": repo.iso(a.created_at)}
            for a in s.exec(select(Account).order_by(col(Account.name), col(Account.id)))]


def save_my_profile(s: Session, contact_id: int, name: str,
                    recipients: list[str]) -> ContactInfo:
    """Store what "My profile" edits: the contact's name and default Case Recipients."""
    contact = s.get(Contact, contact_id)
    if contact is None:
        raise LookupError(f"no contact {contact_id}")
    contact.name = name
    contact.case_recipients = list(recipients)
    s.add(contact)
    s.flush()
    return ContactInfo.of(contact)
