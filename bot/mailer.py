"""The mail sender: delivers the outbox over SMTP (aiosmtplib) when CASEBOT_SMTP_URL is set.

A mail moves pending → sending → sent, or back to pending (a temporary failure, tried again
later with exponential backoff), or failed (a permanent failure, with `last_error`):

1. Claim: in its own committed transaction, one due mail (pending and `next_attempt_at` come,
   or "sending" whose lease ran out) becomes "sending", `attempts` + 1, `next_attempt_at` =
   now + lease. The update only matches the status and attempts just read, so two senders
   (threads, processes, hosts sharing PostgreSQL) never claim the same mail.
2. Send over SMTP, then record the outcome in another transaction.

A process that stops mid-send leaves its mail "sending"; once the lease has run out another
(or the restarted) sender claims it again, so nothing is lost. A graceful stop finishes the
mail in hand first. The honest limit: if the process dies after the server accepted DATA but
before "sent" is committed, that mail is sent again after the lease. SMTP gives no way to close
that window; the resend carries the same Message-ID and Date (bot/mails.py), so receivers and
mail stores that de-duplicate on Message-ID show it once.

Temporary: 4xx replies, connection, TLS, login and timeout errors. Permanent: 5xx replies
(all recipients refused, sender refused, message refused). After `max_attempts` temporary
failures a mail is failed too. Without CASEBOT_SMTP_URL nothing is sent: mail stays in the
local outbox (`casebot mail list`), the embedded default.

URLs: smtp://host:port (STARTTLS when offered; ?starttls=1 requires it, ?starttls=0 never),
smtps://host:port (implicit TLS); user:password@ logs in (percent-encode special characters)
and then requires TLS: STARTTLS on smtp://, or smtps://; `smtp+insecure://user:pass@host` is
the explicit opt-out that sends the password in the clear (a local relay, a test server);
?timeout=SECONDS, ?verify=0 skips certificate checks (test servers only).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import aiosmtplib
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.blobs import make_blobs
from bot.mail_url import FALSE, parse_mail_url
from bot.mails import build_message, recipients
from bot.reply_address import ReplyAddresses
from store.blobs import Blobs
from store.tables import OutboxMail, as_utc, utcnow
from store.uow import unit_of_work

log = logging.getLogger(__name__)

SECRET_KINDS = frozenset({"verification"})
# Mails about a case that carry no signed Reply-To: the answer to a mail that came too late
# (bot/inbound_mail.py) invites no further reply to that case.
# A staff alert (bot/alerts.py) goes to operators, who answer a case in the console.
UNSIGNED_KINDS = frozenset({"too_late", "staff_alert"})
_SHA256 = re.compile(r"[0-9a-f]{64}")
REDACTED_BODY = "(a verification code; removed after sending)"

_TRUE = ("1", "true", "yes", "on", "required")


def _start_tls(query: dict[str, str]) -> bool | None:
    """`starttls=1|0` of CASEBOT_SMTP_URL (None: not said, the server's offer decides)."""
    if "starttls" not in query:
        return None
    if query["starttls"] in _TRUE:
        return True
    if query["starttls"] in FALSE:
        return False
    raise ValueError("CASEBOT_SMTP_URL: starttls must be 1 or 0.")


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    use_tls: bool = False
    start_tls: bool | None = None  # None: when the server offers it
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 60.0
    validate_certs: bool = True

    @classmethod
    def parse(cls, url: str) -> SmtpConfig:
        """Read CASEBOT_SMTP_URL; ValueError says what is wrong (never echoing a password)."""
        u = parse_mail_url(url, variable="CASEBOT_SMTP_URL", plain="smtp", ports=(25, 465),
                           schemes="smtp:// or smtps://",
                           example="smtp://mail.example.com:587 or smtps://user:pass@host:465")
        start_tls = None if u.tls else _start_tls(u.query)
        if u.username and not u.tls and not u.insecure:
            if start_tls is False:
                raise ValueError("CASEBOT_SMTP_URL has a password but starttls=0: the password "
                                 "would cross the network in the clear. Drop starttls=0, use "
                                 "smtps://, or say smtp+insecure:// if you really mean it.")
            start_tls = True  # a password never goes out unencrypted
        return cls(host=u.host, port=u.port, use_tls=u.tls,
                   start_tls=False if u.tls else start_tls, username=u.username,
                   password=u.password, timeout=u.timeout, validate_certs=u.verify)

    def client(self) -> aiosmtplib.SMTP:
        return aiosmtplib.SMTP(hostname=self.host, port=self.port, use_tls=self.use_tls,
                               start_tls=self.start_tls, username=self.username,
                               password=self.password, timeout=self.timeout,
                               validate_certs=self.validate_certs)


@dataclass
class Report:
    sent: int = 0
    retried: int = 0
    failed: int = 0

    def add(self, other: Report) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed


class _Temporary(Exception):
    """Try again later."""


class _Permanent(Exception):
    """Never going to work: mark failed."""


class _ServerGone(_Temporary):
    """The server can't be reached: stop this pass, try every mail later."""


def _scrubbed(mail: OutboxMail) -> dict[str, Any]:
    """Once a mail with a secret is done with (sent or failed), its body is not kept."""
    return {"body_text": REDACTED_BODY, "body_html": None} if mail.kind in SECRET_KINDS else {}


def _kind_of(exc: BaseException) -> str:
    """What went wrong, for the log: the SMTP reply code, never its text (it may quote an
    address); the full text stays in the outbox row (`casebot mail list`)."""
    code = getattr(exc, "code", None) or getattr(exc.__cause__, "code", None)
    return f"{type(exc).__name__}{f' {code}' if code else ''}"


def _short(text: str, limit: int = 500) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _reply(code: int, message: str) -> Exception:
    return (_Permanent if 500 <= code < 600 else _Temporary)(_short(f"{code} {message}"))


class Sender:
    """Claims due outbox mail one at a time and sends it; one SMTP connection per pass."""

    def __init__(self, engine: Engine, smtp: SmtpConfig, mail_from: str, *,
                 retry_base: float = 30.0, retry_max: float = 3600.0, max_attempts: int = 15,
                 lease: float = 300.0, files: Blobs | None = None,
                 addresses: ReplyAddresses | None = None) -> None:
        self.engine = engine
        self.files = files  # the files of a message go with its mail
        self.addresses = addresses  # a mail about a case gets its signed Reply-To
        self.smtp = smtp
        self.mail_from = mail_from
        self.retry_base = retry_base
        self.retry_max = retry_max
        self.max_attempts = max_attempts
        self.lease = timedelta(seconds=lease)
        self._client: aiosmtplib.SMTP | None = None

    # -- the database side ----------------------------------------------------------------------

    def claim(self, skip: set[int] | None = None) -> OutboxMail | None:
        """Move one due mail to "sending" (committed) and return it, or None."""
        for _ in range(20):
            now = utcnow()
            with unit_of_work(self.engine, read_only=True) as uow:
                row = uow.outbox.first_due(now, skip)
            if row is None:
                return None
            mail = self._take(row, now)
            if mail is not None:
                return mail
        return None

    def _take(self, row: OutboxMail, now: datetime) -> OutboxMail | None:
        """Claim a due mail just read (committed); None when another sender took it first."""
        with unit_of_work(self.engine) as uow:
            mail = uow.outbox.take(row, now, self.lease)
        if mail is not None and row.status == "sending":
            log.warning("mail %s: its last send did not finish (lease ran out); sending "
                        "again with the same Message-ID", row.id)
        return mail

    def _record(self, mail: OutboxMail, statuses: tuple[str, ...], attempts: int | None,
                values: dict[str, Any]) -> None:
        """Write an outcome; a short database hiccup is retried (else the lease covers it)."""
        for attempt in range(5):
            try:
                with unit_of_work(self.engine) as uow:
                    uow.outbox.record(mail.id, statuses, attempts, values)
                return
            except sa.exc.OperationalError as exc:
                if attempt == 4:
                    log.error("could not record a mail's outcome (%s); it will be retried "
                              "after its lease", type(exc).__name__)
                    return
                time.sleep(0.2 * 2 ** attempt)

    def mark_sent(self, mail: OutboxMail, note: str | None = None) -> None:
        self._record(mail, ("sending", "pending"), None,
                     {"status": "sent", "sent_at": utcnow(), "last_error": note,
                      **_scrubbed(mail)})

    def mark_retry(self, mail: OutboxMail, error: str) -> bool:
        """Back to pending with backoff; False when the tries are used up (then failed)."""
        if mail.attempts >= self.max_attempts:
            self._record(mail, ("sending",), mail.attempts, {
                "status": "failed", **_scrubbed(mail),
                "last_error": _short(f"gave up after {mail.attempts} tries: {error}")})
            return False
        delay = min(self.retry_base * 2 ** (mail.attempts - 1), self.retry_max)
        self._record(mail, ("sending",), mail.attempts,
                     {"status": "pending", "last_error": _short(error),
                      "next_attempt_at": utcnow() + timedelta(seconds=delay)})
        return True

    def mark_failed(self, mail: OutboxMail, error: str) -> None:
        self._record(mail, ("sending",), mail.attempts,
                     {"status": "failed", "last_error": _short(error), **_scrubbed(mail)})

    def next_due(self) -> datetime | None:
        with unit_of_work(self.engine, read_only=True) as uow:
            return uow.outbox.next_due()

    # -- the SMTP side ------------------------------------------------------------------------

    async def _connect(self) -> aiosmtplib.SMTP:
        if self._client is not None and self._client.is_connected:
            return self._client
        client = self.smtp.client()
        try:
            await client.connect()
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise _ServerGone(_short(f"login refused: {exc.code} {exc.message}")) from exc
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            raise _ServerGone(_short(f"can't reach {self.smtp.host}:{self.smtp.port}: "
                                     f"{type(exc).__name__}: {exc}")) from exc
        self._client = client
        return client

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None and client.is_connected:
            with contextlib.suppress(Exception):
                await client.quit()
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()

    async def _send(self, mail: OutboxMail) -> str | None:
        """Send one mail; returns a note on recipients refused when others got it."""
        client = await self._connect()
        message = self.message(mail)
        try:
            refused, _ = await client.send_message(message, sender=self.mail_from,
                                                   recipients=recipients(mail))
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            text = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
            if any(400 <= c < 500 for c in codes):
                raise _Temporary(_short("recipients refused: " + text)) from exc
            raise _Permanent(_short("recipients refused: " + text)) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise _reply(exc.code, exc.message) from exc
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            raise _Temporary(_short(f"{type(exc).__name__}: {exc}")) from exc
        if refused:
            return _short("delivered, but refused for " + "; ".join(
                f"{addr}: {r.code} {r.message}" for addr, r in refused.items()))
        return None

    def message(self, mail: OutboxMail) -> EmailMessage:
        """The mail as it goes out: a case's signed Reply-To, its message's files."""
        return build_message(mail, self.mail_from, reply_to=self._reply_to(mail),
                             read_file=self._read)

    def _reply_to(self, mail: OutboxMail) -> str | None:
        if self.addresses is None or mail.case_id is None or mail.kind in UNSIGNED_KINDS:
            return None
        with unit_of_work(self.engine, read_only=True) as uow:
            case = uow.cases.get(mail.case_id)
            number = case.number if case is not None else None
        return self.addresses.for_case(number) if number else None

    def _read(self, sha256: str) -> bytes | None:
        if self.files is None or not _SHA256.fullmatch(sha256):
            return None
        try:
            # whole in memory: a mail is built whole anyway, and only files that fit in
            # MAIL_FILES_LIMIT are read (bot/mails.py)
            return b"".join(self.files.chunks(sha256))
        except OSError:  # pruned meanwhile: the mail names it instead
            return None

    def claim_one(self, mail_id: int) -> OutboxMail | None:
        """Move this mail to "sending" if it is due (committed); None when it is not (sent,
        failed, not due yet, or another sender holds its lease)."""
        now = utcnow()
        with unit_of_work(self.engine, read_only=True) as uow:
            row = uow.outbox.due_one(mail_id, now)
        return None if row is None else self._take(row, now)

    async def deliver(self, mail: OutboxMail) -> tuple[str, Exception | str | None]:
        """Send one claimed mail and record the outcome: ("sent", note), ("retry", error)
        or ("failed", error)."""
        try:
            note = await self._send(mail)
        except _Permanent as exc:
            await self.close()
            self.mark_failed(mail, str(exc))
            log.warning("mail %s (%s) failed for good: %s", mail.id, mail.kind, _kind_of(exc))
            return "failed", exc
        except _Temporary as exc:
            await self.close()
            if self.mark_retry(mail, str(exc)):
                log.info("mail %s (%s) will be retried: %s", mail.id, mail.kind,
                         _kind_of(exc))
                return "retry", exc
            log.warning("mail %s (%s) failed after %s tries: %s", mail.id, mail.kind,
                        mail.attempts, _kind_of(exc))
            return "failed", exc
        self.mark_sent(mail, note)
        log.info("mail %s (%s) sent", mail.id, mail.kind)
        return "sent", note

    async def send_due(self, stop: threading.Event | None = None) -> Report:
        """One pass: send every mail due now (each tried at most once in the pass)."""
        report = Report()
        tried: set[int] = set()
        try:
            while stop is None or not stop.is_set():
                mail = self.claim(tried)
                if mail is None:
                    break
                assert mail.id is not None
                tried.add(mail.id)
                outcome, detail = await self.deliver(mail)
                if outcome == "sent":
                    report.sent += 1
                elif outcome == "retry":
                    report.retried += 1
                else:
                    report.failed += 1
                if isinstance(detail, _ServerGone):
                    break
        finally:
            await self.close()
        return report

    async def serve(self, stop: threading.Event, interval: float = 5.0) -> Report:
        """Send due mail until `stop` is set, waking for new mail every `interval` seconds."""
        total = Report()
        while not stop.is_set():
            try:
                total.add(await self.send_due(stop))
                due = self.next_due()
            except sa.exc.SQLAlchemyError as exc:
                log.warning("outbox unavailable (%s); trying again", type(exc).__name__)
                due = None
            wait = interval
            if due is not None:
                wait = max(0.05, min(interval, (as_utc(due) - utcnow()).total_seconds()))
            end = time.monotonic() + wait
            while not stop.is_set() and time.monotonic() < end:
                await asyncio.sleep(min(0.1, max(0.0, end - time.monotonic())))
        return total


def make_sender(engine: Engine, settings: Any) -> Sender | None:
    """A sender for these settings, or None without CASEBOT_SMTP_URL (mail stays queued)."""
    if not settings.smtp_url:
        return None
    return Sender(engine, SmtpConfig.parse(settings.smtp_url), settings.mail_from,
                  retry_base=settings.mail_retry_seconds, lease=settings.mail_lease_seconds,
                  files=make_blobs(settings, engine),
                  addresses=ReplyAddresses.of(settings))


def run_sender(target: Any, settings: Any, stop_event: threading.Event | None = None, *,
               interval: float = 5.0, once: bool = False) -> Report:
    """Run the sender in this thread (its own event loop) until `stop_event` is set.

    `target` is a Service or an Engine. `once`: one pass over the mail due now, then return.
    Without CASEBOT_SMTP_URL it returns at once and mail stays in the outbox.
    """
    engine = getattr(target, "engine", target)
    sender = make_sender(engine, settings)
    if sender is None:
        log.info("CASEBOT_SMTP_URL is not set: mail stays in the outbox (casebot mail list)")
        return Report()
    stop = stop_event or threading.Event()
    if once:
        return asyncio.run(sender.send_due(stop))
    log.info("mail sender started (%s:%s)", sender.smtp.host, sender.smtp.port)
    return asyncio.run(sender.serve(stop, interval))


def start_sender(target: Any, settings: Any, *, interval: float = 5.0
                 ) -> tuple[threading.Event, threading.Thread] | None:
    """Start `run_sender` in a daemon thread (for `casebot slack` / `casebot telegram`).

    Returns (stop_event, thread), or None without CASEBOT_SMTP_URL. To stop: `stop.set()`, then
    `thread.join(timeout)`; the mail in hand is finished first.
    """
    if not settings.smtp_url:
        log.info("CASEBOT_SMTP_URL is not set: mail stays in the outbox (casebot mail list)")
        return None
    SmtpConfig.parse(settings.smtp_url)  # a bad URL fails here, in the caller, not the thread
    stop = threading.Event()

    def main() -> None:
        try:
            run_sender(target, settings, stop, interval=interval)
        except Exception:
            log.exception("the mail sender stopped; mail waits in the outbox")

    thread = threading.Thread(target=main, name="casebot-mailer", daemon=True)
    thread.start()
    return stop, thread
