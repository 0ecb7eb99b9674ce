"""`casebot audit`: the audit trail."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from bot.app import build_engine
from bot.cli.common import out, print_json
from bot.settings import Settings
from store.uow import unit_of_work

app = typer.Typer(help="The audit trail (full activation code reveals, operator actions).",
                  no_args_is_help=True)


@app.command("list")
def audit_list(as_json: Annotated[bool, typer.Option("--json")] = False,
               limit: Annotated[int, typer.Option(help="newest this many")] = 200) -> None:
    """Sensitive reads and changes, newest first: full activation code reveals, and every
    operator action (links and unlinks, operators, accounts, case updates, sign-ins)."""
    from bot.audit import recent

    with unit_of_work(build_engine(Settings()), read_only=True) as s:
        rows = recent(s, limit)
    if as_json:
        print_json(rows)
        return
    table = Table("at", "actor", "action", "subject", "detail")
    for r in rows:
        table.add_row(r["at"], r["actor"], r["action"], r["subject"], r["detail"])
    out.print(table if rows else "Nothing audited yet.")
