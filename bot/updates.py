"""Operator updates to a case: timeline entry, mail to the contact and CC list.

The chat the case came from is told through a chat notice (bot/notices.py), written in the same
transaction and delivered by whichever Slack or Telegram process claims it.
"""

from __future__ import annotations

from typing import Any

from bot.mails import message_id
from bot.notices import queue_for_case
from bot.reclassify import apply_case_urls
from bot.service import Service
from store.uow import unit_of_work

STATUSES = ("open", "in progress", "waiting for customer", "resolved", "closed")


def update_case(service: Service, number: str, *, actor: str, status: str | None = None,
                note: str | None = None, apply_urls: bool = False) -> dict[str, Any]:
    """`apply_urls`: a URL Reclassification's requested ratings become local ratings (raises
    `bot.reclassify.NotReclassification`, changing nothing, for any other case). The update is
    audited as `actor` (`cli:USER`, `web:EMAIL`); the note itself is on the case's timeline."""
    if status is not None and status.lower() not in STATUSES:
        raise LookupError(f"Unknown status {status!r}. Use one of: {', '.join(STATUSES)}.")
    with unit_of_work(service.engine) as s:
        case = s.cases.by_number(number)
        if case is None:
            raise LookupError(f"No case {number}. `casebot cases list` shows the numbers.")
        parts = []
        applied = apply_case_urls(s, case) if apply_urls else []
        if status is not None and status.lower() != case.status:
            case.status = status.lower()
            s.cases.add_event(case, "status", f"Status changed to {case.status}.")
            parts.append(f"Status: {case.status}")
        if note:
            s.cases.add_event(case, "note", note)
            parts.append(note)
        if applied:
            s.cases.add_event(case, "ratings", "Local URL ratings updated:\n"
                              + "\n".join(applied))
            parts.append("The requested URL ratings are now in effect:\n" + "\n".join(applied))
        s.audit.record(actor, "case_update", f"case:{number}", _what_changed(
            status=case.status if status is not None else None, note=note, applied=applied))
        data = s.cases.as_json(case)
        domain = service.mail_from.rsplit("@", 1)[-1]
        thread = message_id(data["number"], domain)
        s.outbox.queue(kind="update", to=data["contact_email"], cc=data["cc_emails"],
                       subject=f"[Case {number}] Update: {data['subject']}",
                       body_text="\n\n".join(parts) + "\n", case_id=case.id,
                       headers={"In-Reply-To": thread, "References": thread})
        queue_for_case(s, case, f"Update on case {number} ({data['subject']}):\n"
                       + "\n".join(parts))
    return data


def _what_changed(*, status: str | None, note: str | None, applied: list[str]) -> str:
    """The audit row's detail: what the operator changed, without the note's words."""
    parts = [f"status {status}"] if status is not None else []
    if note:
        parts.append(f"a note of {len(note)} characters")
    if applied:
        parts.append(f"{len(applied)} URL rating{'s' if len(applied) != 1 else ''} applied")
    return "; ".join(parts)
