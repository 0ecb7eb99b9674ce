"""Operator updates for a contact's chats: queued in the database, sent by claim-and-ack.

`casebot cases update` runs in its own process; it queues one notice per chat identity of the
case's contact, and whichever chat process runs for that channel sends it. Every sender — the
Slack and Telegram adapters, and the terminal chat at start — uses the same two calls through
`bot.chat.Chat`: `claim` (a compare-and-set with a lease, so of several processes exactly one
gets each notice) and `ack` with an `Outcome`. A notice given back `GIVE_UP_AFTER` times is
dropped (the mail of the same update still reaches the contact).

The functions here take the session and never commit: the caller's unit of work does.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.protocol import Notice, Outcome
from store import repo
from store.tables import Case, ChatNotice, utcnow

LEASE = timedelta(minutes=5)
# Tries before a notice that keeps failing is dropped (one constant for every channel).
GIVE_UP_AFTER = 5


def queue_for_case(s: Session, case: Case, text: str) -> list[ChatNotice]:
    """One notice per identity of the contact on the channel the case came from.

    Terminal cases (channel "console") are told too: the next `casebot chat` shows them.
    """
    out = []
    for ident in repo.identities_of(s, case.contact_id):
        if ident.channel != case.channel:
            continue
        notice = ChatNotice(channel=ident.channel, external_id=ident.external_id,
                            chat_ref=ident.chat_ref, case_id=case.id, text=text)
        s.add(notice)
        out.append(notice)
    s.flush()
    return out


def claim(s: Session, channel: str, *, external_id: str | None = None, limit: int = 50,
          lease: timedelta = LEASE) -> list[Notice]:
    """Take due notices for this process alone (the caller commits the claim).

    A notice is due when pending, or claimed longer ago than `lease` (its sender died). The
    claim is a compare-and-set on (status, claimed_at), so of several processes polling the
    same table exactly one gets each notice.
    """
    now = utcnow()
    query = select(ChatNotice).where(
        col(ChatNotice.channel) == channel,
        sa.or_(col(ChatNotice.status) == "pending",
               sa.and_(col(ChatNotice.status) == "sending",
                       col(ChatNotice.claimed_at) < now - lease)))
    if external_id is not None:
        query = query.where(ChatNotice.external_id == external_id)
    mine = []
    for notice in list(s.exec(query.order_by(col(ChatNotice.id)).limit(limit))):
        seen = col(ChatNotice.claimed_at).is_(None) if notice.claimed_at is None else (
            col(ChatNotice.claimed_at) == notice.claimed_at)
        taken = s.connection().execute(
            sa.update(ChatNotice).where(col(ChatNotice.id) == notice.id,
                                        col(ChatNotice.status) == notice.status, seen)
            .values(status="sending", claimed_at=now))
        if taken.rowcount == 1 and notice.id is not None:
            mine.append(Notice(notice.id, notice.channel, notice.external_id, notice.chat_ref,
                               notice.text))
    return mine


def ack(s: Session, notice_id: int, outcome: Outcome) -> None:
    """Record how sending a claimed notice went; a failure hands it back or drops it."""
    notice = s.get(ChatNotice, notice_id)
    if notice is None:
        return
    if outcome is Outcome.SENT:
        notice.status = "sent"
        notice.sent_at = utcnow()
    else:
        notice.attempts += 1
        final = outcome is Outcome.GIVE_UP or notice.attempts >= GIVE_UP_AFTER
        notice.status = "failed" if final else "pending"
        notice.claimed_at = None
    s.add(notice)


def pending(s: Session, channel: str, limit: int = 50) -> list[ChatNotice]:
    """Notices waiting to be sent (read-only; senders use `claim`)."""
    return list(s.exec(select(ChatNotice).where(ChatNotice.channel == channel,
                                                ChatNotice.status == "pending")
                       .order_by(col(ChatNotice.id)).limit(limit)))
