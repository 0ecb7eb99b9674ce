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


# -- adapters only translate: parse, call the chat API, render, send (issues 12 and 21) -----

ADAPTERS = Path(__file__).resolve().parents[2] / "adapters"
ADAPTER_MODULES = sorted(ADAPTERS.glob("**/*.py"))
# The store and the ORM are the chat layer's business (bot/chat.py, bot/service.py).
ADAPTER_FORBIDDEN = ("store", "sqlmodel", "sqlalchemy")
# Of the core, an adapter sees the chat API and its protocol module only.
CORE = ("bot", "flows", "store", "web")
ADAPTER_MAY_IMPORT = ("bot.protocol", "bot.chat")
# Attributes that reach through the chat API into what lies behind it.
REACH_THROUGH = ("service", "engine", "files")


def adapter_violations(path: Path) -> list[str]:
    return [f"{path.name}:{line} imports {name}" for line, name in imported_modules(path)
            if name.split(".")[0] in ADAPTER_FORBIDDEN]


def core_imports(path: Path) -> list[str]:
    """Imports of the core other than the chat API and its protocol module."""
    return [f"{path.name}:{line} imports {name}" for line, name in imported_modules(path)
            if name.split(".")[0] in CORE and name not in ADAPTER_MAY_IMPORT]


def reached_through(path: Path) -> list[str]:
    """`x.service`, `x.engine`, `x.files` anywhere in the module (read, called or assigned)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [f"{path.name}:{node.lineno} reaches .{node.attr}" for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr in REACH_THROUGH
            and not _notice_files(node)]


def _notice_files(node: ast.Attribute) -> bool:
    """`notice.files`: a `bot.protocol.Notice`'s attachments, plain values the chat API
    hands over (issue 23), not the file store behind it."""
    return node.attr == "files" and isinstance(node.value, ast.Name) and \
        node.value.id == "notice"


def test_adapters_have_modules() -> None:
    assert {"app.py", "render.py", "inbound.py"} <= {p.name for p in ADAPTER_MODULES}


@pytest.mark.parametrize("path", ADAPTER_MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_adapters_import_no_store_and_no_orm(path: Path) -> None:
    assert adapter_violations(path) == []


@pytest.mark.parametrize("path", ADAPTER_MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_adapters_import_only_the_chat_api_of_the_core(path: Path) -> None:
    assert core_imports(path) == []


@pytest.mark.parametrize("path", ADAPTER_MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_adapters_do_not_reach_through_the_chat_api(path: Path) -> None:
    assert reached_through(path) == []


def test_the_adapter_check_catches_the_store_and_the_orm(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from store import repo\nimport sqlmodel\n"
                      "def f():\n    from sqlalchemy import select\n")
    assert len(adapter_violations(sample)) == 3


def test_the_core_import_check_lets_only_the_chat_api_through(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from bot.chat import Chat\nfrom bot.protocol import Who\n"
                      "from bot.service import Service\nimport flows.steps\n"
                      "def f():\n    from bot.app import build_service\n"
                      "    from web import app\n")
    assert [v.split(" imports ")[1] for v in core_imports(sample)] == [
        "bot.service", "flows.steps", "bot.app", "web"]


def test_the_reach_through_check_catches_attribute_access(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f(bot, chat, notice):\n    bot.service.files.put_bytes(b'', 'x')\n"
                      "    notice.files\n"
                      "    return chat.service.engine\n")
    assert sorted(v.split(" reaches ")[1] for v in reached_through(sample)) == [
        ".engine", ".files", ".service", ".service"]


# -- responsibilities: a translator in, a renderer out, one module that holds the SDK client

# Parsing and rendering are pure: they read and build values, and do no I/O.
PURE = ("inbound.py", "render.py", "home.py", "keyboards.py")
IO_MODULES = ("slack_sdk", "slack_bolt", "telegram.ext", "telegram.request", "httpx",
              "urllib.request", "http", "socket", "threading", "asyncio", "sqlite3",
              "waitress", "bot.chat")
# The SDK's client (and Bolt's or PTB's app around it) is made in app.py, client.py or
# main.py only; every other module is handed one.
MAKES_THE_CLIENT = ("app.py", "client.py", "main.py")
SDK_CONSTRUCTORS = ("WebClient", "App", "Bot", "ApplicationBuilder", "HTTPXRequest",
                    "SocketModeHandler", "make_client", "builder")


def impure_imports(path: Path) -> list[str]:
    return [f"{path.name}:{line} imports {name}" for line, name in imported_modules(path)
            if any(name == m or name.startswith(m + ".") for m in IO_MODULES)
            or (name == "telegram" and _imports_bot(path))]


def _imports_bot(path: Path) -> bool:
    """`from telegram import Bot`: the client itself (telegram's other names are values)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return any(isinstance(node, ast.ImportFrom) and node.module == "telegram"
               and any(alias.name == "Bot" for alias in node.names) for node in ast.walk(tree))


def clients_made(path: Path) -> list[str]:
    """Calls that construct an SDK client or app (`WebClient(...)`, `Application.builder()`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    made = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else (
                func.attr if isinstance(func, ast.Attribute) else "")
            if name in SDK_CONSTRUCTORS:
                made.append(f"{path.name}:{node.lineno} makes {name}")
    return made


@pytest.mark.parametrize("path", [p for p in ADAPTER_MODULES if p.name in PURE],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_parsing_and_rendering_modules_do_no_io(path: Path) -> None:
    assert impure_imports(path) == []


@pytest.mark.parametrize("path", [p for p in ADAPTER_MODULES if p.name not in MAKES_THE_CLIENT],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_only_app_and_client_modules_make_the_sdk_client(path: Path) -> None:
    assert clients_made(path) == []


def test_every_adapter_has_its_pure_parser_and_renderer() -> None:
    for adapter in ("console", "slack", "telegram"):
        assert {"inbound.py", "render.py"} <= {p.name for p in (ADAPTERS / adapter).glob("*.py")}


def test_the_purity_check_catches_io_and_the_client(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from slack_sdk import WebClient\nfrom telegram import Bot, Message\n"
                      "import urllib.request\nfrom bot.chat import Chat\n"
                      "def f():\n    import httpx\n")
    assert [v.split(" imports ")[1] for v in impure_imports(sample)] == [
        "slack_sdk", "telegram", "urllib.request", "bot.chat", "httpx"]
    ok = tmp_path / "ok.py"
    ok.write_text("from telegram import Message, ReplyKeyboardMarkup\n"
                  "from bot.protocol import Prompt\n")
    assert impure_imports(ok) == []


def test_the_client_check_catches_a_client_made_outside_app(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f(token):\n    c = WebClient(token=token)\n"
                      "    return Application.builder().token(token).build(), c\n")
    assert [v.split(" makes ")[1] for v in clients_made(sample)] == ["WebClient", "builder"]
