"""`casebot profiles`: a contact's product profiles."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from bot.app import build_engine
from bot.cli.common import fail, out, print_json
from bot.settings import Settings
from store.tables import saved_id
from store.uow import unit_of_work

app = typer.Typer(help="Contacts' product profiles.", no_args_is_help=True)


@app.command("list")
def profiles_list(as_: Annotated[str, typer.Option("--as", metavar="EMAIL",
                                                   help="the contact's email")],
                  as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """A contact's product profiles (activation codes masked)."""
    from dataclasses import asdict

    engine = build_engine(Settings())
    with unit_of_work(engine, read_only=True) as s:
        contact = s.contacts.by_email(as_)
        if contact is None:
            fail(f"No contact with the email {as_}.")
        views = s.profiles.views(saved_id(contact))
    if as_json:
        print_json([asdict(v) for v in views])
        return
    table = Table("name", "product", "version", "systems", "language", "activation code")
    for v in views:
        table.add_row(v.name, v.product, v.version, ", ".join(v.operating_systems), v.language,
                      v.activation_code_masked or "")
    out.print(table if views else "No profiles.")
