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

    def recent(self, limit: int = 200, *, actor: str = "", action: str = "", subject: str = "",
               before: int | None = None) -> list[AuditEvent]:
        """Newest first, each filter an exact match; `before`: rows older than that id (the
        next page). By actor or by subject it is an index range (ix_audit_events_*_id)."""
        q = select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(limit)
        if actor:
            q = q.where(AuditEvent.actor == actor)
        if action:
            q = q.where(AuditEvent.action == action)
        if subject:
            q = q.where(AuditEvent.subject == subject)
        if before is not None:
            q = q.where(col(AuditEvent.id) < before)
        return list(self.s.exec(q))
