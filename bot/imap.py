"""`casebot mail fetch`: new mail from the IMAP mailbox in CASEBOT_IMAP_URL, each handled as
`casebot mail receive` handles one (bot/inbound_mail.py), then flagged \\Seen.

A mail is read with BODY.PEEK[] and flagged only once it was added or kept aside, so a
process that stops mid-way leaves the rest unseen for the next run; one handled but not yet
flagged is read again and stored once (its Message-ID). With `idle`, the mailbox is watched
with IMAP IDLE, renewed every few minutes (servers drop an IDLE after 30), and a lost
connection is opened again.

URLs: imaps://user:password@host[:port]/MAILBOX (implicit TLS, port 993); imap://…
(port 143) uses STARTTLS when offered and requires it when a password is given, as
CASEBOT_SMTP_URL does; imap+insecure:// is the explicit opt-out (a local test server);
?starttls=1 requires STARTTLS, ?verify=0 skips certificate checks (test servers only),
?timeout=SECONDS. MAILBOX defaults to INBOX; percent-encode special characters.
"""

from __future__ import annotations

import imaplib
import logging
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from imapclient import SEEN, IMAPClient

from bot.inbound_mail import Outcome, Unreadable
from bot.mail_url import parse_mail_url

log = logging.getLogger(__name__)

IDLE_RENEW = 290.0  # seconds: an IDLE is ended and issued again this often
RECONNECT_WAIT = 5.0
_TRUE = ("1", "true", "yes", "on")
# IMAPClient's errors derive from IMAP4.error; a database that is away: try again later
_FAILURES = (imaplib.IMAP4.error, OSError, sa.exc.OperationalError, sa.exc.InterfaceError)


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int
    use_tls: bool
    start_tls: bool | None  # None: when the server offers it
    username: str | None
    password: str | None = field(repr=False)
    mailbox: str = "INBOX"
    timeout: float = 60.0
    verify: bool = True

    @classmethod
    def parse(cls, url: str) -> ImapConfig:
        """Read CASEBOT_IMAP_URL; ValueError says what is wrong (never echoing a password)."""
        u = parse_mail_url(url, variable="CASEBOT_IMAP_URL", plain="imap", ports=(143, 993),
                           schemes="imaps:// (or imap://)",
                           example="imaps://user:password@mail.example.com/INBOX")
        start_tls: bool | None = None
        if u.tls:
            start_tls = False
        elif u.insecure:
            start_tls = u.query.get("starttls") in _TRUE or None
        elif u.password or u.query.get("starttls") in _TRUE:
            start_tls = True  # a password never goes out unencrypted
        return cls(host=u.host, port=u.port, use_tls=u.tls, start_tls=start_tls,
                   username=u.username, password=u.password, mailbox=u.path or "INBOX",
                   timeout=u.timeout, verify=u.verify)

    def _tls(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if not self.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def connect(self) -> IMAPClient:
        """Connected, encrypted as configured, logged in, the mailbox selected."""
        client = IMAPClient(self.host, port=self.port, ssl=self.use_tls,
                            ssl_context=self._tls(), timeout=self.timeout)
        try:
            offered = b"STARTTLS" in client.capabilities()
            if self.start_tls or (self.start_tls is None and offered):
                if not offered:
                    raise ValueError(f"{self.host} offers no STARTTLS: use imaps://, or "
                                     "imap+insecure:// if you really mean it.")
                client.starttls(self._tls())
            if self.username:
                client.login(self.username, self.password or "")
            client.select_folder(self.mailbox)
        except BaseException:
            _close(client)
            raise
        return client


@dataclass
class Tally:
    read: int = 0
    added: int = 0
    aside: int = 0
    again: int = 0
    unreadable: int = 0

    def count(self, outcome: Outcome | None) -> None:
        self.read += 1
        if outcome is None:
            self.unreadable += 1
        elif outcome.again:
            self.again += 1
        elif outcome.added:
            self.added += 1
        else:
            self.aside += 1

    def line(self) -> str:
        return (f"Read {self.read}: added {self.added}, kept aside {self.aside}, "
                f"already there {self.again}, unreadable {self.unreadable}.")


Handle = Callable[[bytes], Outcome]


def fetch_new(client: IMAPClient, handle: Handle, tally: Tally,
              stop: threading.Event | None = None) -> None:
    """Handle every unseen mail, flagging each \\Seen once it is handled."""
    for uid in client.search(["UNSEEN"]):
        if stop is not None and stop.is_set():
            return
        fetched: dict[Any, Any] = client.fetch([uid], ["BODY.PEEK[]"])
        raw = fetched.get(uid, {}).get(b"BODY[]")
        outcome: Outcome | None = None
        if isinstance(raw, bytes):
            try:
                outcome = handle(raw)
            except Unreadable:
                log.warning("IMAP message %s is not a mail; flagged seen, left in place", uid)
        tally.count(outcome)
        client.add_flags([uid], [SEEN])


def _wait_for_mail(client: IMAPClient, stop: threading.Event) -> None:
    """IDLE until the server says something, `stop` is set, or it is time to renew."""
    client.idle()
    try:
        end = time.monotonic() + IDLE_RENEW
        while not stop.is_set() and time.monotonic() < end:
            if client.idle_check(timeout=1.0):
                return
    finally:
        client.idle_done()


def run_fetch(config: ImapConfig, handle: Handle, stop: threading.Event, *,
              idle: bool = False, report: Callable[[Tally], None] | None = None) -> Tally:
    """One pass over the unseen mail; with `idle`, then keep watching until `stop`.
    Without `idle` a failure is raised; with it, it is logged and the connection opened
    again after a pause."""
    total = Tally()
    while True:
        try:
            client = config.connect()
        except _FAILURES as exc:
            if not idle:
                raise
            log.warning("IMAP %s:%s unavailable (%s); trying again", config.host,
                        config.port, type(exc).__name__)
            if stop.wait(RECONNECT_WAIT):
                return total
            continue
        try:
            _watch(client, handle, stop, total, idle, report)
            return total
        except _FAILURES as exc:
            if not idle:
                raise
            log.warning("IMAP connection lost (%s); opening it again", type(exc).__name__)
        finally:
            _close(client)


def _watch(client: IMAPClient, handle: Handle, stop: threading.Event, total: Tally,
           idle: bool, report: Callable[[Tally], None] | None) -> None:
    while True:
        before = total.read
        fetch_new(client, handle, total, stop)
        if report is not None and total.read != before:
            report(total)
        if not idle or stop.is_set():
            return
        _wait_for_mail(client, stop)
        if stop.is_set():
            return


def _close(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:  # already gone: nothing to say goodbye to
        try:
            client.shutdown()
        except Exception:
            log.debug("IMAP socket already closed")
