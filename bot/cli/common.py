"""What every `casebot` sub-command shares: its two consoles, the error exit, JSON output.

Everything printed goes through `flows.clean.for_terminal`, so text from a customer can't drive
the operator's terminal.
"""

from __future__ import annotations

import getpass
import io
import json
import os
import sys
from typing import Any, NoReturn, TextIO, cast

import typer
from rich.console import Console

from flows.clean import for_terminal


class _Out(io.TextIOBase):
    """stdout or stderr as they are now (CliRunner swaps them), showing terminal-driving
    characters as escapes (flows/clean.py)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def _stream(self) -> TextIO:
        stream: TextIO = getattr(sys, self.name)
        return stream

    def write(self, text: str) -> int:
        return self._stream().write(for_terminal(text))

    def flush(self) -> None:
        self._stream().flush()

    def isatty(self) -> bool:
        return self._stream().isatty()

    def fileno(self) -> int:
        return self._stream().fileno()


# no colours: every byte printed goes through for_terminal, so no escape sequence is ours
out = Console(file=cast(TextIO, _Out("stdout")), highlight=False, markup=False, emoji=False,
              color_system=None)
err = Console(file=cast(TextIO, _Out("stderr")), stderr=True, highlight=False, markup=False,
              emoji=False, color_system=None)


def fail(message: str, code: int = 2) -> NoReturn:
    """The message on stderr, then exit `code` (2: bad usage or bad input, 1: a failure)."""
    err.print(message)
    raise typer.Exit(code)


def cli_actor() -> str:
    """Who runs this command, as the audit trail names them: `cli:` and the OS user (the
    console names its signed-in operator, `web:EMAIL`)."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name in the environment nor the password database
        user = f"uid {os.getuid()}"
    return f"cli:{user}"


def print_json(data: Any) -> None:
    """`--json` output: indented, non-ASCII kept, terminal-driving characters escaped."""
    sys.stdout.write(for_terminal(json.dumps(data, indent=2, ensure_ascii=False)) + "\n")

