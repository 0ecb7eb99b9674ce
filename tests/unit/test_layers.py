"""Dependencies point down: each layer imports only the layers below it (architecture.md).

    bot/cli ─▶ bot/processes (composition root) ─▶ adapters/, web/ ─▶ bot/ ─▶ store/ ─▶ flows/

flows/ importing bot/, store/ or adapters/ is checked in test_architecture.py, whose
`imported_modules` (every import, also in a function body) is used here too. A module's imports
are read with `ast`; nothing is imported to check them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.unit.test_architecture import imported_modules

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "flows", "store", "web", "adapters")
# The only module of bot/ that may start a chat adapter or the web console.
COMPOSITION_ROOT = ROOT / "bot" / "processes.py"

# layer -> top-level packages its modules may not import
RULES = {
    "flows": ("web",),  # and bot, store, adapters: test_architecture.py
    "store": ("bot", "adapters", "web"),
    "bot": ("adapters", "web"),
    "web": ("adapters",),
}
EXEMPT = {COMPOSITION_ROOT}


def modules_of(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).glob("**/*.py") if "migrations" not in p.parts)


def violations(path: Path, forbidden: tuple[str, ...]) -> list[str]:
    return [f"{path.relative_to(ROOT)}:{line} imports {name}"
            for line, name in imported_modules(path) if name.split(".")[0] in forbidden]


CASES = [(path, forbidden) for layer, forbidden in RULES.items() for path in modules_of(layer)
         if path not in EXEMPT]


@pytest.mark.parametrize(("path", "forbidden"), CASES,
                         ids=[str(p.relative_to(ROOT)) for p, _ in CASES])
def test_no_module_imports_a_layer_above_it(path: Path, forbidden: tuple[str, ...]) -> None:
    assert violations(path, forbidden) == []


def test_the_composition_root_is_where_adapters_and_web_come_in() -> None:
    reached = {name.split(".")[0] for _, name in imported_modules(COMPOSITION_ROOT)}
    assert {"adapters", "web"} <= reached


def test_only_the_cli_reaches_the_composition_root() -> None:
    """The CLI and bot/processes.py sit on top: no other module imports them."""
    graph = import_graph([p for package in PACKAGES for p in modules_of(package)])
    top = ("bot.processes", "bot.cli")
    bad = sorted(f"{name} imports {imported}" for name, edges in graph.items()
                 if not name.startswith(top) for imported in edges if imported.startswith(top))
    assert bad == []


def test_the_layer_check_catches_an_import_in_a_function_body(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from bot.app import build_service\n"
                      "def run():\n    from adapters.slack.main import run\n"
                      "    import web.app\n")
    found = [name for _, name in imported_modules(sample) if name.split(".")[0] in RULES["bot"]]
    assert found == ["adapters.slack.main", "web.app"]


# -- no import cycles ---------------------------------------------------------------------

def import_graph(paths: list[Path], root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the modules of ours it imports, anywhere in it. `from a import b` imports `a`
    and, when it is a module, `a.b`."""
    names = {".".join(p.relative_to(root).with_suffix("").parts).removesuffix(".__init__"): p
             for p in paths}
    graph: dict[str, set[str]] = {}
    for name, path in names.items():
        edges = {imported for _, imported in imported_modules(path)}
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        edges |= {f"{node.module}.{alias.name}" for node in ast.walk(tree)
                  if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                  for alias in node.names}
        graph[name] = {e for e in edges if e in names and e != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
            if nxt in stack:
                low[node] = min(low[node], low[nxt])
        if low[node] == index[node]:
            component = stack[stack.index(node):]
            del stack[stack.index(node):]
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_no_import_cycles() -> None:
    graph = import_graph([p for package in PACKAGES for p in modules_of(package)])
    assert "adapters.slack.app" in graph
    assert "bot.chat" in graph
    assert cycles(graph) == []


def test_the_cycle_check_finds_a_cycle_through_a_function_body(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg import b\n")
    (package / "b.py").write_text("def f():\n    from pkg.c import x\n")
    (package / "c.py").write_text("import pkg.a\nx = 1\n")
    (package / "d.py").write_text("from pkg import a\n")
    graph = import_graph(sorted(package.glob("*.py")), root=tmp_path)
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.c"]]
