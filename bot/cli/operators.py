"""`casebot operators`: support staff who sign in to the web console."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer
from rich.table import Table

from bot.app import build_engine
from bot.cli.common import cli_actor, fail, out, print_json
from bot.settings import Settings
from flows.errors import Invalid
from store.uow import unit_of_work

app = typer.Typer(help="Support staff who sign in to the web console.", no_args_is_help=True)


def read_password() -> str:
    """Twice at a terminal (no echo); otherwise the first line of stdin."""
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != first:
            fail("The two passwords differ. Nothing was changed.")
        return first
    return sys.stdin.readline().rstrip("\r\n")


@app.command("add")
def operators_add(email: Annotated[str, typer.Argument(help="the operator's email")]) -> None:
    """Add an operator (or set a new password); the password is asked at the terminal or read
    from stdin. Audited."""
    from bot.operators import add_operator

    password = read_password()
    with unit_of_work(build_engine(Settings())) as s:
        try:
            op, what = add_operator(s, email, password, actor=cli_actor())
        except Invalid as exc:
            fail(str(exc))
            raise
        out.print(f"Operator {op.email} {what}.")


@app.command("remove")
def operators_remove(email: Annotated[str, typer.Argument(help="the operator's email")]) -> None:
    """Remove an operator: they can no longer sign in, and their open sessions end. Audited."""
    from bot.operators import remove_operator

    with unit_of_work(build_engine(Settings())) as s:
        if not remove_operator(s, email, actor=cli_actor()):
            fail(f"No operator {email.strip()}. `casebot operators list` shows them.")
    out.print(f"Operator {email.strip()} removed; their sessions have ended.")


@app.command("list")
def operators_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Operators with their last sign-in."""
    from bot.operators import list_operators

    with unit_of_work(build_engine(Settings()), read_only=True) as s:
        rows = list_operators(s)
    if as_json:
        print_json(rows)
        return
    table = Table("email", "created", "last sign-in")
    for r in rows:
        table.add_row(r["email"], r["created_at"], r["last_sign_in_at"] or "never")
    out.print(table if rows else "No operators yet. Add one with `casebot operators add EMAIL`.")
