"""The packages depend one way: ``flows → search → ingest``. Any import, at module level or inside a
function, that points up the stack fails here with the file and line that does it."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

LAYER = {"ingest": 0, "search": 1, "flows": 2}


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
