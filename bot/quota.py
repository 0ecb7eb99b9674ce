"""The per-contact file quota: how many bytes one contact may store in a day (issue 11).

Attachments are stored on the server's disk; without a quota one contact could fill it. Each
file a contact sends is counted once (the same file again is free) in table `uploads`, and a
file that would bring the last 24 hours over CASEBOT_FILE_QUOTA_MB is refused. Stored bytes
that end up in no draft or case are removed by `casebot db prune` (bot/maintenance.py).
"""

from __future__ import annotations

from datetime import timedelta

from store.tables import utcnow
from store.uow import UnitOfWork

WINDOW = timedelta(hours=24)


def used(uow: UnitOfWork, contact_id: int) -> int:
    return uow.uploads.bytes_since(contact_id, utcnow() - WINDOW)


def take(uow: UnitOfWork, contact_id: int, sha256: str, size: int, limit: int) -> str | None:
    """Count a file against the contact's quota; the reason when it does not fit."""
    since = utcnow() - WINDOW
    if uow.uploads.seen_since(contact_id, sha256, since):
        return None
    if used(uow, contact_id) + size > limit:
        return (f"You have sent {limit // (1024 * 1024):,} MB of files in the last 24 hours, the "
                "most one person may store in a day. Please send the rest tomorrow, or share "
                "large files through the support portal's large-file upload.")
    uow.uploads.add(contact_id, sha256, size)
    return None
