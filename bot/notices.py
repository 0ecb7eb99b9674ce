"""Operator updates for a contact's chats: queued in the database, sent by claim-and-ack.

`casebot cases update` runs in its own process; it queues one notice per chat identity of the
case's contact, and whichever chat process runs for that channel sends it. Every sender — the
Slack and Telegram adapters, and the terminal chat at start — uses the same two calls through
`bot.chat.Chat`: `claim` (a compare-and-set with a lease, so of several processes exactly one
gets each notice) and `ack` with an `Outcome`. A notice given back `GIVE_UP_AFTER` times is
dropped (the mail of the same update still reaches the contact).

The functions here take the unit of work and never commit: the caller's unit does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta

from bot.protocol import Choice, FileRef, Notice, Outcome
from store.tables import Case, ChatNotice, utcnow
from store.uow import UnitOfWork

LEASE = timedelta(minutes=5)
# Tries before a notice that keeps failing is dropped (one constant for every channel).
GIVE_UP_AFTER = 5


def queue_for_case(uow: UnitOfWork, case: Case, text: str) -> list[ChatNotice]:
    """One notice per identity of the contact on the channel the case came from.

    Terminal cases (channel "console") are told too: the next `casebot chat` shows them.
    """
    return [uow.notices.add(ident.channel, ident.external_id, ident.chat_ref, text, case.id)
            for ident in uow.contacts.identities_of(case.contact_id)
            if ident.channel == case.channel]


def claim(uow: UnitOfWork, channel: str, *, external_id: str | None = None, limit: int = 50,
          lease: timedelta = LEASE, file_path: Callable[[str], str] = str) -> list[Notice]:
    """Take due notices for this process alone (the caller commits the claim).

    A notice is due when pending, or claimed longer ago than `lease` (its sender died). The
    claim is a compare-and-set on (status, claimed_at), so of several processes polling the
    same table exactly one gets each notice.
    """
    now = utcnow()
    mine = []
    for notice in uow.notices.due(channel, external_id, now, lease, limit):
        if uow.notices.take(notice, now) and notice.id is not None:
            mine.append(_plain(uow, notice, file_path))
    return mine


def claim_one(uow: UnitOfWork, notice_id: int, *, lease: timedelta = LEASE,
              file_path: Callable[[str], str] = str) -> Notice | None:
    """Take this one notice if it is due, as `claim` does (a job's claim: bot/chat_jobs.py);
    None when it is sent, dropped, gone, or another sender's claim is younger than `lease`."""
    now = utcnow()
    notice = uow.notices.due_one(notice_id, now, lease)
    if notice is None or not uow.notices.take(notice, now):
        return None
    return _plain(uow, notice, file_path)


def _plain(uow: UnitOfWork, notice: ChatNotice, file_path: Callable[[str], str]) -> Notice:
    """The notice as values, with its case's number and thread in that chat."""
    assert notice.id is not None
    case = uow.cases.get(notice.case_id) if notice.case_id is not None else None
    thread = uow.case_refs.first_of(notice.case_id, notice.channel, notice.external_id) \
        if notice.case_id is not None else None
    return Notice(notice.id, notice.channel, notice.external_id, notice.chat_ref,
                  notice.text, case=case.number if case else None, thread=thread,
                  buttons=tuple(Choice(id=b["id"], label=b["label"], hint=b.get("hint", ""))
                                for b in notice.buttons or []),
                  files=tuple(FileRef(f["name"], int(f["size"]), f["sha256"],
                                      file_path(f["sha256"])) for f in notice.files or []))


def ack(uow: UnitOfWork, notice_id: int, outcome: Outcome, refs: Iterable[str] = ()) -> None:
    """Record how sending a claimed notice went; a failure hands it back or drops it.
    `refs`: the platform's ids of the messages sent, remembered for the notice's case."""
    notice = uow.notices.get(notice_id)
    if notice is None:
        return
    if notice.case_id is not None:
        for ref in refs:
            uow.case_refs.remember(notice.channel, notice.external_id, str(ref), notice.case_id)
    if outcome is Outcome.SENT:
        notice.status = "sent"
        notice.sent_at = utcnow()
    else:
        notice.attempts += 1
        final = outcome is Outcome.GIVE_UP or notice.attempts >= GIVE_UP_AFTER
        notice.status = "failed" if final else "pending"
        notice.claimed_at = None
    uow.notices.save(notice)
