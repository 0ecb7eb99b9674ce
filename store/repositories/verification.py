"""Verification codes mailed to link a chat identity, and the counts their limits read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from store.db import table_of
from store.repositories.base import Repository
from store.tables import VerificationCode

_VC = VerificationCode
_codes = table_of(VerificationCode)


def _where(since: datetime, channel: str | None, external_id: str | None, email: str | None,
           domain: str | None) -> list[Any]:
    where: list[Any] = [_VC.created_at > since]
    if channel is not None:
        where += [_VC.channel == channel, _VC.external_id == external_id]
    if email is not None:
        where.append(sa.func.lower(_VC.email) == email.lower())
    if domain is not None:
        where.append(_VC.domain == domain)
    return where


class VerificationCodes(Repository):
    def latest(self, channel: str, external_id: str) -> VerificationCode | None:
        """The identity's newest code not used yet."""
        return self.s.exec(select(_VC)
                           .where(_VC.channel == channel, _VC.external_id == external_id,
                                  col(_VC.consumed_at).is_(None))
                           .order_by(col(_VC.id).desc())).first()

    def count(self, since: datetime, *, channel: str | None = None,
              external_id: str | None = None, email: str | None = None,
              domain: str | None = None) -> int:
        """Codes made since `since` for this identity / address / domain (all if none)."""
        return self.s.exec(select(sa.func.count()).select_from(_VC).where(
            *_where(since, channel, external_id, email, domain))).one()

    def wrong(self, since: datetime, *, channel: str | None = None,
              external_id: str | None = None, email: str | None = None) -> int:
        """Wrong tries on codes made since `since`."""
        return self.s.exec(select(sa.func.coalesce(sa.func.sum(_VC.tries), 0)).where(
            *_where(since, channel, external_id, email, None))).one()

    def last_try(self, since: datetime, channel: str, external_id: str) -> datetime | None:
        return self.s.exec(select(sa.func.max(_VC.last_try_at)).where(
            *_where(since, channel, external_id, None, None))).one()

    def count_wrong(self, code_id: int, at: datetime, most: int) -> int | None:
        """Count one wrong try on the code, unless it already has `most`: the check and the
        count are one UPDATE, so concurrent guesses can't both take the last try. Returns the
        tries now counted, or None when none was left."""
        counted = self.conn.execute(
            sa.update(_codes)
            .where(_codes.c.id == code_id, _codes.c.tries < most)
            .values(tries=_codes.c.tries + 1, last_try_at=at)
            .returning(_codes.c.tries)).scalar_one_or_none()
        return None if counted is None else int(counted)

    def save(self, row: VerificationCode) -> None:
        self.s.add(row)
