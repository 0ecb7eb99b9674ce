"""The audit trail (`audit_events`): who saw or changed something sensitive."""

from __future__ import annotations

from sqlmodel import col, select

from store.repositories.base import Repository
from store.tables import AuditEvent


class AuditTrail(Repository):
    def record(self, actor: str, action: str, subject: str, detail: str = "") -> None:
        """One row, committed with the unit's other work."""
        self.s.add(AuditEvent(actor=actor[:320], action=action[:40], subject=subject[:200],
                              detail=detail))
        self.s.flush()

    def recent(self, limit: int = 200) -> list[AuditEvent]:
        return list(self.s.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc())
                                .limit(limit)))
