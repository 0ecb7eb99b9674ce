"""Describe first: a request opened from what the person wrote (a typed description,
`/newcase TEXT`, a message shortcut, a held message, a follow-up of an old case)."""

from __future__ import annotations

from bot import quota
from bot.effects import start_flow
from bot.event import Event
from flows.errors import Invalid
from flows.i18n import _
from flows.intake import describe_first
from flows.model import FileRef, Prompt, info


def describe(ev: Event, text: str, files: tuple[FileRef, ...] = (),
             source: str = "") -> list[Prompt]:
    """Describe first: the text opens a request (flows.intake.describe_first); from an
    existing message, its files count against the file quota as uploads do."""
    notes = []
    kept = []
    for f in files:
        refused = quota.take(ev.unit, ev.contact.id, f.sha256, f.size, ev.svc.file_quota_bytes)
        if refused:
            notes.append(info(refused))
        else:
            kept.append(f)
    try:
        answers = describe_first(text, ev.ctx, kept, source)
    except Invalid as exc:
        return [info(str(exc))]
    taken = {f["sha256"] for f in answers.get("attachments") or []}
    left = [f.name for f in kept if f.sha256 not in taken]
    if left:
        notes.append(info(_("Not attached (over the {limit} MB limit per case): {names}.",
                            limit=ev.ctx.max_attachment_bytes // 2**20,
                            names=", ".join(left))))
    if answers.get("attachments"):
        names = ", ".join(f["name"] for f in answers["attachments"])
        notes.append(info(_("Attached from the message: {names}.", names=names)))
    return [*notes, *start_flow(ev, "intake", answers)]
