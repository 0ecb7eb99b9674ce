"""A case after Submit is a conversation (intake.md, "After Submit"): the rules of who may add
what to it, and what every message and status change sends where.

Every path in (a Slack thread, a Telegram reply, `/reply`, a mail, the console, the CLI)
adds its message through `customer_message` or `operator_message`; every path out (chat
notices, mail) is queued here, in the caller's unit of work, and only for public messages:
an internal note is stored and goes nowhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot import alerts, clock, i18n, mails
from bot.notices import queue_for_case
from flows.commands import SOLVED, STILL_BROKEN, SURVEY, button_id
from flows.i18n import Msg, _, joined
from store.tables import DONE_STATUSES, Case, CaseMessage, as_utc, utcnow
from store.uow import UnitOfWork

CUSTOMER_REPLIED = "customer replied"
WAITING = "waiting for customer"
RESOLVED = "resolved"
DONE = DONE_STATUSES
STATUSES = ("open", "in progress", WAITING, CUSTOMER_REPLIED, RESOLVED, "closed")
RATINGS = (1, 2, 3, 4, 5)
COMMENT_WINDOW = timedelta(hours=1)  # after a rating, the next plain message is its comment
FOLLOWUP_DAYS = 7  # CASEBOT_FOLLOWUP_DAYS: how long a live case's conversation stays "going on"
ASKED_FOR = 3  # "Add to case N" buttons at most (the cases spoken on last)
LIVE_LOOKED_AT = 20  # a contact's newest live cases the rule looks at
# the customer's message this soon after their own answer on a case goes on with that answer
ANSWER_BURST = timedelta(minutes=10)
ONE_TO_FIVE = _("Please answer with a number from 1 to 5.")


class TooLate(Exception):
    """The case was resolved longer ago than the reopen window: a message starts a new case
    that links to it."""

    def __init__(self, case: Case) -> None:
        super().__init__(case.number)
        self.case = case


class Gone(LookupError):
    """The message is not there to take back (taken already, or not the contact's)."""


class Answered(Exception):
    """Support answered after the message: it stays on its case."""

    def __init__(self, case: Case) -> None:
        super().__init__(case.number)
        self.case = case


@dataclass(frozen=True)
class Unthreaded:
    """Where a chat message that replies to nothing goes (`unthreaded`): added to `case` at
    once, or held with one question about `ask`; neither: a new request."""

    case: Case | None = None
    ask: tuple[Case, ...] = ()


def unthreaded(uow: UnitOfWork, contact_id: int, *, days: int = FOLLOWUP_DAYS) -> Unthreaded:
    """The rule for a message that replies to nothing (no thread, no reply-to, no `/reply`),
    outside a form, in every chat:

    - the contact's conversations going on are their live cases (not resolved or closed)
      that wait for them, or whose last public message (or opening) is within `days`;
    - exactly one, and the customer is answering on it within `days` (its last public
      message is an engineer's, or it waits for the customer, or the customer answered an
      engineer there less than `ANSWER_BURST` ago: "log attached" after the answer): the
      message is added to it at once, and the reply offers to make it a new request instead;
    - otherwise, any: it is held and one question asks which (the `ASKED_FOR` spoken on
      last) or a new case;
    - none: a new request, as for a contact without cases.
    """
    live = uow.cases.open_of(contact_id, DONE, LIVE_LOOKED_AT)
    last = uow.messages.last_public([saved(c) for c in live])
    since = utcnow() - timedelta(days=days)

    def spoken(case: Case) -> datetime:
        message = last.get(saved(case))
        return max(as_utc(t) for t in (case.created_at, case.resolved_at,
                                       message.at if message else None) if t is not None)

    going = sorted((c for c in live if c.status == WAITING or spoken(c) >= since),
                   key=lambda c: (spoken(c), saved(c)), reverse=True)
    if len(going) == 1 and spoken(going[0]) >= since \
            and _answering(uow, going[0], last.get(saved(going[0]))):
        return Unthreaded(case=going[0])
    return Unthreaded(ask=tuple(going[:ASKED_FOR]))


def _answering(uow: UnitOfWork, case: Case, last: CaseMessage | None) -> bool:
    """Support spoke last on the case, or the customer is still answering them."""
    if case.status == WAITING or (last is not None and last.author_kind == "operator"):
        return True
    return last is not None and last.author_kind == "customer" \
        and utcnow() - as_utc(last.at) < ANSWER_BURST \
        and bool(uow.messages.last_public([saved(case)], "operator"))


def own_message(uow: UnitOfWork, message_id: int, contact_id: int) -> CaseMessage | None:
    """A message the contact wrote on one of their cases; None for anything else."""
    message = uow.messages.get(message_id)
    case = uow.cases.get(message.case_id) if message is not None else None
    if message is None or case is None or case.contact_id != contact_id \
            or message.author_kind != "customer":
        return None
    return message


def take_back(uow: UnitOfWork, message_id: int, contact_id: int) -> tuple[Case, CaseMessage]:
    """The contact's message, taken out of its case to become a new request: its files go
    with it, the timeline says so, and the case's status goes back to what it was before it
    (unless more happened since). `Gone`: not there; `Answered`: support answered after it,
    so it stays."""
    message = own_message(uow, message_id, contact_id)
    case = uow.cases.get(message.case_id) if message is not None else None
    if message is None or case is None:
        raise Gone(message_id)
    uow.cases.hold(case)
    if uow.messages.answered_after(message):
        raise Answered(case)
    for f in message.attachments:
        uow.cases.remove_attachment(case, f)
    uow.messages.remove(message)
    uow.cases.add_event(case, "message", f"A message from {message.author} "
                        f"({message.channel}) was moved to a new request by the customer.",
                        actor=message.author)
    newest = uow.messages.last_public([saved(case)]).get(saved(case))
    back = message.status_before
    if back in STATUSES and back not in DONE and case.status == CUSTOMER_REPLIED \
            and (newest is None or newest.author_kind != "customer"):
        assert back is not None
        set_status(uow, case, back, notify=False, actor=message.author)
    return case, message


def file_dicts(files: list[Any]) -> list[dict[str, Any]]:
    """Files as messages keep them: {name, size, sha256} (FileRef or dict in)."""
    out = []
    for f in files:
        d = f if isinstance(f, dict) else {"name": f.name, "size": f.size, "sha256": f.sha256}
        out.append({"name": d["name"], "size": int(d["size"]), "sha256": d["sha256"]})
    return out


def may_write(uow: UnitOfWork, case: Case, email: str) -> bool:
    """The contact, or an address on the case's CC list (a mail from a colleague)."""
    contact = uow.contacts.get(case.contact_id)
    allowed = {(contact.email if contact else "").casefold()}
    allowed |= {a.casefold() for a in case.details.get("cc_emails") or []}
    return email.casefold() in allowed


def customer_message(uow: UnitOfWork, case: Case, *, author: str, channel: str, text: str,
                     files: Sequence[Any] = (), external_id: str | None = None,
                     reopen_days: int = 7, original: str | None = None,
                     staff: alerts.Staff = alerts.NOBODY) -> CaseMessage | None:
    """Add what the customer (or a CC'd colleague) wrote; None for a redelivery.

    The case becomes "customer replied"; a resolved case within `reopen_days` is reopened
    (its survey withdrawn); later, `TooLate` is raised and nothing is stored. A case with an
    owner tells staff (`staff`: where; bot/alerts.py).
    """
    if external_id and uow.messages.by_external(channel, external_id):
        return None
    before = case.status
    if case.status in DONE:
        if too_late(case, reopen_days):
            raise TooLate(case)
        uow.surveys.withdraw(saved(case))
        uow.cases.add_event(case, "reopened", f"Reopened by a message from {author}.",
                            actor=author)
    message = uow.messages.add(CaseMessage(
        case_id=saved(case), author=author, author_kind="customer", channel=channel,
        text=text, attachments=file_dicts(list(files)), external_id=external_id,
        original=original, status_before=before))
    if message is None:
        return None
    _attach(uow, case, message.attachments)
    if case.status != CUSTOMER_REPLIED:
        case.status = CUSTOMER_REPLIED
        uow.cases.add_event(case, "status", f"Status changed to {CUSTOMER_REPLIED}.",
                            actor=author)
    uow.cases.add_event(case, "message", f"Message from {author} ({channel}).", actor=author)
    clock.customer_wrote(uow, case, before)
    alerts.customer_replied(uow, case, message, staff)
    return message


def too_late(case: Case, reopen_days: int) -> bool:
    """Resolved (or closed) longer ago than the reopen window: a message no longer reopens
    it (a mail checks this before storing its files)."""
    if case.status not in DONE:
        return False
    return utcnow() - as_utc(case.resolved_at or case.updated_at) > timedelta(days=reopen_days)


def operator_message(uow: UnitOfWork, case: Case, *, operator: str, text: str,
                     internal: bool = False, files: Sequence[Any] = (),
                     channel: str = "cli", mail_from: str = "casebot@localhost",
                     status: str | None = None,
                     default_language: str = i18n.ENGLISH) -> CaseMessage:
    """An operator's message: an internal note stays on the case; a public one goes to the
    case's chat (in its thread, with its files) and by mail to the contact and the CC list.
    `status` changes the case too (told to the customer with the message). casebot's own
    words around it are in the contact's language (`language_of`); the message is as
    written."""
    message = uow.messages.add(CaseMessage(
        case_id=saved(case), author=operator, author_kind="operator",
        visibility="internal" if internal else "public", channel=channel, text=text,
        attachments=file_dicts(list(files))))
    assert message is not None
    _attach(uow, case, message.attachments)
    uow.cases.add_event(case, "internal" if internal else "reply",
                        f"{'Internal note' if internal else 'Reply'} by {operator}.",
                        actor=operator)
    changes = status is not None and status.lower() != case.status
    if not internal:  # the message first: a resolution's buttons come after it
        clock.operator_replied(uow, case)
        _send(uow, case, message, mail_from, status.lower() if changes and status else None,
              language_of(uow, case, default_language))
    if status is not None:
        set_status(uow, case, status, notify=not internal, mail_from=mail_from,
                   with_message=not internal, actor=operator,
                   default_language=default_language)
    return message


def set_status(uow: UnitOfWork, case: Case, status: str, *, notify: bool,
               mail_from: str = "casebot@localhost", with_message: bool = False,
               actor: str | None = None, default_language: str = i18n.ENGLISH) -> bool:
    """Change the status (False: it already was). "resolved" asks **Solved / Still broken**
    and the survey in the chat, whether or not the change itself is told (`notify`): the
    customer must be able to say it is not solved."""
    status = status.lower()
    if status not in STATUSES:
        raise LookupError(f"Unknown status {status!r}. Use one of: {', '.join(STATUSES)}.")
    if status == case.status:
        return False
    before, case.status = case.status, status
    uow.cases.add_event(case, "status", f"Status changed to {status}.", actor=actor)
    clock.status_changed(uow, case, before)
    if status == RESOLVED:
        case.resolved_at = utcnow()
        uow.surveys.withdraw(saved(case))
        _ask_resolved(uow, case, mail_from, language_of(uow, case, default_language))
    elif notify and not with_message:
        _notice(uow, case, i18n.say(_("Case {number} ({subject}) is now {status}.",
                                      number=case.number, subject=case.subject,
                                      status=_(status)),
                                    language_of(uow, case, default_language)))
    return True


def language_of(uow: UnitOfWork, case: Case, default: str = i18n.ENGLISH) -> str:
    """The language casebot's words to the case's contact are queued in (notices and mails
    are stored as text): the contact's own choice, else their platform's language as kept
    with their identity on the case's channel (Slack's locale, Telegram's language_code),
    else their account's default, else the deployment's default (bot/i18n.py, `choose`)."""
    return spoken(uow, case, default)[0]


def spoken(uow: UnitOfWork, case: Case, default: str = i18n.ENGLISH) -> tuple[str, str]:
    """`language_of` and where it comes from: "chosen" (by the contact or an operator), the
    case's channel (their platform's), "account" (the account's default) or "default" (the
    deployment's), for the console's case page."""
    own, account = uow.contacts.languages(case.contact_id)
    platform = None if i18n.normal(own) is not None else next(
        (ident.locale for ident in uow.contacts.identities_of(case.contact_id)
         if ident.channel == case.channel and ident.locale), None)
    language, source = i18n.chosen(own, platform, account, default)
    return language, {"own": "chosen", "platform": case.channel}.get(source, source)


def reopen(uow: UnitOfWork, case: Case, *, author: str) -> None:
    """Still broken: the case goes back to the engineers, its survey withdrawn."""
    uow.surveys.withdraw(saved(case))
    before, case.status = case.status, CUSTOMER_REPLIED
    uow.cases.add_event(case, "reopened", f"Still broken, says {author}.", actor=author)
    clock.status_changed(uow, case, before)


def solved(uow: UnitOfWork, case: Case, *, author: str) -> None:
    if case.status != "closed":
        before, case.status = case.status, "closed"
        uow.cases.add_event(case, "status", f"Confirmed solved by {author}; closed.",
                            actor=author)
        clock.status_changed(uow, case, before)


def rate(uow: UnitOfWork, survey_id: int, rating: int, contact_id: int) -> Msg:
    """Record a survey answer; returns what to say (a withdrawn survey changes nothing)."""
    survey = uow.surveys.get(survey_id)
    case = uow.cases.get(survey.case_id) if survey else None
    if survey is None or case is None or case.contact_id != contact_id:
        return _("I can't find that question any more.")
    if survey.withdrawn:
        return _("That question was withdrawn: case {number} was reopened. You'll be asked "
                 "again once it is resolved.", number=case.number)
    if rating not in RATINGS:
        return ONE_TO_FIVE
    survey.rating = rating
    survey.answered_at = utcnow()
    survey.comment_wanted = True
    uow.session.add(survey)
    contact = uow.contacts.get(contact_id)
    uow.cases.add_event(case, "satisfaction", f"Satisfaction {rating}/5.",
                        actor=contact.email if contact else None)
    return _("Thank you: {rating}/5 for case {number}. If you want to add a comment, write "
             "it as your next message (or just carry on).", rating=rating, number=case.number)


def comment(uow: UnitOfWork, case_ids: list[int], text: str) -> Msg | None:
    """The comment of the newest survey of `case_ids` rated within `COMMENT_WINDOW` (the
    customer's next plain message); None: none wants one."""
    survey = uow.surveys.wanting_comment(case_ids)
    if survey is None or survey.answered_at is None \
            or utcnow() - as_utc(survey.answered_at) >= COMMENT_WINDOW:
        return None
    survey.comment = text[:2000]
    survey.comment_wanted = False
    uow.session.add(survey)
    return _("Thank you for the comment; it goes to the support team.")


def saved(case: Case) -> int:
    assert case.id is not None
    return case.id


# -- what goes out ------------------------------------------------------------------------

def _attach(uow: UnitOfWork, case: Case, files: list[dict[str, Any]]) -> None:
    """A message's files are the case's files too (downloads, pruning by reference)."""
    for f in files:
        uow.cases.add_attachment(case, f)


def _send(uow: UnitOfWork, case: Case, message: CaseMessage, mail_from: str,
          new_status: str | None, language: str) -> None:
    """The operator's message in the chat and by mail, framed in the contact's `language`
    (their own words are not translated)."""
    status = _("Status: {status}", status=_(new_status)) if new_status is not None else None
    text = joined("\n\n", [
        joined("\n", [_("Update on case {number} ({subject}):", number=case.number,
                        subject=case.subject), message.text]),
        *([status] if status is not None else []),
        *([_("Reply to this message to answer.")]
          if (new_status or case.status) == WAITING else [])])
    _notice(uow, case, i18n.say(text, language), message=message)
    data = uow.cases.as_json(case)
    names = ", ".join(f["name"] for f in message.attachments)
    body = joined("\n\n", [
        message.text, *([_("Files: {names}", names=names)] if names else []),
        *([status] if status is not None else []), _("Reply to this mail to answer.")])
    subject = _("[Case {number}] Update: {subject}", number=case.number, subject=case.subject)
    mail = uow.outbox.queue(kind="update", to=data["contact_email"], cc=data["cc_emails"],
                            subject=i18n.say(subject, language),
                            body_text=i18n.say(body, language) + "\n",
                            case_id=case.id,
                            headers=mails.case_headers(case.number or "", mail_from,
                                                       language))
    mail.message_id = message.id
    mail.files = list(message.attachments)


def _notice(uow: UnitOfWork, case: Case, text: str, *, message: CaseMessage | None = None,
            buttons: list[dict[str, str]] | None = None) -> None:
    for notice in queue_for_case(uow, case, text):
        notice.message_id = message.id if message else None
        notice.files = list(message.attachments) if message else []
        notice.buttons = list(buttons or [])


def _ask_resolved(uow: UnitOfWork, case: Case, mail_from: str, language: str) -> None:
    """Resolved: Solved / Still broken, then the survey, each one message with buttons, in
    the contact's `language` (a notice is stored as text)."""
    number = case.number or ""

    def say(text: Msg) -> str:
        return i18n.say(text, language)

    _notice(uow, case, say(_("Case {number} ({subject}) is resolved. Is it solved for you?",
                             number=number, subject=case.subject)),
            buttons=[{"id": button_id(SOLVED, number), "label": say(_("Solved")),
                      "hint": say(_("Type /solved {number} if it is, /stillbroken {number} "
                                    "if not.", number=number))},
                     {"id": button_id(STILL_BROKEN, number), "label": say(_("Still broken"))}])
    survey = uow.surveys.ask(saved(case))
    _notice(uow, case, say(_("How satisfied are you with how case {number} was handled? 1 is "
                             "very unsatisfied, 5 very satisfied.", number=number)),
            buttons=[{"id": button_id(SURVEY, f"{survey.id} {n}"), "label": str(n),
                      "hint": say(_("Type a number from 1 to 5.")) if n == 1 else ""}
                     for n in RATINGS])
    data = uow.cases.as_json(case)
    uow.outbox.queue(kind="resolved", to=data["contact_email"], cc=data["cc_emails"],
                     subject=say(_("[Case {number}] Resolved: {subject}", number=number,
                                   subject=case.subject)),
                     body_text=say(_("Your case has been resolved. If it is not solved for "
                                     "you, reply to this mail and the case is reopened.")) + "\n",
                     case_id=case.id, headers=mails.case_headers(number, mail_from))
