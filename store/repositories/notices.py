"""Chat notices: operator updates and sample verdicts queued for a contact's chats.

The claim is a compare-and-set on (status, claimed_at), so of several processes polling the
same table exactly one gets each notice (bot/notices.py holds the rules around it).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col, select

from store.repositories.base import Repository
from store.signals import announce
from store.tables import ChatNotice


class Notices(Repository):
    def add(self, channel: str, external_id: str, chat_ref: str | None, text: str,
            case_id: int | None = None) -> ChatNotice:
        notice = ChatNotice(channel=channel, external_id=external_id, chat_ref=chat_ref,
                            case_id=case_id, text=text)
        self.s.add(notice)
        self.s.flush()
        announce(self.conn, channel)  # the chat processes wake at commit (store/signals.py)
        return notice

    def due(self, channel: str, external_id: str | None, now: datetime, lease: timedelta,
            limit: int) -> list[ChatNotice]:
        """Pending notices, and those claimed longer ago than `lease` (their sender died)."""
        query = select(ChatNotice).where(col(ChatNotice.channel) == channel,
                                         _due(now, lease))
        if external_id is not None:
            query = query.where(ChatNotice.external_id == external_id)
        return list(self.s.exec(query.order_by(col(ChatNotice.id)).limit(limit)))

    def due_one(self, notice_id: int, now: datetime, lease: timedelta) -> ChatNotice | None:
        """The notice if it is due, as `due` says (a job's claim of its own row)."""
        return self.s.exec(select(ChatNotice).where(col(ChatNotice.id) == notice_id,
                                                    _due(now, lease))).first()

    def take(self, notice: ChatNotice, now: datetime) -> bool:
        """Claim `notice` unless another process changed it since it was read."""
        seen = col(ChatNotice.claimed_at).is_(None) if notice.claimed_at is None else (
            col(ChatNotice.claimed_at) == notice.claimed_at)
        taken = self.conn.execute(
            sa.update(ChatNotice).where(col(ChatNotice.id) == notice.id,
                                        col(ChatNotice.status) == notice.status, seen)
            .values(status="sending", claimed_at=now))
        return taken.rowcount == 1

    def waiting_since(self, channels: tuple[str, ...], before: datetime,
                      stale_claim: datetime, limit: int = 500) -> list[int]:
        """Notices of `channels` pending since before `before`, or claimed before
        `stale_claim` (the job relay's look, bot/job_tasks.py)."""
        return [int(row.id) for row in self.conn.execute(
            sa.select(col(ChatNotice.id)).where(
                col(ChatNotice.channel).in_(channels),
                sa.or_(sa.and_(col(ChatNotice.status) == "pending",
                               col(ChatNotice.created_at) < before),
                       sa.and_(col(ChatNotice.status) == "sending",
                               col(ChatNotice.claimed_at) < stale_claim)))
            .order_by(col(ChatNotice.id)).limit(limit))]

    def get(self, notice_id: int) -> ChatNotice | None:
        return self.s.get(ChatNotice, notice_id)

    def save(self, notice: ChatNotice) -> None:
        self.s.add(notice)

    def pending(self, channel: str, limit: int = 50) -> list[ChatNotice]:
        return list(self.s.exec(select(ChatNotice).where(ChatNotice.channel == channel,
                                                         ChatNotice.status == "pending")
                                .order_by(col(ChatNotice.id)).limit(limit)))


def _due(now: datetime, lease: timedelta) -> sa.ColumnElement[bool]:
    """Due: pending, or claimed longer ago than `lease` (its sender died)."""
    return sa.or_(col(ChatNotice.status) == "pending",
                  sa.and_(col(ChatNotice.status) == "sending",
                          col(ChatNotice.claimed_at) < now - lease))
