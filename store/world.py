"""The flow's `World`, answered from the database for one contact within one unit of work.

Each look-up runs at most once per event; most steps need none, and then no query runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from flows.archives import check_sample_zip
from flows.context import CodeView, ProfileView, Rating, untested
from flows.maildomains import is_public_domain
from store.repositories.contacts import ContactInfo
from store.uow import UnitOfWork

RateFn = Callable[[Sequence[str]], Sequence[Rating]]
SampleCheckFn = Callable[[str, str, str, "str | None", "tuple[str, ...] | None"], None]


class StoreWorld:
    def __init__(self, unit: UnitOfWork, contact: ContactInfo, rate: RateFn = untested,
                 *,
                 cc_outside_allowed: bool = False,
                 sample_check: SampleCheckFn | None = None) -> None:
        self._unit = unit  # an event's unit: its ORM session is made only if a look-up needs it
        self.sample_check = sample_check  # the service's pool and verdict cache
        self.contact = contact
        self.rate = rate
        self.cc_outside_allowed = cc_outside_allowed  # CASEBOT_CC_OUTSIDE_DOMAINS
        self._profiles: list[ProfileView] | None = None
        self._codes: dict[str, list[CodeView]] = {}
        self._contacts: list[str] | None = None

    def profiles(self) -> Sequence[ProfileView]:
        if self._profiles is None:
            self._profiles = self._unit.profiles.views(self.contact.id)
        return self._profiles

    def activation_codes(self, product: str) -> Sequence[CodeView]:
        if product not in self._codes:
            self._codes[product] = self._unit.profiles.code_views(self.contact.account_id,
                                                                   product)
        return self._codes[product]

    def account_contacts(self) -> Sequence[str]:
        if self._contacts is None:
            self._contacts = self._unit.contacts.listed_emails(self.contact.account_id)
        return self._contacts

    def listed(self) -> bool:
        """Whether the contact agreed to be offered to colleagues as a CC (My profile)."""
        row = self._unit.contacts.get(self.contact.id)
        return bool(row and row.listed)

    def case_recipients(self) -> Sequence[str]:
        return list(self.contact.case_recipients or [])

    def rate_urls(self, urls: Sequence[str]) -> Sequence[Rating]:
        return self.rate(urls)

    def reveal_code(self, code_id: int) -> str | None:
        """The full code, only to the contact who registered it; each reveal is audited."""
        row = self._unit.profiles.code(code_id)
        if row is None or row.registered_by != self.contact.id:
            return None
        self._unit.audit.record(self.contact.email, "reveal_activation_code",
                                f"activation_code:{row.id}",
                                f"contact {self.contact.id}, account {row.account_id}")
        return row.code

    def cc_outside(self, addresses: Sequence[str]) -> Sequence[str]:
        """The addresses the contact may not copy (flows/cc.py): those outside the account's
        domain (and its sub-domains, when it takes them) and outside the contact's own mail
        domain. Their own domain counts only when it is not a public mail domain: a colleague
        at acme.example is no relay for a contact of acme.example that has no operator-made
        account yet, whereas anyone can get an address at gmail.com."""
        if self.cc_outside_allowed or not addresses:
            return []
        acct = self._unit.accounts.get(self.contact.account_id)
        domain = ((acct.domain or "") if acct else "").lower()
        subdomains = bool(acct and acct.include_subdomains)
        own = self.contact.email.rsplit("@", 1)[-1].lower()
        inside = {d for d in (domain, "" if is_public_domain(own) else own) if d}

        def allowed(address: str) -> bool:
            at = address.rsplit("@", 1)[-1].lower()
            return at in inside or (subdomains and bool(domain) and at.endswith("." + domain))

        return [a for a in addresses if not allowed(a)]

    def check_sample(self, sha256: str, path: str, name: str, password: str | None,
                     suffixes: tuple[str, ...] | None) -> None:
        if self.sample_check is None:
            check_sample_zip(path, password or "", member_suffixes=suffixes, name=name)
        else:
            self.sample_check(sha256, path, name, password, suffixes)

    def forget(self) -> None:
        """Drop cached look-ups after this event changed profiles or codes."""
        self._profiles = None
        self._codes.clear()
