"""Files a contact sent, counted against the daily file quota (bot/quota.py)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import select

from store.repositories.base import Repository
from store.tables import Upload


class Uploads(Repository):
    def bytes_since(self, contact_id: int, since: datetime) -> int:
        return self.s.exec(select(sa.func.coalesce(sa.func.sum(Upload.size), 0))
                           .where(Upload.contact_id == contact_id, Upload.at > since)).one()

    def seen_since(self, contact_id: int, sha256: str, since: datetime) -> bool:
        return self.s.exec(select(Upload.id).where(
            Upload.contact_id == contact_id, Upload.sha256 == sha256,
            Upload.at > since)).first() is not None

    def add(self, contact_id: int, sha256: str, size: int) -> None:
        self.s.add(Upload(contact_id=contact_id, sha256=sha256, size=size))
        self.s.flush()
