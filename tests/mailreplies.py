"""Cases and mails for the replies-by-mail tests: a case made in the store as Submit makes
it, casebot's mails about it as the sender builds them, and a customer's reply to one of
them built as a mail program would (To its Reply-To, In-Reply-To its Message-ID, the old
text quoted below)."""

from __future__ import annotations

import itertools
from email.message import EmailMessage
from email.utils import make_msgid

from bot import mails
from bot.service import Service
from store.tables import OutboxMail
from store.uow import unit_of_work
from tests.e2e import pseudo

MAIL_FROM = "support@desk.example"
SECRET = "test-mail-secret"
_keys = itertools.count(1)


def make_case(service: Service, email: str, *, cc: list[str] = (),  # type: ignore[assignment]
              subject: str = "Agent does not update") -> str:
    """A submitted case of `email` (its confirmation queued, as Submit does); its number."""
    pseudo.data(subject, "It stays on 1.2.3.")  # what the customer wrote (tests/e2e/pseudo.py)
    with unit_of_work(service.engine) as uow:
        contact = uow.contacts.ensure(email)
        case, _ = uow.cases.create(contact, f"test:{next(_keys)}", "console",
                                   {"subject": subject, "cc_emails": list(cc),
                                    "description": "It stays on 1.2.3."})
        mails.queue_confirmation(uow, uow.cases.as_json(case), case.id, MAIL_FROM,
                                 service.default_language)  # as Submit: the contact's
        assert case.number is not None
        return case.number


def outbox(service: Service) -> list[OutboxMail]:
    with unit_of_work(service.engine, read_only=True) as uow:
        return list(reversed(uow.outbox.recent(10_000)))


def reply(to: EmailMessage, sender: str, text: str, *,
          files: list[tuple[str, bytes]] = (),  # type: ignore[assignment]
          use_reply_to: bool = True, message_id: str | None = None) -> EmailMessage:
    """A customer's answer to `to`: their text, then the quoted mail, and any files."""
    msg = EmailMessage()
    msg["From"] = f"Customer <{sender}>"
    msg["To"] = str(to["Reply-To"] if use_reply_to and to["Reply-To"] else to["From"])
    msg["Subject"] = f"Re: {to['Subject']}"
    msg["Message-ID"] = message_id or make_msgid(domain="customer.example")
    msg["In-Reply-To"] = str(to["Message-ID"])
    msg["References"] = " ".join(filter(None, [str(to.get("References") or ""),
                                               str(to["Message-ID"])]))
    body = to.get_body(("plain",))
    old = body.get_content() if body is not None else ""
    quoted = "\n".join(f"> {line}" for line in str(old).splitlines())
    msg.set_content(f"{text}\n\nBest regards,\nAnn\n\n"
                    f"On Sun, 6 Dec 2026 at 10:00, {MAIL_FROM} wrote:\n{quoted}\n")
    for name, data in files:
        msg.add_attachment(data, maintype="application", subtype="octet-stream",
                           filename=name)
    return msg


def plain(sender: str, to: str, text: str, **headers: str) -> EmailMessage:
    """A mail that replies to nothing."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = "Hello"
    msg["Message-ID"] = make_msgid(domain="elsewhere.example")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(text)
    return msg
