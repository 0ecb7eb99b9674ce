"""Forgetting rows no limit counts any more (`casebot db prune`, bot/maintenance.py)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from store.db import table_of
from store.repositories.base import Repository
from store.tables import Upload, VerificationCode, utcnow


class Retention(Repository):
    def forget_limits(self, older_than: timedelta) -> int:
        """Verification rows and upload counts older than every limit's window."""
        cutoff = utcnow() - older_than
        count = 0
        for table, column in ((table_of(VerificationCode), "created_at"),
                              (table_of(Upload), "at")):
            count += self.conn.execute(
                sa.delete(table).where(table.c[column] < cutoff)).rowcount or 0
        return count
