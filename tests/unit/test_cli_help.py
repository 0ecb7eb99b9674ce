"""`casebot --help` names an option's value and shows a flag bare (bot/cli/help_labels.py).

typer labels values by Python type (`<str>`, `<bool>`); help_labels replaces that label in one
place. This fails if a typer release stops calling it, and then the patch can go.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bot.cli.main import app

WIDE = {"COLUMNS": "120", "TERM": "dumb"}


def help_of(*command: str) -> str:
    result = CliRunner().invoke(app, [*command, "--help"], env=WIDE)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("command", [("chat",), ("cases", "list"), ("cases", "update"),
                                     ("accounts", "add"), ("urls", "import"), ("web",)])
def test_help_shows_no_python_types(command: tuple[str, ...]) -> None:
    text = help_of(*command)
    for python_type in ("<str>", "<bool>", "<int>", "<float>", "<path>"):
        assert python_type not in text


def test_an_option_shows_its_value_by_name_and_a_flag_shows_none() -> None:
    lines = help_of("cases", "list").splitlines()
    as_line = next(line for line in lines if "--as" in line)
    json_line = next(line for line in lines if "--json" in line)
    assert "EMAIL" in as_line
    assert json_line.split("--json")[1].strip(" \u2502") == ""  # no label (and no help) on its row


def test_options_without_a_metavar_show_their_name_in_capitals() -> None:
    text = help_of("cases", "update")
    assert any("--status" in line and "STATUS" in line for line in text.splitlines())


def test_every_command_is_reachable() -> None:
    text = help_of()
    for name in ("chat", "web", "slack", "telegram", "cases", "profiles", "mail", "contacts",
                 "db", "urls", "accounts", "audit", "operators"):
        assert f" {name} " in text
