"""Issue 10, item 8: with the store down, or on a PostgreSQL database that was not upgraded,
every command says what to do in one line on stderr and exits 1 (no traceback).

The real `casebot` executable runs, as operators run it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

CASEBOT = shutil.which("casebot") or str(Path(sys.executable).with_name("casebot"))
# Every command that touches the database, with arguments that would otherwise be fine.
COMMANDS = [
    ["chat", "--as", "ann@acme.example"],
    ["cases", "list"],
    ["cases", "show", "10000001"],
    ["cases", "update", "10000001", "--status", "closed"],
    ["profiles", "list", "--as", "ann@acme.example"],
    ["mail", "list"],
    ["accounts", "list"],
    ["accounts", "add", "Acme", "--domain", "acme.example"],
    ["contacts", "link", "--email", "ann@acme.example", "--telegram", "42"],
    ["db", "prune"],
    ["files", "migrate", "--dry-run"],
    ["urls", "check", "example.com"],
]


def run(url: str, args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CASEBOT_DATABASE_URL": url, "CASEBOT_HOME": str(home)}
    return subprocess.run([CASEBOT, *args], input="", capture_output=True, text=True,
                          env=env, timeout=60)


def one_line_exit_1(result: subprocess.CompletedProcess[str], words: str) -> None:
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr[-2000:]
    assert words in lines[0], result.stderr[-2000:]


def test_store_down_every_command_one_line(tmp_path: Path) -> None:
    down = "postgresql+psycopg://casebot@127.0.0.1:9/casebot?connect_timeout=2"
    for args in [*COMMANDS, ["db", "upgrade"]]:
        one_line_exit_1(run(down, args, tmp_path / "home"), "can't reach its database")


def test_postgres_not_upgraded_every_command_one_line(pg_url: str, tmp_path: Path) -> None:
    engine = sa.create_engine(pg_url)
    engine.dispose()  # a database that exists, with no casebot schema at all
    for args in COMMANDS:
        one_line_exit_1(run(pg_url, args, tmp_path / "home"), "casebot db upgrade")
    upgraded = run(pg_url, ["db", "upgrade"], tmp_path / "home")
    assert upgraded.returncode == 0, upgraded.stderr
    assert run(pg_url, ["cases", "list"], tmp_path / "home").returncode == 0


@pytest.mark.parametrize("args", [["cases", "list"]])
def test_sqlite_is_upgraded_in_place(tmp_path: Path, args: list[str]) -> None:
    url = f"sqlite:///{tmp_path / 'casebot.db'}"
    assert run(url, args, tmp_path / "home").returncode == 0
