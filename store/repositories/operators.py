"""Operators (web console staff) and the refused sign-ins counted against them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, select

from store.db import table_of
from store.repositories.base import Repository
from store.tables import Operator, SignInFailure, saved_id

_operators = table_of(Operator)
_failures = table_of(SignInFailure)


class Operators(Repository):
    def get(self, operator_id: int) -> Operator | None:
        return self.s.get(Operator, operator_id)

    def by_email(self, email: str) -> Operator | None:
        return self.s.exec(select(Operator).where(
            sa.func.lower(Operator.email) == email.strip().lower())).first()

    def all(self) -> list[Operator]:
        return list(self.s.exec(select(Operator).order_by(col(Operator.email))))

    def save(self, op: Operator) -> None:
        self.s.add(op)
        self.s.flush()

    def delete(self, op: Operator) -> None:
        self.s.delete(op)
        self.s.flush()

    def bump_epoch(self, operator_id: int) -> None:
        """End every session of the operator: cookies carry the epoch they signed in at."""
        self.conn.execute(sa.update(_operators).where(_operators.c.id == operator_id)
                          .values(session_epoch=_operators.c.session_epoch + 1))

    def failures_since(self, key: str, since: datetime) -> int:
        return self.s.exec(select(sa.func.count()).select_from(SignInFailure).where(
            SignInFailure.key == key, col(SignInFailure.at) >= since)).one()

    def add_failure(self, key: str) -> int:
        """Count a refused sign-in for `key`; returns its id (a right password drops it)."""
        row = SignInFailure(key=key)
        self.s.add(row)
        self.s.flush()
        return saved_id(row)

    def drop_failures(self, ids: list[int]) -> None:
        self.conn.execute(sa.delete(_failures).where(_failures.c.id.in_(ids)))

    def forget_failures(self, before: datetime) -> int:
        result = self.conn.execute(sa.delete(_failures).where(_failures.c.at < before))
        return result.rowcount or 0
