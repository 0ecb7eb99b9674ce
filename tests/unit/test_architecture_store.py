"""SQL lives in store/, and store/ stays on SQLAlchemy's public API (issue 21).

- No module outside store/ builds or runs SQL: no `select(`/`insert(`/`update(`/`delete(`/
  `text(` from SQLAlchemy or SQLModel, no `.execute(`/`.exec(` call, no SQL in a string.
  bot/ and web/ call repositories (store/repositories/) through the unit of work.
- No module (store/ included) imports SQLAlchemy's private names (a module path segment or
  a name starting with `_`, or `sqlalchemy.sql.compiler`) or reaches for the compiler's or
  the driver's internals (`bind_names`, `positiontup`, `effective_value`, the raw DB-API
  connection): a private execution layer hides the statements from engine events, echo and
  tracing, and breaks on SQLAlchemy's next release (architecture.md, anti-pattern 6).

Every module is parsed with `ast`, so a use inside a function body is caught too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STORE = ROOT / "store"
# The packages that ship, apart from store/ (tests and bench scripts may query directly).
OUTSIDE = ("adapters", "bot", "flows", "web")
SQL_LIBRARIES = ("sqlalchemy", "sqlmodel")
SQL_BUILDERS = frozenset({"select", "insert", "update", "delete", "text", "Select"})
SQL_RUNNERS = frozenset({"execute", "exec", "exec_driver_sql", "executemany", "executescript"})
RAW_SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|DELETE\s+FROM|UPDATE\s+\w+\s+SET)\b",
                     re.DOTALL)
PRIVATE_LIBRARIES = ("sqlalchemy", "sqlmodel", "alembic")
INTERNALS = frozenset({"bind_names", "positiontup", "effective_value", "dbapi_connection",
                       "raw_connection", "driver_connection"})


def _sql_aliases(tree: ast.AST) -> set[str]:
    """Local names bound to SQLAlchemy/SQLModel modules (`import sqlalchemy as sa`)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in SQL_LIBRARIES:
                    names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in (
                SQL_LIBRARIES):
            names.update(a.asname or a.name for a in node.names
                         if a.name not in SQL_BUILDERS and a.name[:1].islower())
    return names


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def sql_violations(source: str, filename: str = "<module>") -> list[str]:
    """SQL built or run in a module that should call a repository instead."""
    tree = ast.parse(source, filename=filename)
    aliases = _sql_aliases(tree)
    found = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in (
                SQL_LIBRARIES):
            found += [f"{line}: imports {a.name} from {node.module}" for a in node.names
                      if a.name in SQL_BUILDERS]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            attr = node.func.attr
            if attr in SQL_BUILDERS and _root_name(node.func) in aliases:
                found.append(f"{line}: calls {ast.unparse(node.func)}(")
            elif attr in SQL_RUNNERS:
                found.append(f"{line}: runs SQL with .{attr}(")
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and RAW_SQL.search(node.value)):
            found.append(f"{line}: SQL in a string")
    return found


def private_violations(source: str, filename: str = "<module>") -> list[str]:
    """SQLAlchemy's private modules and names, and the compiler's or driver's internals."""
    tree = ast.parse(source, filename=filename)
    found = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        modules: list[str] = []
        names: list[str] = []
        if isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
            names = [a.name for a in node.names]
        for module in modules:
            parts = module.split(".")
            if parts[0] not in PRIVATE_LIBRARIES:
                continue
            if any(p.startswith("_") for p in parts) or module.startswith(
                    "sqlalchemy.sql.compiler"):
                found.append(f"{line}: imports {module}")
            found += [f"{line}: imports {n} from {module}" for n in names if n.startswith("_")]
        if isinstance(node, ast.Attribute) and node.attr in INTERNALS:
            found.append(f"{line}: reaches .{node.attr}")
    return found


def _modules(*roots: Path) -> list[Path]:
    return sorted(p for root in roots for p in root.glob("**/*.py"))


OUTSIDE_MODULES = _modules(*(ROOT / name for name in OUTSIDE))
STORE_MODULES = _modules(STORE)


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_there_are_modules_to_check() -> None:
    assert len(OUTSIDE_MODULES) > 40
    assert len(STORE_MODULES) > 10
    assert STORE / "repositories" / "cases.py" in STORE_MODULES


@pytest.mark.parametrize("path", OUTSIDE_MODULES, ids=_id)
def test_no_sql_outside_store(path: Path) -> None:
    assert sql_violations(path.read_text(encoding="utf-8"), str(path)) == []


# The one hand-over of the driver's connection, and why: procrastinate's public
# `configure(connection=...)` takes a psycopg connection, and handing it the unit's own is the
# only way (through the library's public API) to defer a job in the transaction that writes its
# row (docs/decisions.md, issue 26). The library runs its own INSERT there; casebot runs none.
DRIVER_HANDOVER = {"bot/jobs.py": ["reaches .driver_connection"]}


@pytest.mark.parametrize("path", STORE_MODULES + OUTSIDE_MODULES, ids=_id)
def test_no_sqlalchemy_private_names(path: Path) -> None:
    found = [v.split(": ", 1)[1] for v in
             private_violations(path.read_text(encoding="utf-8"), str(path))]
    assert found == DRIVER_HANDOVER.get(_id(path), [])


def test_store_fast_is_gone() -> None:
    assert not (STORE / "fast.py").exists()
    assert not (STORE / "repo.py").exists()


def test_the_sql_checker_catches_a_sample() -> None:
    sample = (
        "import sqlalchemy as sa\n"
        "from sqlmodel import select, col\n"
        "def f(s, conn):\n"
        "    s.exec(select(X))\n"
        "    conn.execute(sa.update(T).values(a=1))\n"
        "    q = sa.text('x')\n"
        "    cur.executemany('INSERT INTO t VALUES (?)', rows)\n"
        "    return col(X.a)\n")
    found = sql_violations(sample)
    assert "2: imports select from sqlmodel" in found
    assert "4: runs SQL with .exec(" in found
    assert "5: runs SQL with .execute(" in found
    assert "5: calls sa.update(" in found
    assert "6: calls sa.text(" in found
    assert "7: runs SQL with .executemany(" in found
    assert "7: SQL in a string" in found
    assert len(found) == 7


def test_the_sql_checker_leaves_lookalikes_alone() -> None:
    """The stdlib's `select.select`, a method called update, a sentence with "select"."""
    sample = (
        "import select\n"
        "def f(fd, d, prompt):\n"
        "    ready, _, _ = select.select([fd], [], [])\n"
        "    d.update(a=1)\n"
        "    return prompt.text('Select a product from the list')\n")
    assert sql_violations(sample) == []


def test_the_private_checker_catches_a_sample() -> None:
    sample = (
        "from sqlalchemy.sql.compiler import SQLCompiler\n"
        "from sqlalchemy.engine import _row\n"
        "import sqlalchemy._internal\n"
        "from sqlalchemy.sql import _typing\n"
        "from alembic import command\n"
        "def f(compiled, bind, conn):\n"
        "    return (compiled.bind_names, compiled.positiontup, bind.effective_value,\n"
        "            conn.connection.dbapi_connection)\n")
    assert sorted(private_violations(sample)) == sorted([
        "1: imports sqlalchemy.sql.compiler",
        "2: imports _row from sqlalchemy.engine",
        "3: imports sqlalchemy._internal",
        "4: imports _typing from sqlalchemy.sql",
        "7: reaches .bind_names", "7: reaches .positiontup", "7: reaches .effective_value",
        "8: reaches .dbapi_connection"])
