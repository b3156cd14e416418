"""The billing package has no import cycles, module-level or hidden inside functions."""
import ast
from pathlib import Path

BILLING = Path(__file__).resolve().parents[2] / "app" / "billing"


def _imports(path: Path) -> set[str]:
    """Sibling billing modules ``path`` imports anywhere in its body."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found


def test_no_billing_module_imports_one_that_imports_it_back():
    graph = {p.stem: _imports(p) for p in BILLING.glob("*.py")}
    cycles = []

    def visit(node, path):
        for nxt in sorted(graph.get(node, ())):
            if nxt in path:
                cycles.append(path[path.index(nxt):] + [nxt])
            elif nxt in graph:
                visit(nxt, path + [nxt])

    for start in graph:
        visit(start, [start])
    assert cycles == []
