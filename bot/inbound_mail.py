"""A mail that reached casebot's mailbox: added to its case, or kept aside for an operator.

A mail belongs to a case only through (intake.md, "After Submit"):
- a recipient (To, Cc, Delivered-To, X-Original-To) that is a reply address casebot signed
  for that case (bot/reply_address.py), or
- an In-Reply-To / References naming one of casebot's own Message-IDs (`<case-N@domain>`,
  or `<mail-ID@domain>` of an outbox row about a case; bot/mails.py),
and only when its sender is the case's contact or on its CC list (`replies.may_write`).
Anything else is kept aside (`uow.aside`, the raw mail in the blob store) with the reason:
a stranger, an address shaped like ours whose signature is wrong, a mail that names no
case, an automatic reply (never answered: no mail loops), a case resolved too long ago (its
sender gets one short mail saying to open a new case).

A mail is stored once by its Message-ID, however often it is fetched or piped in. Its files
pass the per-file limit, the sender's daily quota and the disk budget as chat files do
(bot/quota.py); a refused file becomes a note in the message.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

import sqlalchemy as sa

from bot import mail_text, replies
from bot.i18n import say
from bot.quota import MEASURE_EVERY, UPLOADS_LOCK, WINDOW, FileQuota, too_large
from bot.reply_address import Forged, ReplyAddresses, split_address
from bot.service import Service
from flows.errors import Invalid
from flows.i18n import _, ngettext
from flows.model import FileRef
from store.tables import Case, utcnow
from store.uow import UnitOfWork, unit_of_work

log = logging.getLogger(__name__)

CHANNEL = "mail"
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To")
TEXT_LIMIT = 50_000  # characters of the cut text a message keeps
ORIGINAL_LIMIT = 1_000_000  # characters of the whole text kept for the operator
_MSG_ID = re.compile(r"<([^<>\s]+)>")
_OURS = re.compile(r"^(case|mail)-(\d{1,20})@(.+)$")
_ROBOTS = ("mailer-daemon", "postmaster")


class Unreadable(Exception):
    """The input is not a mail (empty, or no header at all)."""


@dataclass(frozen=True)
class Outcome:
    """What became of one mail: added to case `number`, or kept aside for `reason`."""

    number: str | None = None
    reason: str | None = None
    again: bool = False  # the same Message-ID was handled before

    @property
    def added(self) -> bool:
        return self.number is not None and self.reason is None

    def line(self) -> str:
        if self.added:
            return (f"Already on case {self.number}." if self.again
                    else f"Added to case {self.number}.")
        return f"Kept aside: {self.reason}."


@dataclass(frozen=True)
class Mail:
    """A parsed mail and the few things every decision reads."""

    raw: bytes
    msg: EmailMessage
    sender: str
    message_id: str
    subject: str

    @classmethod
    def parse(cls, raw: bytes) -> Mail:
        if not raw.strip():
            raise Unreadable("The input is empty: pipe one mail (RFC 5322) into it.")
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(msg, EmailMessage)
        if not msg.keys():
            raise Unreadable("The input is not a mail: it has no header fields.")
        found = _MSG_ID.search(str(msg.get("Message-ID", "")))
        message_id = (f"<{found[1]}>" if found
                      else f"<sha256-{hashlib.sha256(raw).hexdigest()}@casebot.invalid>")
        return cls(raw, msg, parseaddr(str(msg.get("From", "")))[1].strip(), message_id,
                   " ".join(str(msg.get("Subject", "")).split()))


def receive(service: Service, raw: bytes, addresses: ReplyAddresses) -> Outcome:
    """Add one mail to its case, or keep it aside; `Unreadable` for input that is no mail."""
    mail = Mail.parse(raw)
    robot = automatic(mail.msg, mail.sender)
    if robot:
        return keep_aside(service, mail, f"an automatic mail ({robot})")
    with unit_of_work(service.engine, read_only=True) as uow:  # decided, then written
        route = _route(uow, mail, addresses, service.reopen_days)
    if isinstance(route, str):
        return keep_aside(service, mail, route)
    if route.again:
        return Outcome(route.number, again=True)
    if route.late:
        return _too_late(service, mail, route.number)
    return _add(service, mail, route.number, route.contact_id)


@dataclass(frozen=True)
class _Route:
    number: str
    contact_id: int
    again: bool
    late: bool


def _route(uow: UnitOfWork, mail: Mail, addresses: ReplyAddresses,
           reopen_days: int) -> _Route | str:
    """The mail's case and what to do with it, or the reason to keep it aside."""
    try:
        case = claimed_case(uow, mail.msg, addresses)
    except Forged as exc:
        return f"a forged reply address for case {exc}"
    if case is None:
        return "not a reply to a mail from casebot"
    number = case.number or ""
    if not replies.may_write(uow, case, mail.sender):
        return (f"{mail.sender or 'no sender'} is neither the contact of case {number} nor "
                "on its CC list")
    return _Route(number, case.contact_id,
                  again=uow.messages.by_external(CHANNEL, mail.message_id) is not None,
                  late=replies.too_late(case, reopen_days))


def automatic(msg: EmailMessage, sender: str) -> str | None:
    """Why the mail was sent by a program (an out-of-office, a bounce, a list), or None."""
    auto = str(msg.get("Auto-Submitted", "no")).strip().lower()
    if auto and not auto.startswith("no"):
        return f"Auto-Submitted: {auto}"
    precedence = str(msg.get("Precedence", "")).strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    if msg.get("X-Autoreply") or msg.get("X-Autorespond"):
        return "an autoresponder's header"
    if str(msg.get("Return-Path", "")).strip() == "<>":
        return "a bounce (empty Return-Path)"
    if split_address(sender)[0] in _ROBOTS or msg.get_content_type() == "multipart/report":
        return "a delivery report"
    return None


def claimed_case(uow: UnitOfWork, msg: EmailMessage,
                 addresses: ReplyAddresses) -> Case | None:
    """The case a signed recipient address names (`Forged` when one does not verify), else
    the one casebot's Message-ID in In-Reply-To / References names, else None."""
    for _name, address in getaddresses([str(v) for h in RECIPIENT_HEADERS
                                    for v in msg.get_all(h) or []]):
        number = addresses.case_of(address)
        if number is not None:
            return uow.cases.by_number(number)
    named = _MSG_ID.findall(str(msg.get("In-Reply-To", "")))
    named += reversed(_MSG_ID.findall(str(msg.get("References", ""))))
    for ref in named:
        found = _OURS.match(ref.lower())
        if found is None or found[3] != addresses.domain:
            continue
        kind, number = found[1], found[2]
        if kind == "case":
            case = uow.cases.by_number(number)
        else:
            row = uow.outbox.get(int(number))
            case = uow.cases.get(row.case_id) if row is not None and row.case_id else None
        if case is not None:
            return case
    return None


def keep_aside(service: Service, mail: Mail, reason: str,
               then: Callable[[UnitOfWork], None] | None = None) -> Outcome:
    """Keep the mail for an operator, the raw bytes in the blob store; `then` runs in the
    same unit of work the first time this Message-ID is kept (not on a re-fetch)."""
    try:
        sha: str | None = service.files.put_bytes(mail.raw, "mail.eml").sha256
    except Invalid:  # larger than a file may be: kept without its bytes
        sha = None
    with unit_of_work(service.engine) as uow:
        kept = uow.aside.keep(sender=mail.sender, subject=mail.subject, reason=reason,
                              message_id=mail.message_id, raw_sha256=sha, size=len(mail.raw))
        if kept is not None and then is not None:
            then(uow)
    log.info("a mail was kept aside: %s", reason)
    return Outcome(reason=reason)


def _too_late(service: Service, mail: Mail, number: str) -> Outcome:
    """Kept aside; its sender is told once, in a mail that carries no signed reply address
    (bot/mailer.py UNSIGNED_KINDS), so answering it adds to no case."""
    days = service.reopen_days

    def tell(uow: UnitOfWork) -> None:
        case = uow.cases.by_number(number)
        if case is None or not mail.sender:
            return
        language = replies.language_of(uow, case, service.default_language)
        body = ngettext(
            "Case {number} was resolved more than {n} day ago, so your mail was not added to "
            "it. If you still need help, please open a new case and mention case {number} in "
            "it.\n\nYour mail has been kept for the support team.",
            "Case {number} was resolved more than {n} days ago, so your mail was not added to "
            "it. If you still need help, please open a new case and mention case {number} in "
            "it.\n\nYour mail has been kept for the support team.", days, number=number)
        uow.outbox.queue(
            kind="too_late", to=mail.sender, case_id=case.id,
            subject=say(_("Re: [Case {number}] {subject}", number=number,
                          subject=case.subject), language),
            headers={"In-Reply-To": mail.message_id, "References": mail.message_id},
            body_text=say(body, language) + "\n")

    return keep_aside(service, mail, f"case resolved more than {days} days ago", tell)


def _add(service: Service, mail: Mail, number: str, contact_id: int) -> Outcome:
    whole = mail_text.whole_text(mail.msg)
    text = mail_text.latest_reply(whole)[:TEXT_LIMIT]
    files, notes = store_files(service, contact_id, mail_text.attachments(mail.msg))
    if notes:
        text += "".join(f"\n\n[Not attached: {note}]" for note in notes)
    try:
        with unit_of_work(service.engine) as uow:
            case = uow.cases.by_number(number)
            assert case is not None
            added = replies.customer_message(
                uow, case, author=mail.sender, channel=CHANNEL, text=text, files=files,
                external_id=mail.message_id, reopen_days=service.reopen_days,
                original=whole[:ORIGINAL_LIMIT], staff=service.staff)
    except replies.TooLate:  # resolved long ago meanwhile
        return _too_late(service, mail, number)
    except sa.exc.IntegrityError:  # the same mail, stored by a concurrent fetch just now
        return Outcome(number, again=True)
    return Outcome(number, again=added is None)


def store_files(service: Service, contact_id: int, parts: list[tuple[str, bytes]]
                ) -> tuple[list[FileRef], list[str]]:
    """Store the files that fit, each counted against the contact's daily quota and the
    disk budget before it is written (the same file again within the day is free); a note
    saying why for each one that does not."""
    quota = FileQuota(service)
    refs: list[FileRef] = []
    notes: list[str] = []
    for name, data in parts:
        if len(data) > service.files.max_bytes:
            notes.append(too_large(name, service.files.max_bytes))
            continue
        sha = hashlib.sha256(data).hexdigest()
        try:
            measured = service.files.usage(MEASURE_EVERY)
            with unit_of_work(service.engine) as uow:
                uow.limits.hold(UPLOADS_LOCK)
                if not uow.uploads.seen_since(contact_id, sha, utcnow() - WINDOW):
                    quota.check_room(uow, measured, contact_id, len(data), name)
                    uow.uploads.add(contact_id, sha, len(data))
            refs.append(service.files.put_counted([data], name).ref)
        except Invalid as exc:
            notes.append(str(exc))
    return refs, notes
