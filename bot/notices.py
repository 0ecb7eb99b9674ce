"""Messages for a contact's chats, queued in the database and delivered by the chat adapters.

`casebot cases update` runs in its own process; it queues one notice per chat identity of the
case's contact on the channel the case came from, and the running Slack or Telegram process
sends it (`pending` + `mark_sent`), so an update reaches the chat whichever process made it.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from store import repo
from store.tables import Case, ChatNotice, utcnow


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


def pending(s: Session, channel: str, limit: int = 50) -> list[ChatNotice]:
    return list(s.exec(select(ChatNotice).where(ChatNotice.channel == channel,
                                                ChatNotice.status == "pending")
                       .order_by(col(ChatNotice.id)).limit(limit)))


def mark_sent(s: Session, notice: ChatNotice) -> None:
    notice.status = "sent"
    notice.sent_at = utcnow()
    s.add(notice)


def mark_failed(s: Session, notice: ChatNotice, final: bool) -> None:
    notice.attempts += 1
    if final:
        notice.status = "failed"
    s.add(notice)
