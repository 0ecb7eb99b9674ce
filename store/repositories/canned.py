"""Canned replies: named texts operators insert in a case's reply form (0012)."""

from __future__ import annotations

from sqlmodel import col, select

from store.repositories.base import Repository
from store.tables import CannedReply


class CannedReplies(Repository):
    def all(self) -> list[CannedReply]:
        """By name, as the reply form lists them."""
        return list(self.s.exec(select(CannedReply).order_by(col(CannedReply.name))))

    def get(self, reply_id: int) -> CannedReply | None:
        return self.s.get(CannedReply, reply_id)

    def by_name(self, name: str) -> CannedReply | None:
        return self.s.exec(select(CannedReply).where(CannedReply.name == name)).first()

    def save(self, reply: CannedReply) -> None:
        self.s.add(reply)
        self.s.flush()

    def delete(self, reply: CannedReply) -> None:
        self.s.delete(reply)
        self.s.flush()
