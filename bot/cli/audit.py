"""`casebot audit`: the audit trail."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from bot.app import build_engine
from bot.cli.common import fail, out, print_json
from bot.settings import Settings
from store.uow import unit_of_work

app = typer.Typer(help="The audit trail (operator actions, full activation code reveals).",
                  no_args_is_help=True)


@app.command("list")
def audit_list(as_json: Annotated[bool, typer.Option("--json")] = False,
               limit: Annotated[int, typer.Option(help="newest this many")] = 200,
               actor: Annotated[str, typer.Option(
                   help="only this actor: web:EMAIL, cli:USER")] = "",
               action: Annotated[str, typer.Option(help="only this action, e.g. case_reply")
                                 ] = "",
               subject: Annotated[str, typer.Option(
                   help="only this subject, e.g. case:10000001 (or just the number)")] = "",
               ) -> None:
    """Every operator action, newest first: sign-ins (also refused ones) and sign-outs, case
    changes and assignments, links and unlinks, accounts, operators, feed imports, and full
    activation code reveals."""
    from bot.audit import AuditFilter, recent

    if limit < 1:
        fail("--limit must be 1 or more.")
    with unit_of_work(build_engine(Settings()), read_only=True) as s:
        rows = recent(s, limit, AuditFilter.of(actor, action, subject))
    if as_json:
        print_json(rows)
        return
    table = Table("at", "actor", "action", "subject", "detail")
    for r in rows:
        table.add_row(r["at"], r["actor"], r["action"], r["subject"], r["detail"])
    out.print(table if rows else "Nothing audited yet." if not (actor or action or subject)
              else "No audit rows match.")
