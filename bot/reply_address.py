"""Signed reply addresses: `support+c10000042.<tag>@desk.example` names its case, and only
casebot can make one.

Every mail about a case is sent with such a `Reply-To` (bot/mailer.py), so a customer's
reply reaches the case through an address a stranger can't forge for another case: the tag
is a truncated HMAC-SHA256 of the case number under a secret (CASEBOT_MAIL_SECRET; unset,
one made once and kept in CASEBOT_HOME/mail-secret, mode 0600, which every process on that
home reads: `casebot mail receive` from an MTA's pipe, `mail fetch`, the sender). Several
hosts that share one database must share the secret through CASEBOT_MAIL_SECRET.

Hex and lower case: mail systems may change the case of a local part.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from bot.settings import kept_secret

TAG_LENGTH = 16  # hex digits: 64 bits
_SIGNED = re.compile(r"^(?P<base>.+)\+c(?P<number>\d{1,20})\.(?P<tag>[0-9a-f]+)$")


class Forged(Exception):
    """An address shaped like casebot's reply address whose tag does not verify."""


def mail_secret(settings: Any) -> str:
    """CASEBOT_MAIL_SECRET, or the key kept in CASEBOT_HOME/mail-secret."""
    configured: str | None = settings.mail_secret
    return configured or kept_secret(Path(settings.home) / "mail-secret")


def split_address(address: str) -> tuple[str, str]:
    """(local part, domain) of an address, lower case; ("", "") for none."""
    addr = parseaddr(address)[1].strip().lower()
    local, at, domain = addr.rpartition("@")
    return (local, domain) if at and local else ("", "")


@dataclass(frozen=True)
class ReplyAddresses:
    """Makes and checks the reply addresses of the mailbox CASEBOT_MAIL_FROM names."""

    secret: str = field(repr=False)
    mail_from: str

    @classmethod
    def of(cls, settings: Any) -> ReplyAddresses:
        return cls(mail_secret(settings), settings.mail_from)

    @property
    def base(self) -> str:
        local, _ = split_address(self.mail_from)
        return (local or "casebot").split("+", 1)[0]

    @property
    def domain(self) -> str:
        return split_address(self.mail_from)[1] or "localhost"

    def tag(self, number: str) -> str:
        mac = hmac.new(self.secret.encode(), f"reply-to:{number}".encode(), hashlib.sha256)
        return mac.hexdigest()[:TAG_LENGTH]

    def for_case(self, number: str) -> str:
        return f"{self.base}+c{number}.{self.tag(number)}@{self.domain}"

    def case_of(self, address: str) -> str | None:
        """The case number a signed address names; None for any other address; `Forged`
        for one shaped like ours whose tag is wrong (another domain's mail to the same
        mailbox name counts: the tag, not the domain, is what proves it)."""
        local, _ = split_address(address)
        found = _SIGNED.match(local)
        if found is None or found["base"] != self.base:
            return None
        number = found["number"]
        if not hmac.compare_digest(found["tag"], self.tag(number)):
            raise Forged(number)
        return number
