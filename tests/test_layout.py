"""The code's homes stay as the README's layout table says: no module imports another that imports it back
(function-level imports included), no two packages of `service/` import each other, and no domain area
imports an edge."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVICE = ROOT / "service"
# The edges: they parse, call the domain's plain functions and answer. Nothing below them imports them.
EDGES = ("service.ussd", "service.console", "service.api")
DOMAIN = ("service.referrals", "service.care", "service.outbox", "service.inbox", "service.sms")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Each module of `service/` (migrations aside) -> the modules of `service/` it imports, anywhere."""
    modules = {_module_name(path): path for path in SERVICE.rglob("*.py") if "migrations" not in path.parts}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module is not None:
                base = node.module
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + [base])
                for alias in node.names:
                    target = f"{base}.{alias.name}"
                    found.add(target if target in modules else base)
            elif isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
        graph[name] = {target for target in found if target in modules and target != name}
    return graph


def _area(module: str) -> str:
    return ".".join(module.split(".")[:2])


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    found = import_graph()
    assert len(found) > 100 and "service.gateways.orange" in found
    return found


def test_no_module_imports_one_that_imports_it_back(graph):
    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            current = todo.pop()
            if current == goal:
                return True
            if current not in seen:
                seen.add(current)
                todo.extend(graph[current])
        return False

    cycles = sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        for target in targets
        if reaches(target, module)
    )
    assert cycles == []


def test_no_two_areas_import_each_other(graph):
    edges = {(_area(module), _area(target)) for module, targets in graph.items() for target in targets}
    mutual = sorted({tuple(sorted(edge)) for edge in edges if edge[0] != edge[1] and edge[::-1] in edges})
    assert mutual == []


def test_no_domain_area_imports_an_edge(graph):
    wrong = sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        if module.startswith(DOMAIN)
        for target in targets
        if target.startswith(EDGES)
    )
    assert wrong == []
