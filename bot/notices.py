"""Messages for a contact's chats, queued in the database and delivered by the chat adapters.

`casebot cases update` runs in its own process; it queues one notice per chat identity of the
case's contact on the channel the case came from, and the running Slack or Telegram process
sends it (`pending` + `mark_sent`), so an update reaches the chat whichever process made it.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from store import repo
from store.tables import Case, ChatNotice, utcnow

LEASE = timedelta(minutes=5)


def queue_for_case(s: Session, case: Case, text: str) -> list[ChatNotice]:
    out = []
    for ident in repo.identities_of(s, case.contact_id):
        if ident.channel != case.channel or ident.channel == "console":
            continue
        notice = ChatNotice(channel=ident.channel, external_id=ident.external_id,
                            chat_ref=ident.chat_ref, case_id=case.id, text=text)
        s.add(notice)
        out.append(notice)
    s.flush()
    return out


def claim(s: Session, channel: str, limit: int = 50,
          lease: timedelta = LEASE) -> list[ChatNotice]:
    """Take due notices for this process alone, committing the claim at once.

    A notice is due when pending, or claimed longer ago than `lease` (its sender died). The
    claim is a compare-and-set on (status, claimed_at), so of several processes polling the
    same table exactly one gets each notice.
    """
    now = utcnow()
    candidates = list(s.exec(
        select(ChatNotice).where(ChatNotice.channel == channel,
                                 sa.or_(ChatNotice.status == "pending",
                                        sa.and_(ChatNotice.status == "sending",
                                                col(ChatNotice.claimed_at) < now - lease)))
        .order_by(col(ChatNotice.id)).limit(limit)))
    mine = []
    for notice in candidates:
        seen = col(ChatNotice.claimed_at).is_(None) if notice.claimed_at is None else (
            col(ChatNotice.claimed_at) == notice.claimed_at)
        taken = s.connection().execute(
            sa.update(ChatNotice).where(col(ChatNotice.id) == notice.id,
                                        col(ChatNotice.status) == notice.status, seen)
            .values(status="sending", claimed_at=now))
        if taken.rowcount == 1:
            mine.append(notice.id)
    s.commit()
    if not mine:
        return []
    s.expire_all()
    return list(s.exec(select(ChatNotice).where(col(ChatNotice.id).in_(mine))
                       .order_by(col(ChatNotice.id))))


def pending(s: Session, channel: str, limit: int = 50) -> list[ChatNotice]:
    """Notices waiting to be sent (read-only; senders use `claim`)."""
    return list(s.exec(select(ChatNotice).where(ChatNotice.channel == channel,
                                                ChatNotice.status == "pending")
                       .order_by(col(ChatNotice.id)).limit(limit)))


def mark_sent(s: Session, notice: ChatNotice) -> None:
    notice.status = "sent"
    notice.sent_at = utcnow()
    s.add(notice)


def mark_failed(s: Session, notice: ChatNotice, final: bool) -> None:
    """Count a failed try: give up when `final`, else hand the notice back for a later poll."""
    notice.attempts += 1
    notice.status = "failed" if final else "pending"
    notice.claimed_at = None
    s.add(notice)
