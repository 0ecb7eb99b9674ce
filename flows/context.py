"""What a flow may know about the world, behind a small port.

The service hands each event a `Ctx`; the flow asks it for the contact's profiles, the
account's activation codes and contacts, and URL ratings. Look-ups are lazy so a step that
needs none of them (most do not) costs no query.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from flows.archives import check_sample_zip
from flows.catalog import Catalog, get_catalog


@dataclass(frozen=True)
class ProfileView:
    id: int
    name: str
    product: str
    version: str
    operating_systems: tuple[str, ...]
    language: str
    settings: tuple[str, ...] = ()
    activation_code_id: int | None = None
    activation_code_masked: str | None = None
    toolbox_guid: str | None = None


@dataclass(frozen=True)
class CodeView:
    id: int
    product: str
    masked: str


@dataclass(frozen=True)
class Rating:
    url: str
    rating: str
    category: str | None
    group: str | None
    source: str = "local"
    note: str = ""


def untested(urls: Sequence[str]) -> list[Rating]:
    """What is known of URLs nobody rated: nothing. Never a guess."""
    return [Rating(url=u, rating="Untested", category=None, group=None) for u in urls]


class World(Protocol):
    def profiles(self) -> Sequence[ProfileView]: ...

    def activation_codes(self, product: str) -> Sequence[CodeView]: ...

    def account_contacts(self) -> Sequence[str]: ...

    def case_recipients(self) -> Sequence[str]: ...

    def rate_urls(self, urls: Sequence[str]) -> Sequence[Rating]: ...

    def reveal_code(self, code_id: int) -> str | None:
        """The full activation code, only to the contact who registered it (audited)."""
        ...

    def cc_outside(self, addresses: Sequence[str]) -> Sequence[str]:
        """The addresses the contact may not copy: outside the account's domains and the
        contact's own mail domain (that one only when it is not a public mail domain)."""
        ...

    def check_sample(self, sha256: str, path: str, name: str, password: str | None,
                     suffixes: tuple[str, ...] | None) -> None:
        """Raise `Invalid` when a sample zip fails `flows.archives.check_sample_zip`; the
        service checks each file once, off the chat threads, within a time budget."""
        ...


class EmptyWorld:
    """A world with nothing in it: useful for rendering prompts that need no data."""

    def profiles(self) -> Sequence[ProfileView]:
        return ()

    def activation_codes(self, product: str) -> Sequence[CodeView]:
        return ()

    def account_contacts(self) -> Sequence[str]:
        return ()

    def case_recipients(self) -> Sequence[str]:
        return ()

    def rate_urls(self, urls: Sequence[str]) -> Sequence[Rating]:
        return untested(urls)

    def reveal_code(self, code_id: int) -> str | None:
        return None

    def cc_outside(self, addresses: Sequence[str]) -> Sequence[str]:
        return ()

    def check_sample(self, sha256: str, path: str, name: str, password: str | None,
                     suffixes: tuple[str, ...] | None) -> None:
        check_sample_zip(path, password or "", member_suffixes=suffixes, name=name)


Clock = Callable[[], datetime]
"""The time now, aware (UTC): the service passes the system's; tests pass a fixed one."""


@dataclass
class Ctx:
    world: World
    clock: Clock
    contact_email: str = ""
    catalog: Catalog | None = None
    max_attachment_bytes: int = 250 * 1024 * 1024
    # the language casebot speaks to the contact, as plain data: a code ("en", "ja", the
    # pseudo-locale "en_XA"; bot/i18n.py chooses it); a default, never a rendering
    language: str = "en"

    @property
    def cat(self) -> Catalog:
        if self.catalog is None:
            self.catalog = get_catalog()
        return self.catalog

    def profile(self, profile_id: object) -> ProfileView | None:
        for p in self.world.profiles():
            if p.id == profile_id:
                return p
        return None
