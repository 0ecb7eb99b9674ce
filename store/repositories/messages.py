"""A case's conversation (issue 23): its messages, the chat messages that refer to it, the
survey of each resolution, what a customer wrote before saying which case it is for, and
mail kept aside for an operator."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from store.repositories.base import Repository
from store.tables import (
    AsideMail,
    CaseMessage,
    CaseRef,
    ChatNotice,
    HeldMessage,
    OutboxMail,
    Survey,
    utcnow,
)


class Messages(Repository):
    def add(self, message: CaseMessage) -> CaseMessage | None:
        """Store `message`; None when its platform id was stored before (a redelivery)."""
        if message.external_id and self.by_external(message.channel, message.external_id):
            return None
        self.s.add(message)
        self.s.flush()
        return message

    def by_external(self, channel: str, external_id: str) -> CaseMessage | None:
        return self.s.exec(select(CaseMessage).where(
            CaseMessage.channel == channel, CaseMessage.external_id == external_id)).first()

    def get(self, message_id: int) -> CaseMessage | None:
        return self.s.get(CaseMessage, message_id)

    def of_case(self, case_id: int, *, public_only: bool = False) -> list[CaseMessage]:
        query = select(CaseMessage).where(CaseMessage.case_id == case_id)
        if public_only:
            query = query.where(CaseMessage.visibility == "public")
        return list(self.s.exec(query.order_by(col(CaseMessage.id))))

    def last_of(self, case_id: int, author_kind: str) -> CaseMessage | None:
        return self.s.exec(select(CaseMessage).where(
            CaseMessage.case_id == case_id, CaseMessage.author_kind == author_kind)
            .order_by(col(CaseMessage.id).desc()).limit(1)).first()

    def last_public(self, case_ids: list[int],
                    author_kind: str | None = None) -> dict[int, CaseMessage]:
        """Each case's newest public message (what the customer saw last, and who wrote it);
        `author_kind`: its newest public message of that kind."""
        if not case_ids:
            return {}
        newest = (select(sa.func.max(CaseMessage.id))
                  .where(col(CaseMessage.case_id).in_(case_ids),
                         CaseMessage.visibility == "public")
                  .group_by(col(CaseMessage.case_id)))
        if author_kind is not None:
            newest = newest.where(CaseMessage.author_kind == author_kind)
        return {m.case_id: m for m in self.s.exec(
            select(CaseMessage).where(col(CaseMessage.id).in_(newest)))}

    def answered_after(self, message: CaseMessage) -> bool:
        """Whether an operator wrote publicly on the message's case after it."""
        return self.s.exec(select(CaseMessage.id).where(
            CaseMessage.case_id == message.case_id, CaseMessage.author_kind == "operator",
            CaseMessage.visibility == "public", col(CaseMessage.id) > message.id)
            .limit(1)).first() is not None

    def remove(self, message: CaseMessage) -> None:
        self.s.delete(message)
        self.s.flush()

    def deliveries(self, message_ids: list[int]) -> dict[int, list[str]]:
        """Which way each message went: "slack: sent", "mail: pending", … per message id."""
        out: dict[int, list[str]] = {m: [] for m in message_ids}
        if not message_ids:
            return out
        for notice in self.s.exec(select(ChatNotice).where(
                col(ChatNotice.message_id).in_(message_ids)).order_by(col(ChatNotice.id))):
            out[notice.message_id or 0].append(f"{notice.channel}: {notice.status}")
        for mail in self.s.exec(select(OutboxMail).where(
                col(OutboxMail.message_id).in_(message_ids)).order_by(col(OutboxMail.id))):
            out[mail.message_id or 0].append(f"mail: {mail.status}")
        return out


class CaseRefs(Repository):
    def remember(self, channel: str, chat: str, ref: str, case_id: int) -> None:
        """A chat message about case `case_id` (remembered once; a ref never changes case)."""
        if self.case_of(channel, chat, ref) is None:
            self.s.add(CaseRef(channel=channel, chat=chat, ref=ref, case_id=case_id))
            self.s.flush()

    def case_of(self, channel: str, chat: str, ref: str) -> int | None:
        return self.s.exec(select(CaseRef.case_id).where(
            CaseRef.channel == channel, CaseRef.chat == chat, CaseRef.ref == ref)).first()

    def first_of(self, case_id: int, channel: str, chat: str) -> str | None:
        """The case's first message in that chat (Slack: the thread's parent)."""
        return self.s.exec(select(CaseRef.ref).where(
            CaseRef.case_id == case_id, CaseRef.channel == channel, CaseRef.chat == chat)
            .order_by(col(CaseRef.id)).limit(1)).first()


class Surveys(Repository):
    def ask(self, case_id: int) -> Survey:
        survey = Survey(case_id=case_id)
        self.s.add(survey)
        self.s.flush()
        return survey

    def get(self, survey_id: int) -> Survey | None:
        return self.s.get(Survey, survey_id)

    def open_of(self, case_id: int) -> list[Survey]:
        """The case's surveys not withdrawn (at most one per resolution)."""
        return list(self.s.exec(select(Survey).where(
            Survey.case_id == case_id, col(Survey.withdrawn).is_(False))
            .order_by(col(Survey.id))))

    def wanting_comment(self, case_ids: list[int]) -> Survey | None:
        if not case_ids:
            return None
        return self.s.exec(select(Survey).where(
            col(Survey.case_id).in_(case_ids), col(Survey.comment_wanted).is_(True),
            col(Survey.withdrawn).is_(False)).order_by(col(Survey.id).desc()).limit(1)).first()

    def unrated(self, case_ids: list[int]) -> list[Survey]:
        if not case_ids:
            return []
        return list(self.s.exec(select(Survey).where(
            col(Survey.case_id).in_(case_ids), col(Survey.rating).is_(None),
            col(Survey.withdrawn).is_(False)).order_by(col(Survey.id).desc())))

    def withdraw(self, case_id: int) -> None:
        for survey in self.open_of(case_id):
            if survey.rating is None or survey.comment_wanted:
                survey.withdrawn = survey.rating is None
                survey.comment_wanted = False
                self.s.add(survey)

    def scores(self, case_ids: list[int]) -> dict[int, int]:
        """Each case's latest rating."""
        out: dict[int, int] = {}
        if not case_ids:
            return out
        for survey in self.s.exec(select(Survey).where(
                col(Survey.case_id).in_(case_ids), col(Survey.rating).is_not(None),
                col(Survey.withdrawn).is_(False)).order_by(col(Survey.id))):
            out[survey.case_id] = survey.rating or 0
        return out


class HeldMessages(Repository):
    def hold(self, contact_id: int, channel: str, text: str, files: list[dict[str, Any]],
             external_id: str | None) -> HeldMessage:
        held = HeldMessage(contact_id=contact_id, channel=channel, text=text, files=files,
                           external_id=external_id)
        self.s.add(held)
        self.s.flush()
        return held

    def take(self, held_id: int, contact_id: int) -> HeldMessage | None:
        """The held message, deleted; None if gone or someone else's."""
        held = self.s.get(HeldMessage, held_id)
        if held is None or held.contact_id != contact_id:
            return None
        self.s.delete(held)
        self.s.flush()
        return held

    def older_than(self, at: datetime) -> int:
        return self.conn.execute(sa.delete(HeldMessage).where(
            col(HeldMessage.created_at) < at)).rowcount


class AsideMails(Repository):
    def keep(self, *, sender: str, subject: str, reason: str, message_id: str | None,
             raw_sha256: str | None, size: int) -> AsideMail | None:
        """Keep a mail for an operator; None when that Message-ID was kept before."""
        if message_id and self.s.exec(select(AsideMail).where(
                AsideMail.message_id == message_id)).first():
            return None
        mail = AsideMail(sender=sender[:320], subject=subject[:300], reason=reason[:200],
                         message_id=message_id, raw_sha256=raw_sha256, size=size,
                         received_at=utcnow())
        self.s.add(mail)
        self.s.flush()
        return mail

    def raw_shas(self) -> set[str]:
        """The stored raw mails (kept while their rows are: `casebot db prune`)."""
        return {sha for sha in self.s.exec(select(AsideMail.raw_sha256)) if sha}

    def get(self, mail_id: int) -> AsideMail | None:
        return self.s.get(AsideMail, mail_id)

    def newest(self, limit: int = 50) -> list[AsideMail]:
        return list(self.s.exec(select(AsideMail).order_by(col(AsideMail.id).desc())
                                .limit(limit)))
