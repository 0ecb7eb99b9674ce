"""What a customer writes about a case after Submit (intake.md, "After Submit"), one action
each: a reply in the case's thread (Slack), to any message about it (Telegram), `/reply
NUMBER TEXT` (terminal); Solved / Still broken and the survey, one press each.

A message that replies to nothing is never silently taken as a new request while a case's
conversation goes on (bot/replies.py `unthreaded` holds the rule): the one case whose
engineer spoke last gets it at once, and the reply says so with a **New case** button that
makes it a new request instead; with other live cases it is held and gets one question
("Add to case N" per case, or "New case"). The rules of what a message does to a case are in
bot/replies.py; this routes.
"""

from __future__ import annotations

from typing import Any

from bot import replies
from bot.describe import describe
from bot.event import Event
from flows import commands
from flows.commands import button_id
from flows.i18n import Msg, _, joined, ngettext
from flows.model import Choice, FileRef, Inbound, Prompt, info
from flows.normalize import case_number, typed_number
from store.tables import Case, CaseMessage

NOT_THIS = _("Not about this case? It can be a new request instead.")
ALREADY = _("That message was already handled.")
IN_PROGRESS = _("You have a request in progress; finish or /cancel it first.")
SEES_IT = _("The support team will see it.")
NO_CASE = _("I can't find that case of yours. /cases lists your cases.")
# the description casebot writes for a request opened from files sent without words
FILES_ONLY = _("Files from a message")


def route(ev: Event, inbound: Inbound) -> list[Prompt] | None:
    """Prompts when the event is about a submitted case; None: it goes where it went before
    (the form, a command, a new request)."""
    if inbound.thread and inbound.kind in ("text", "file"):
        case = _case_of_thread(ev, inbound.thread)
        if case is not None:
            said = _thread_comment(ev, case, inbound)
            return [info(said)] if said else ev.with_current(add(ev, case, inbound))
    if ev.conv is not None or inbound.kind not in ("text", "file"):
        return None
    if inbound.kind == "text":
        said = _survey_answer(ev, inbound.text)
        if said is not None:
            return [info(said)]
        if says_new_case(inbound):  # typed "new case": what it says
            return None
    where = replies.unthreaded(ev.unit, ev.contact.id, days=ev.svc.followup_days)
    if where.case is not None:
        return _add_as_answer(ev, where.case, inbound)
    return _ask_which(ev, inbound, list(where.ask)) if where.ask else None


def says_new_case(inbound: Inbound) -> bool:
    """Typing "new case" with no request open starts one (mid-form it is just an answer)."""
    return inbound.kind == "text" and inbound.text.strip().casefold() in ("new case", "newcase")


def add(ev: Event, case: Case, inbound: Inbound) -> list[Prompt]:
    """The customer's message on `case` (files included); a resolved case long ago: a new
    request that links to it."""
    files = _files(inbound)
    try:
        message = _store(ev, case, inbound)
    except replies.TooLate:
        return _follow_up_case(ev, case, inbound.text, tuple(files))
    if message is None:  # the same platform message again: stored once, said once
        return []
    return [info(joined(" ", [_added(case, files, subject=False), SEES_IT]))]


def split(ev: Event, args: str) -> list[Prompt]:
    """"New case" under a message added to a case as its answer: the message leaves the case
    and describes a new request (describe-first), its files with it."""
    message_id = typed_number(args)
    if message_id is None or replies.own_message(ev.unit, message_id, ev.contact.id) is None:
        return ev.with_current([info(ALREADY)])
    if ev.in_request() and not ev.untouched():
        return [info(IN_PROGRESS), ev.current_prompt()]
    try:
        case, message = replies.take_back(ev.unit, message_id, ev.contact.id)
    except replies.Gone:
        return ev.with_current([info(ALREADY)])
    except replies.Answered as exc:
        return ev.with_current([info(_(
            "The support team answered after your message, so it stays on case {number}. "
            "/newcase starts a new request.", number=exc.case.number))])
    ev.end()
    return [info(_("Taken out of case {number}; it starts a new request.",
                   number=case.number)),
            *describe(ev, message.text or ev.written(FILES_ONLY),
                      _refs(ev, message.attachments))]


def reply_command(ev: Event, args: str) -> list[Prompt]:
    """`/reply NUMBER TEXT` (the terminal's one action; any chat may type it)."""
    number, text = _first_word(args)
    case = _own_case(ev, number)
    if case is None or not text.strip():
        return ev.with_current([info(
            _("I can't find a case {number} of yours. /cases lists your cases.",
              number=number) if number and case is None else
            _("Type /reply followed by the case number and your message, e.g. /reply "
              "10000042 The error is gone."))])
    return ev.with_current(add(ev, case, Inbound(kind="text", text=text)))


def solved(ev: Event, args: str) -> list[Prompt]:
    case = _own_case(ev, args)
    if case is None:
        return [info(NO_CASE)]
    if case.status != replies.RESOLVED:
        return [info(_("Case {number} is {status}; nothing to confirm.", number=case.number,
                       status=_(case.status)))]
    replies.solved(ev.unit, case, author=ev.contact.email)
    return [info(_("Thank you. Case {number} is closed.", number=case.number))]


def still_broken(ev: Event, args: str) -> list[Prompt]:
    case = _own_case(ev, args)
    if case is None:
        return [info(NO_CASE)]
    if case.status != replies.RESOLVED:
        return [info(_("Case {number} is {status}; it is not waiting for your confirmation. "
                       "Reply to its messages to add anything.", number=case.number,
                       status=_(case.status)))]
    replies.reopen(ev.unit, case, author=ev.contact.email)
    return [info(_("Case {number} is reopened; the support team will look at it again. "
                   "Reply to its messages to say what still happens.", number=case.number))]


def rate(ev: Event, args: str) -> list[Prompt]:
    survey, _, rating = args.strip().partition(" ")
    if not survey.isdigit() or not rating.strip().isdigit():
        return [info(replies.ONE_TO_FIVE)]
    return [info(replies.rate(ev.unit, int(survey), int(rating), ev.contact.id))]


def add_held(ev: Event, args: str) -> list[Prompt]:
    """"Add to case N" on a held message."""
    held_id, _, number = args.strip().partition(" ")
    case = _own_case(ev, number)
    held = ev.unit.held.take(int(held_id), ev.contact.id) if held_id.isdigit() else None
    if held is None or case is None:
        return ev.with_current([info(ALREADY)])
    inbound = Inbound(kind="text", text=held.text, files=_refs(ev, held.files),
                      ref=held.external_id or "")
    return ev.with_current(add(ev, case, inbound))


def new_from_held(ev: Event, args: str) -> list[Prompt]:
    """"New case" on a held message: it describes a new request (describe-first)."""
    held = ev.unit.held.take(int(args), ev.contact.id) if args.strip().isdigit() else None
    if held is None:
        return ev.with_current([info(ALREADY)])
    if ev.in_request() and not ev.untouched():
        return [info(IN_PROGRESS), ev.current_prompt()]
    ev.end()
    return describe(ev, held.text or ev.written(FILES_ONLY), _refs(ev, held.files))


# -- helpers ------------------------------------------------------------------------------

def _case_of_thread(ev: Event, thread: str) -> Case | None:
    """The person's case a reply answers: a remembered chat message (only theirs, since
    refs are kept per identity); the terminal names the case itself."""
    if ev.who.channel == "console":
        return _own_case(ev, thread)
    case_id = ev.unit.case_refs.case_of(ev.who.channel, ev.who.external_id, thread)
    case = ev.unit.cases.get(case_id) if case_id is not None else None
    return case if case is not None and case.contact_id == ev.contact.id else None


def _first_word(args: str) -> tuple[str, str]:
    """(the first word, the rest): split at any space, the full-width one too."""
    words = args.split(maxsplit=1)
    return (words[0], words[1]) if len(words) == 2 else (args.strip(), "")


def _own_case(ev: Event, number: str) -> Case | None:
    number = case_number(number)
    case = ev.unit.cases.by_number(number) if number.isdigit() else None
    return case if case is not None and case.contact_id == ev.contact.id else None


def _survey_answer(ev: Event, text: str) -> Msg | None:
    """A plain 1–5 answers the newest unanswered survey (the terminal has no buttons); a
    message right after a rating is its comment."""
    ids = ev.unit.cases.ids_of(ev.contact.id)
    rating = typed_number(text)
    if rating in replies.RATINGS:
        unrated = ev.unit.surveys.unrated(ids)
        if unrated:
            return replies.rate(ev.unit, unrated[0].id or 0, rating, ev.contact.id)
    return replies.comment(ev.unit, ids, text)


def _thread_comment(ev: Event, case: Case, inbound: Inbound) -> Msg | None:
    """Right after a rating the survey (asked in the case's thread) wants the next message
    as its comment: typed in that thread too, it is the comment, not a reopening message."""
    if inbound.kind != "text" or not inbound.text.strip():
        return None
    return replies.comment(ev.unit, [replies.saved(case)], inbound.text)


def _files(inbound: Inbound) -> list[FileRef]:
    return [*inbound.files, *([inbound.file] if inbound.file else [])]


def _store(ev: Event, case: Case, inbound: Inbound) -> CaseMessage | None:
    return replies.customer_message(
        ev.unit, case, author=ev.contact.email, channel=ev.who.channel, text=inbound.text,
        files=_files(inbound), external_id=inbound.ref or None,
        reopen_days=ev.svc.reopen_days, staff=ev.svc.staff)


def _added(case: Case, files: list[FileRef], *, subject: bool) -> Msg:
    names = ", ".join(f.name for f in files)
    if subject:
        return _("Added to case {number} ({subject}) with {files}.", number=case.number,
                 subject=case.subject, files=names) if names else \
            _("Added to case {number} ({subject}).", number=case.number, subject=case.subject)
    return _("Added to case {number} with {files}.", number=case.number, files=names) \
        if names else _("Added to case {number}.", number=case.number)


def _add_as_answer(ev: Event, case: Case, inbound: Inbound) -> list[Prompt]:
    """The answer to the one case whose engineer spoke last, added at once: the reply names
    the case and offers **New case** (the message leaves the case for a new request)."""
    message = _store(ev, case, inbound)  # a live case: never too late
    if message is None:  # the same platform message again: stored once, said once
        return []
    way_out = Choice(id=button_id(commands.SPLIT, str(message.id)), label=_("New case"),
                     hint=_("Type /{command} {id} to make it a new request.",
                            command=commands.SPLIT, id=message.id))
    return [Prompt(kind="info", text=joined("\n", [
        joined(" ", [_added(case, _files(inbound), subject=True), SEES_IT]), NOT_THIS]),
        choices=(way_out,))]


def _ask_which(ev: Event, inbound: Inbound, cases: list[Case]) -> list[Prompt]:
    held = ev.unit.held.hold(ev.contact.id, ev.who.channel, inbound.text,
                             replies.file_dicts(_files(inbound)), inbound.ref or None)
    # the terminal can't press: each hint is the command the button runs, so typing it files
    # the held message as a press does (nothing typed twice, nothing left behind)
    choices = tuple(Choice(id=button_id(commands.ADD_TO, f"{held.id} {c.number}"),
                           label=_("Add to case {number}", number=c.number),
                           hint=_("Type /{command} {id} {number} to add it to case {number}.",
                                  command=commands.ADD_TO, id=held.id, number=c.number))
                    for c in cases)
    choices += (Choice(id=button_id(commands.NEW_FROM, str(held.id)), label=_("New case"),
                       hint=_("Type /{command} {id} to make it a new case.",
                              command=commands.NEW_FROM, id=held.id)),)
    subjects = "\n".join(f"{c.number} · {c.subject}" for c in cases)
    return [Prompt(kind="info", text=joined("\n", [
        _("Is this about one of your open cases?"), subjects]), choices=choices)]


def _refs(ev: Event, files: list[dict[str, Any]]) -> tuple[FileRef, ...]:
    return tuple(FileRef(f["name"], int(f["size"]), f["sha256"],
                         ev.svc.files.where(f["sha256"])) for f in files)


def _follow_up_case(ev: Event, case: Case, text: str,
                    files: tuple[FileRef, ...]) -> list[Prompt]:
    days = ev.svc.reopen_days
    late = ngettext("Case {number} was resolved more than {n} day ago, so this opens a new "
                    "case that refers to it.",
                    "Case {number} was resolved more than {n} days ago, so this opens a new "
                    "case that refers to it.", days, number=case.number)
    if ev.in_request() and not ev.untouched():
        return [info(ngettext(
            "Case {number} was resolved more than {n} day ago. Finish or /cancel your "
            "request, then send this again to open a new case about it.",
            "Case {number} was resolved more than {n} days ago. Finish or /cancel your "
            "request, then send this again to open a new case about it.", days,
            number=case.number))]
    ev.end()
    return [info(late), *describe(
        ev, text or ev.written(_("Follow-up of case {number}", number=case.number)), files,
        source=f"case {case.number}")]
