"""Canned replies: named texts operators keep and insert in a case's reply form (issue 24).

Each change is audited as its operator (`web:EMAIL`); a name is unique, so the reply form's
list never shows two "Need logs".
"""

from __future__ import annotations

from flows.errors import Invalid
from store.tables import CannedReply, utcnow
from store.uow import UnitOfWork

MAX_NAME = 100
MAX_TEXT = 10_000


def _checked(uow: UnitOfWork, name: str, text: str, reply_id: int | None) -> tuple[str, str]:
    name, text = " ".join(name.split()), text.strip()
    if not name or len(name) > MAX_NAME:
        raise Invalid(f"Give the reply a name of 1 to {MAX_NAME} characters.")
    if not text or len(text) > MAX_TEXT:
        raise Invalid(f"Write the reply's text (at most {MAX_TEXT:,} characters).")
    same = uow.canned.by_name(name)
    if same is not None and same.id != reply_id:
        raise Invalid(f"A reply named {name!r} exists already: edit it, or choose another "
                      "name.")
    return name, text


def save_reply(uow: UnitOfWork, name: str, text: str, *, actor: str,
               reply_id: int | None = None) -> CannedReply:
    """Add a canned reply, or change the one with `reply_id` (`LookupError`: gone)."""
    name, text = _checked(uow, name, text, reply_id)
    who = actor.partition(":")[2] or actor
    if reply_id is None:
        reply = CannedReply(name=name, text=text, updated_by=who, updated_at=utcnow())
        action = "canned_add"
    else:
        found = uow.canned.get(reply_id)
        if found is None:
            raise LookupError("That canned reply was deleted meanwhile.")
        reply, action = found, "canned_edit"
        reply.name, reply.text, reply.updated_by, reply.updated_at = name, text, who, utcnow()
    uow.canned.save(reply)
    uow.audit.record(actor, action, f"canned:{reply.id}", name)
    return reply


def delete_reply(uow: UnitOfWork, reply_id: int, *, actor: str) -> str:
    """Delete a canned reply; returns its name (`LookupError`: already gone)."""
    reply = uow.canned.get(reply_id)
    if reply is None:
        raise LookupError("That canned reply was deleted already.")
    uow.canned.delete(reply)
    uow.audit.record(actor, "canned_delete", f"canned:{reply_id}", reply.name)
    return reply.name
