"""Conversations: where each contact is in a flow. Every chat step loads and saves one.

These are the hottest statements casebot runs, so they are Core statements on the unit's
connection (compiled once by SQLAlchemy's statement cache), with no ORM session. The version
column is an optimistic lock: a save that finds another event saved first raises
`StaleConversation`, and the caller retries the event from fresh data.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from flows import conversation
from store.db import table_of
from store.repositories.base import Repository
from store.repositories.contacts import ContactInfo
from store.tables import Account, ChatIdentity, Contact, Conversation, utcnow


class StaleConversation(Exception):
    """Another event changed the conversation first; the caller retries from the start."""


@dataclass(kw_only=True)
class ConvRow(conversation.Conversation):
    """A conversation as stored: its row id, owner, channel and version (optimistic lock)."""

    id: int
    contact_id: int
    channel: str
    version: int


_conv = table_of(Conversation)
_contacts = table_of(Contact)
_idents = table_of(ChatIdentity)
_accounts = table_of(Account)
_CONV_COLS = (_conv.c.id, _conv.c.contact_id, _conv.c.flow, _conv.c.state, _conv.c.answers,
              _conv.c.stack, _conv.c.draft_id, _conv.c.channel, _conv.c.version)

_LOAD = sa.select(*_CONV_COLS).where(_conv.c.contact_id == sa.bindparam("contact_id"))
_LOAD_BY_IDENTITY = (
    sa.select(_contacts.c.id, _contacts.c.account_id, _contacts.c.email, _contacts.c.name,
              _contacts.c.case_recipients, _contacts.c.language, _contacts.c.language_offered,
              _idents.c.locale, _accounts.c.language, *_CONV_COLS)
    .select_from(_idents.join(_contacts, _contacts.c.id == _idents.c.contact_id)
                 .join(_accounts, _accounts.c.id == _contacts.c.account_id)
                 .outerjoin(_conv, _conv.c.contact_id == _contacts.c.id))
    .where(_idents.c.channel == sa.bindparam("channel"),
           _idents.c.external_id == sa.bindparam("external_id")))
_UPDATE = (
    _conv.update()
    .where(_conv.c.id == sa.bindparam("b_id"), _conv.c.version == sa.bindparam("b_version"))
    .values(flow=sa.bindparam("b_flow"), state=sa.bindparam("b_state"),
            answers=sa.bindparam("b_answers", type_=_conv.c.answers.type),
            stack=sa.bindparam("b_stack", type_=_conv.c.stack.type),
            channel=sa.bindparam("b_channel"), version=sa.bindparam("b_next"),
            updated_at=sa.bindparam("b_now", type_=_conv.c.updated_at.type)))
_DELETE = _conv.delete().where(_conv.c.id == sa.bindparam("b_id"),
                               _conv.c.version == sa.bindparam("b_version"))


def _conv_row(cols: Any) -> ConvRow:
    """A row of `_CONV_COLS` as a ConvRow."""
    return ConvRow(id=cols[0], contact_id=cols[1], flow=cols[2], state=cols[3],
                   answers=cols[4], stack=cols[5], draft_id=cols[6], channel=cols[7],
                   version=cols[8])


class Conversations(Repository):
    def load_for_identity(self, channel: str,
                          external_id: str) -> tuple[ContactInfo, ConvRow | None] | None:
        """The contact behind a chat identity (with their account's default language) and
        their conversation, in one query."""
        row = self.conn.execute(_LOAD_BY_IDENTITY, {"channel": channel,
                                                    "external_id": external_id}).first()
        if row is None:
            return None
        contact = ContactInfo(row[0], row[1], row[2], row[3], list(row[4] or []), row[5],
                              bool(row[6]), row[7], row[8])
        if row[9] is None:
            return contact, None
        return contact, _conv_row(row[9:])

    def load(self, contact_id: int) -> ConvRow | None:
        row = self.conn.execute(_LOAD, {"contact_id": contact_id}).first()
        return _conv_row(row) if row else None

    def insert(self, contact_id: int, flow: str, state: str, answers: dict[str, Any],
               stack: list[dict[str, Any]], channel: str) -> ConvRow:
        draft = secrets.token_hex(8)
        try:
            result = self.conn.execute(_conv.insert().values(
                contact_id=contact_id, flow=flow, state=state, answers=answers, stack=stack,
                draft_id=draft, channel=channel, version=1, updated_at=utcnow()))
        except sa.exc.IntegrityError as exc:
            raise StaleConversation() from exc
        key = result.inserted_primary_key
        assert key is not None
        return ConvRow(id=key[0], contact_id=contact_id, flow=flow, state=state,
                       answers=answers, stack=stack, draft_id=draft, channel=channel,
                       version=1)

    def update(self, conv: ConvRow) -> None:
        result = self.conn.execute(_UPDATE, {
            "b_id": conv.id, "b_version": conv.version, "b_flow": conv.flow,
            "b_state": conv.state, "b_answers": conv.answers, "b_stack": conv.stack,
            "b_channel": conv.channel, "b_next": conv.version + 1, "b_now": utcnow()})
        if result.rowcount != 1:
            raise StaleConversation()
        conv.version += 1

    def delete(self, conv: ConvRow) -> None:
        result = self.conn.execute(_DELETE, {"b_id": conv.id, "b_version": conv.version})
        if result.rowcount != 1:
            raise StaleConversation()

    def answers_and_stacks(self) -> list[tuple[Any, Any]]:
        """Every conversation's answers and stack (the files drafts still refer to)."""
        return [(r[0], r[1]) for r in self.conn.execute(sa.select(_conv.c.answers,
                                                                  _conv.c.stack))]
