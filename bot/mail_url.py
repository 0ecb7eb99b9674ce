"""The part of `CASEBOT_SMTP_URL` and `CASEBOT_IMAP_URL` that both read the same way: the
scheme (plain, TLS, or plain with `+insecure`), host, port, credentials, query and timeout.
What each protocol makes of STARTTLS stays with it (bot/mailer.py, bot/imap.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class MailUrl:
    tls: bool  # the TLS scheme (smtps, imaps)
    insecure: bool  # the plain scheme with `+insecure`: a password may go in the clear
    host: str
    port: int
    username: str | None
    password: str | None = field(repr=False)
    path: str
    query: dict[str, str]
    timeout: float

    @property
    def verify(self) -> bool:
        return self.query.get("verify", "1") not in FALSE


def parse_mail_url(url: str, *, variable: str, plain: str, ports: tuple[int, int],
                   schemes: str, example: str) -> MailUrl:
    """Read `url` (`plain`, `plain`s or `plain+insecure`; default `ports` (plain, TLS));
    ValueError names `variable` and what is wrong, never echoing a password."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    insecure = scheme == plain + "+insecure"
    scheme = plain if insecure else scheme
    if scheme not in (plain, plain + "s"):
        raise ValueError(f"{variable} must start with {schemes}, e.g. {example}.")
    if not parts.hostname:
        raise ValueError(f"{variable} has no host, e.g. {example}.")
    tls = scheme == plain + "s"
    try:
        port = parts.port or ports[tls]
    except ValueError:
        raise ValueError(f"{variable} has a bad port number.") from None
    query = {k.lower(): v[-1].lower() for k, v in parse_qs(parts.query).items()}
    try:
        timeout = float(query.get("timeout", 60))
    except ValueError:
        raise ValueError(f"{variable}: timeout must be a number of seconds.") from None
    return MailUrl(tls=tls, insecure=insecure, host=parts.hostname, port=port,
                   username=unquote(parts.username) if parts.username else None,
                   password=unquote(parts.password) if parts.password else None,
                   path=unquote(parts.path.strip("/")), query=query, timeout=timeout)
