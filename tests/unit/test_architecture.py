"""flows/ stays platform-neutral: no chat SDK, no ORM, no HTTP or mail client (architecture.md).

Every module under flows/ is parsed with `ast`, so an import hidden in a function body or an
`if TYPE_CHECKING:` block is caught too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

FLOWS = Path(__file__).resolve().parents[2] / "flows"
FORBIDDEN = ("slack_bolt", "slack_sdk", "telegram", "sqlmodel", "sqlalchemy", "alembic", "httpx",
             "aiosmtplib")
# flows/ may not reach into the layers that do use them either.
FORBIDDEN_LOCAL = ("bot", "store", "adapters")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute)
              and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
                  "import_module", "__import__")
              and node.args and isinstance(node.args[0], ast.Constant)):
            found.append((node.lineno, str(node.args[0].value)))
    return found


MODULES = sorted(FLOWS.glob("**/*.py"))


def test_flows_has_modules() -> None:
    assert {"form.py", "intake.py", "profile.py", "rules.py"} <= {p.name for p in MODULES}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_flows_imports_no_sdk_and_no_orm(path: Path) -> None:
    bad = [f"{path.name}:{line} imports {name}" for line, name in imported_modules(path)
           if name.split(".")[0] in FORBIDDEN + FORBIDDEN_LOCAL]
    assert bad == []


def test_the_checker_sees_every_kind_of_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import sqlalchemy.orm as o\nfrom slack_sdk import WebClient\n"
                      "def f():\n    from telegram import Bot\n"
                      "    importlib.import_module('httpx')\n    __import__('alembic')\n")
    assert [name for _, name in imported_modules(sample)] == [
        "sqlalchemy.orm", "slack_sdk", "telegram", "httpx", "alembic"]


# -- adapters only translate: parse, call the chat API, render, send (issue 12) ------------

ADAPTERS = Path(__file__).resolve().parents[2] / "adapters"
ADAPTER_MODULES = sorted(ADAPTERS.glob("**/*.py"))
# The store and the ORM are the chat layer's business (bot/chat.py, bot/service.py).
ADAPTER_FORBIDDEN = ("store", "sqlmodel", "sqlalchemy")
ADAPTER_MAX_LINES = 300


def adapter_violations(path: Path) -> list[str]:
    return [f"{path.name}:{line} imports {name}" for line, name in imported_modules(path)
            if name.split(".")[0] in ADAPTER_FORBIDDEN]


def test_adapters_have_modules() -> None:
    assert {"app.py", "render.py", "inbound.py"} <= {p.name for p in ADAPTER_MODULES}


@pytest.mark.parametrize("path", ADAPTER_MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_adapters_import_no_store_and_no_orm(path: Path) -> None:
    assert adapter_violations(path) == []


@pytest.mark.parametrize("path", ADAPTER_MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_adapter_module_is_over_300_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= ADAPTER_MAX_LINES, f"{path.name} has {lines} lines"


def test_the_adapter_check_catches_the_store_and_the_orm(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from store import repo\nimport sqlmodel\n"
                      "def f():\n    from sqlalchemy import select\n")
    assert len(adapter_violations(sample)) == 3
