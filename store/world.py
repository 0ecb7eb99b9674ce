"""The flow's `World`, answered from the database for one contact within one unit of work.

Each look-up runs at most once per event; most steps need none, and then no query runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlmodel import Session

from flows.archives import check_sample_zip
from flows.context import CodeView, ProfileView, Rating, untested
from store import repo
from store.fast import Db
from store.repo import ContactInfo
from store.tables import Account, ActivationCode, AuditEvent, Contact
from store.uow import EventUnit

RateFn = Callable[[Sequence[str]], Sequence[Rating]]
SampleCheckFn = Callable[[str, str, str, "str | None", "tuple[str, ...] | None"], None]


class StoreWorld:
    def __init__(self, s: Session | EventUnit, contact: ContactInfo, rate: RateFn = untested,
                 *,
                 cc_outside_allowed: bool = False,
                 sample_check: SampleCheckFn | None = None) -> None:
        self._unit = s  # an event's unit: its ORM session is made only if a look-up needs it
        self.sample_check = sample_check  # the service's pool and verdict cache
        self.contact = contact
        self.rate = rate
        self.cc_outside_allowed = cc_outside_allowed  # CASEBOT_CC_OUTSIDE_DOMAINS
        self._profiles: list[ProfileView] | None = None
        self._codes: dict[str, list[CodeView]] = {}
        self._contacts: list[str] | None = None

    @property
    def s(self) -> Session:
        return self._unit.session if isinstance(self._unit, EventUnit) else self._unit

    @property
    def db(self) -> Db:
        """For the look-ups most steps make (store/fast.py): no session needed."""
        return self._unit.db if isinstance(self._unit, EventUnit) else self._unit

    def profiles(self) -> Sequence[ProfileView]:
        if self._profiles is None:
            self._profiles = repo.profile_views(self.db, self.contact.id)
        return self._profiles

    def activation_codes(self, product: str) -> Sequence[CodeView]:
        if product not in self._codes:
            self._codes[product] = repo.activation_codes(self.db, self.contact.account_id,
                                                          product)
        return self._codes[product]

    def account_contacts(self) -> Sequence[str]:
        if self._contacts is None:
            self._contacts = repo.account_contact_emails(self.s, self.contact.account_id)
        return self._contacts

    def listed(self) -> bool:
        """Whether the contact agreed to be offered to colleagues as a CC (My profile)."""
        row = self.s.get(Contact, self.contact.id)
        return bool(row and row.listed)

    def case_recipients(self) -> Sequence[str]:
        return list(self.contact.case_recipients or [])

    def rate_urls(self, urls: Sequence[str]) -> Sequence[Rating]:
        return self.rate(urls)

    def reveal_code(self, code_id: int) -> str | None:
        """The full code, only to the contact who registered it; each reveal is audited."""
        row = self.s.get(ActivationCode, code_id)
        if row is None or row.registered_by != self.contact.id:
            return None
        self.s.add(AuditEvent(actor=self.contact.email, action="reveal_activation_code",
                              subject=f"activation_code:{row.id}",
                              detail=f"contact {self.contact.id}, account {row.account_id}"))
        self.s.flush()
        return row.code

    def cc_outside(self, addresses: Sequence[str]) -> Sequence[str]:
        """Addresses not at the account's domain (or its sub-domains, when it takes them).

        A personal account has no domain, so none of its CCs are inside it."""
        if self.cc_outside_allowed or not addresses:
            return []
        acct = self.s.get(Account, self.contact.account_id)
        domain = (acct.domain or "") if acct else ""

        def inside(address: str) -> bool:
            at = address.rsplit("@", 1)[-1].lower()
            return bool(domain) and (at == domain or (
                bool(acct and acct.include_subdomains) and at.endswith("." + domain)))

        return [a for a in addresses if not inside(a)]

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
