"""The per-contact file quota: how many bytes one contact may store in a day (issue 11).

Attachments are stored on the server's disk; without a quota one contact could fill it. Each
file a contact sends is counted once (the same file again is free) in table `uploads`, and a
file that would bring the last 24 hours over CASEBOT_FILE_QUOTA_MB is refused. Stored bytes
that end up in no draft or case are removed by `casebot db prune` (bot/maintenance.py).
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from store.tables import Upload, utcnow

WINDOW = timedelta(hours=24)


def used(s: Session, contact_id: int) -> int:
    since = utcnow() - WINDOW
    return s.exec(select(sa.func.coalesce(sa.func.sum(Upload.size), 0))
                  .where(Upload.contact_id == contact_id, Upload.at > since)).one()


def take(s: Session, contact_id: int, sha256: str, size: int, limit: int) -> str | None:
    """Count a file against the contact's quota; the reason when it does not fit."""
    since = utcnow() - WINDOW
    seen = s.exec(select(Upload.id).where(Upload.contact_id == contact_id,
                                          Upload.sha256 == sha256, Upload.at > since)).first()
    if seen is not None:
        return None
    if used(s, contact_id) + size > limit:
        return (f"You have sent {limit // (1024 * 1024):,} MB of files in the last 24 hours, the "
                "most one person may store in a day. Please send the rest tomorrow, or share "
                "large files through the support portal's large-file upload.")
    s.add(Upload(contact_id=contact_id, sha256=sha256, size=size))
    s.flush()
    return None
