"""`casebot chat`: the conversation in a terminal, run by the composition root."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import fail
from bot.processes import run_console_chat
from bot.protocol import Who
from bot.settings import Settings
from flows.errors import Invalid


def console_email(settings: Settings, given: str | None) -> str:
    from flows.validators import email

    raw = given or settings.console_email or f"{getpass.getuser()}@example.com"
    try:
        return email(raw)
    except Invalid as exc:
        fail(f"--as: {exc}")
        raise


def chat(as_: Annotated[str | None, typer.Option("--as", metavar="EMAIL",
                                                 help="your email")] = None,
         name: Annotated[str, typer.Option(help="your name")] = "",
         describe: Annotated[Path | None, typer.Option(
             "--describe", metavar="FILE",
             help="start a request described by this file's text (a saved message)")] = None,
         ) -> None:
    """Open a case in the terminal (TTY or piped stdin, one answer per line)."""
    text = None
    if describe is not None:
        try:
            text = describe.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            fail(f"Can't read {describe}: {exc.strerror or exc}.", code=2)
    settings = Settings()
    address = console_email(settings, as_)
    code = run_console_chat(settings, Who("console", address, email=address, name=name), text)
    raise typer.Exit(code)

