"""An operator links a chat identity to a contact (`casebot contacts link`), skipping the mailed
code: the identity then opens and reads the contact's cases, profiles and activation codes.

So the link is treated as a mailed-code link is (bot/verification.py): the address gets the same
"identity linked" mail saying how to undo it, and the operator's action is a row in the audit
trail (`casebot audit list`). The undo, `bot.accounts.unlink`, is audited the same way.
"""

from __future__ import annotations

from bot.i18n import ENGLISH, choose
from bot.verification import queue_link_notice
from store.tables import saved_id
from store.uow import UnitOfWork


def link(uow: UnitOfWork, email: str, channel: str, external_id: str, *, actor: str,
         default_language: str = ENGLISH) -> bool:
    """Link the identity to the contact for `email` (made if new), audited as `actor`; the
    address is mailed unless the identity was linked to it already, in the contact's
    language (their own, their account's default, `default_language`: no chat event here
    says a platform's). True when it was new."""
    contact = uow.contacts.ensure(email)
    before = uow.contacts.for_identity(channel, external_id)
    uow.contacts.link_identity(contact, channel, external_id)
    new = before is None or before.id != contact.id
    detail = contact.email
    if before is not None and new:
        detail += f" (moved from {before.email})"
    elif not new:
        detail += " (already linked)"
    uow.audit.record(actor, "link", f"{channel}:{external_id}", detail)
    if new:
        own, account = uow.contacts.languages(saved_id(contact))
        queue_link_notice(uow, contact.email, channel, external_id,
                          language=choose(own, None, account, default_language))
    return new
