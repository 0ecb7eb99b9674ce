"""The audit trail: who saw or changed something, kept in `audit_events`.

Every operator action in the console and the CLI is one row, written with
`uow.audit.record(actor, action, subject, detail)` in the same unit of work as the change.
Actors are `web:EMAIL` (a signed-in operator), `cli:USER` (the OS user running `casebot`),
`web:?` (a refused sign-in: nobody), or a contact's email (a code reveal). Rows carry ids and
addresses, never a secret (a reveal names the code's id, not the code; a sign-in never the
password) nor the words of a reply. `casebot audit list` and the console's /audit show them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from store.tables import AuditEvent, iso
from store.uow import UnitOfWork

# every action written, for the console's filter (grep `audit.record` to check)
ACTIONS = ("sign-in", "sign-in refused", "sign-out", "case_update", "case_reply", "case_note",
           "case_assign", "canned_add", "canned_edit", "canned_delete", "link", "unlink",
           "account_add", "account_plan", "operator_add", "operator_password",
           "operator_remove", "urls_import", "db_prune", "files_migrate",
           "reveal_activation_code", "job_retry", "contact_language", "account_language")
PAGE = 50


@dataclass(frozen=True)
class AuditFilter:
    """Exact matches; a bare case number as the subject means `case:NUMBER`."""

    actor: str = ""
    action: str = ""
    subject: str = ""

    @staticmethod
    def of(actor: str = "", action: str = "", subject: str = "") -> AuditFilter:
        subject = subject.strip()[:200]
        if subject.isascii() and subject.isdigit():
            subject = f"case:{subject}"
        return AuditFilter(actor.strip()[:320], action.strip()[:40], subject)


def row_json(r: AuditEvent) -> dict[str, Any]:
    return {"at": iso(r.at), "actor": r.actor, "action": r.action, "subject": r.subject,
            "detail": r.detail}


def recent(uow: UnitOfWork, limit: int = 200, f: AuditFilter | None = None
           ) -> list[dict[str, Any]]:
    """Newest first, filtered (`casebot audit list`)."""
    f = f or AuditFilter()
    return [row_json(r) for r in uow.audit.recent(limit, actor=f.actor, action=f.action,
                                                   subject=f.subject)]


def page(uow: UnitOfWork, f: AuditFilter, before: int | None = None,
         size: int = PAGE) -> tuple[list[AuditEvent], int | None]:
    """One page, newest first, and the id to ask for the next (older) page, if any: keyset
    pages, as fast on the millionth row as on the first."""
    rows = uow.audit.recent(size + 1, actor=f.actor, action=f.action, subject=f.subject,
                            before=before)
    more = len(rows) > size
    rows = rows[:size]
    return rows, (rows[-1].id if more and rows else None)
