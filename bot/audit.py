"""The audit trail: who saw or changed something sensitive, kept in `audit_events`.

Rows carry ids and addresses, never the secret itself (a reveal names the code's id, not the
code). `casebot audit list` shows them.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from store import repo
from store.tables import AuditEvent


def record(s: Session, actor: str, action: str, subject: str, detail: str = "") -> None:
    """Add one row in the caller's unit of work (it commits with what it records)."""
    s.add(AuditEvent(actor=actor[:320], action=action[:40], subject=subject[:200],
                     detail=detail))
    s.flush()


def recent(s: Session, limit: int = 200) -> list[dict[str, Any]]:
    rows = s.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(limit))
    return [{"at": repo.iso(r.at), "actor": r.actor, "action": r.action, "subject": r.subject,
             "detail": r.detail} for r in rows]
