"""The packages depend one way: ``flows → search → ingest``, and modules import each other without
cycles. Any import, at module level or inside a function, that points up the stack or closes a cycle
fails here with what does it."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

LAYER = {"ingest": 0, "search": 1, "flows": 2}
#: Cycles tolerated: none (the last, a lazy re-export between search.embedding and its Haystack
#: components, went with the one-Haystack-surface step of issue 17).
KNOWN_CYCLES: list[set[str]] = []
#: The development tooling (a local Elasticsearch from Maven, ``newsdesk up``): only the CLI and
#: the tooling itself may import it, so a deployment with its own services never loads it.
DEV_TOOLING = "flows.local_stack"
MAY_IMPORT_DEV_TOOLING = {"flows.cli"}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def upward_imports() -> list[str]:
    bad = []
    for package, level in LAYER.items():
        for path in sorted((REPO / package).rglob("*.py")):
            for line, module in _imports(path):
                top = module.split(".")[0]
                if top in LAYER and LAYER[top] > level:
                    bad.append(f"{path.relative_to(REPO)}:{line} imports {module}")
    return bad


def test_no_package_imports_a_package_above_it():
    assert upward_imports() == []


def test_the_check_sees_function_level_imports(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from flows.jobs import JobQueue\n    import search.api\n")
    assert _imports(probe) == [(2, "flows.jobs"), (3, "search.api")]


def import_graph() -> dict[str, set[str]]:
    """Module → the project modules it imports (``from a import b`` counts ``a.b`` when a module)."""
    modules = {}
    for package in LAYER:
        for path in (REPO / package).rglob("*.py"):
            name = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
            modules[name] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        targets: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(group)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle():
    assert [c for c in cycles(import_graph()) if c not in KNOWN_CYCLES] == []


def test_only_the_cli_imports_the_development_tooling():
    importers = {
        module
        for module, targets in import_graph().items()
        if any(t == DEV_TOOLING or t.startswith(DEV_TOOLING + ".") for t in targets)
        and not module.startswith(DEV_TOOLING)
    }
    assert importers == MAY_IMPORT_DEV_TOOLING


def test_the_cycle_check_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
