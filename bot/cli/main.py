"""The `casebot` command: the sub-apps put together, and the one place that turns a failure
into an exit code (interfaces.md: 0 ok, 1 runtime failure, 2 bad usage or bad input)."""

from __future__ import annotations

import sys

import sqlalchemy as sa
import typer

from bot.cli import (
    accounts,
    audit,
    cases,
    contacts,
    db,
    files,
    help_labels,
    mail,
    operators,
    profiles,
    urls,
)
from bot.cli.chat import chat
from bot.cli.servers import slack, telegram, web
from flows.errors import Invalid
from store.db import NotUpgraded

help_labels.install()

app = typer.Typer(help="casebot: open support cases from chat.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)
for command in (chat, web, slack, telegram):  # the order `casebot --help` lists them in
    app.command()(command)
app.add_typer(cases.app, name="cases")
app.add_typer(profiles.app, name="profiles")
app.add_typer(mail.app, name="mail")
app.add_typer(contacts.app, name="contacts")
app.add_typer(db.app, name="db")
app.add_typer(files.app, name="files")
app.add_typer(urls.app, name="urls")
app.add_typer(accounts.app, name="accounts")
app.add_typer(audit.app, name="audit")
app.add_typer(operators.app, name="operators")


STORE_DOWN = ("casebot can't reach its database: check CASEBOT_DATABASE_URL and that the "
              "database server is running, then try again.")


def _line(message: str) -> None:
    """One line on stderr, never wrapped (operators grep and scripts read it)."""
    print(" ".join(message.split()), file=sys.stderr)


def main() -> None:
    """Every command: bad input exits 2, a store that is down or not upgraded exits 1, each
    with one line on stderr and no traceback."""
    try:
        app()
    except Invalid as exc:
        _line(str(exc))
        sys.exit(2)
    except NotUpgraded as exc:
        _line(str(exc))
        sys.exit(1)
    except sa.exc.ProgrammingError as exc:  # a table or column this casebot expects is missing
        _line("The database schema does not match this casebot: run `casebot db upgrade`. "
                  f"({type(exc.orig).__name__})")
        sys.exit(1)
    except (sa.exc.OperationalError, sa.exc.InterfaceError):
        _line(STORE_DOWN)
        sys.exit(1)
