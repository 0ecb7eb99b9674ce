"""Operator updates to a case: timeline entry, mail to the contact and CC list.

The chat the case came from is told through a chat notice (bot/notices.py), written in the same
transaction and delivered by whichever Slack or Telegram process claims it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot import desk, i18n, replies
from bot.desk import name_of
from bot.reclassify import apply_case_urls, not_applied_yet
from bot.service import Service
from flows.i18n import _, joined
from flows.model import FileRef
from store.uow import unit_of_work

STATUSES = replies.STATUSES


def update_case(service: Service, number: str, *, actor: str, status: str | None = None,
                note: str | None = None, apply_urls: bool = False,
                notify: bool = True, seen: int | None = None) -> dict[str, Any]:
    """`apply_urls`: a URL Reclassification's requested ratings become local ratings, once
    (raises `bot.reclassify.NotReclassification` for any other case and
    `bot.reclassify.AlreadyApplied` the second time, even from a stale form, changing and
    sending nothing). The update is
    audited as `actor` (`cli:USER`, `web:EMAIL`). A note is a public message to the customer
    (bot/replies.py); a status change without one reaches them only when `notify`.
    `seen`: the case version the console's form was read at (`bot.desk.Stale`, nothing done
    or sent, when the case changed since); the CLI passes None."""
    if status is not None and status.lower() not in STATUSES:
        raise LookupError(f"Unknown status {status!r}. Use one of: {', '.join(STATUSES)}.")
    with unit_of_work(service.engine) as s:
        case = s.cases.by_number(number)
        if case is None:
            raise LookupError(f"No case {number}. `casebot cases list` shows the numbers.")
        # a second press of "apply" says so, rather than that its form is stale
        desk.claim(s, case, seen, (lambda: not_applied_yet(s, case)) if apply_urls else None)
        author = name_of(actor)
        applied = apply_case_urls(s, case) if apply_urls else []
        if applied:
            s.cases.add_event(case, "ratings", "Local URL ratings updated:\n"
                              + "\n".join(applied), actor=author)
            told = joined("\n", [_("The requested URL ratings are now in effect:"), *applied])
            note = "\n\n".join(filter(None, [note, i18n.say(told, replies.language_of(
                s, case, service.default_language))]))  # stored as the message's text
        if note:
            replies.operator_message(s, case, operator=author, text=note, status=status,
                                     channel=actor.split(":", 1)[0],
                                     mail_from=service.mail_from,
                                     default_language=service.default_language)
        elif status is not None:
            replies.set_status(s, case, status, notify=notify, mail_from=service.mail_from,
                               actor=author, default_language=service.default_language)
        s.audit.record(actor, "case_update", f"case:{number}", _what_changed(
            status=case.status if status is not None else None, note=note, applied=applied))
        data = s.cases.as_json(case, internal=True)
    return data


def reply_case(service: Service, number: str, *, actor: str, text: str,
               author: str | None = None, internal: bool = False, files: Sequence[FileRef] = (),
               status: str | None = None, notify: bool = False,
               seen: int | None = None) -> int:
    """An operator's message on the case, in one unit of work, audited as `actor`; returns
    the message id. `files` are already in the blob store (the per-file limit checked).

    A public reply carries its status change to the customer with it; an internal note goes
    nowhere, and its status change reaches the customer only when `notify` (as a status
    change without a message does). `seen`: as for `update_case`."""
    if status is not None and status.lower() not in STATUSES:
        raise LookupError(f"Unknown status {status!r}. Use one of: {', '.join(STATUSES)}.")
    channel = actor.split(":", 1)[0]
    with unit_of_work(service.engine) as s:
        case = s.cases.by_number(number)
        if case is None:
            raise LookupError(f"No case {number}. `casebot cases list` shows the numbers.")
        desk.claim(s, case, seen)
        if status is not None and status.lower() == case.status:
            status = None
        message = replies.operator_message(
            s, case, operator=author or name_of(actor), text=text, internal=internal,
            files=list(files), channel=channel, mail_from=service.mail_from,
            status=None if internal else status, default_language=service.default_language)
        if internal and status is not None:
            replies.set_status(s, case, status, notify=notify, mail_from=service.mail_from,
                               actor=message.author, default_language=service.default_language)
        what = ["an internal note" if internal else "a reply",
                f"of {len(text)} characters"]
        if files:
            what.append(f"with {len(files)} file{'s' if len(files) != 1 else ''}")
        detail = " ".join(what) + (f"; status {case.status}" if status is not None else "")
        s.audit.record(actor, "case_note" if internal else "case_reply", f"case:{number}",
                       detail)
        assert message.id is not None
        return message.id


def assign_case(service: Service, number: str, operator: str | None, *, actor: str,
                seen: int | None = None) -> bool:
    """Make `operator` (an operator's email; None: nobody) the case's owner, audited as
    `actor`; False when they already were. `seen`: as for `update_case`."""
    with unit_of_work(service.engine) as s:
        case = s.cases.by_number(number)
        if case is None:
            raise LookupError(f"No case {number}. `casebot cases list` shows the numbers.")
        if operator == case.assignee:
            return False  # nothing changes, so no open form is made stale
        desk.claim(s, case, seen)
        return desk.assign(s, case, operator, actor=actor)


def _what_changed(*, status: str | None, note: str | None, applied: Sequence[str]) -> str:
    """The audit row's detail: what the operator changed, without the note's words."""
    parts = [f"status {status}"] if status is not None else []
    if note:
        parts.append(f"a note of {len(note)} characters")
    if applied:
        parts.append(f"{len(applied)} URL rating{'s' if len(applied) != 1 else ''} applied")
    return "; ".join(parts)
