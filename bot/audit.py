"""The audit trail: who saw or changed something sensitive, kept in `audit_events`.

Rows carry ids and addresses, never the secret itself (a reveal names the code's id, not the
code). `casebot audit list` shows them; rows are written with `uow.audit.record`.
"""

from __future__ import annotations

from typing import Any

from store.tables import iso
from store.uow import UnitOfWork


def recent(uow: UnitOfWork, limit: int = 200) -> list[dict[str, Any]]:
    return [{"at": iso(r.at), "actor": r.actor, "action": r.action, "subject": r.subject,
             "detail": r.detail} for r in uow.audit.recent(limit)]
