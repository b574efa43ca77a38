"""The house rules of npsdiag's code, checked so that they stay true (docs/ARCHITECTURE.md).

- no import cycle between npsdiag's modules (lazy imports inside functions count);
- no private name (``_x``) imported from another module, ours or a library's;
- no module over 900 lines;
- none of the tricks the project gave up: forking the process, ``prctl``,
  replacing entries of ``sys.modules``, switching matplotlib's backend,
  assigning to another object's private attribute.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "npsdiag"
MAX_LINES = 900


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    """The absolute module an ``ImportFrom`` names (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    base = package.split(".")
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str, path: Path) -> list[tuple[str, list[str], int]]:
    """(imported module, names imported from it, line) for every import of a module, lazy ones included."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            out.append((_resolve(module, path, node), [a.name for a in node.names], node.lineno))
    return out


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module, path in MODULES.items():
        for target, names, _ in _imports(module, path):
            if target == "__future__":
                continue
            for name in names or [""]:
                sub = f"{target}.{name}" if name else target
                if sub in MODULES and sub != module:
                    graph[module].add(sub)  # `from . import decay`: the submodule
                elif target in MODULES and target != module:
                    graph[module].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    assert _cycles(_graph()) == []


def test_the_checker_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def test_no_private_names_imported_across_modules():
    bad = []
    for module, path in MODULES.items():
        for target, names, line in _imports(module, path):
            if target == "__future__":
                continue
            hidden = [n for n in names if _private(n)] + [p for p in target.split(".") if _private(p)]
            if hidden:
                bad.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {target} {hidden}")
    assert bad == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_over_900_lines(module):
    n = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{module}: {n} lines"


def _tricks(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if (node.value.id, node.attr) in {("os", "fork"), ("os", "forkpty"), ("matplotlib", "use")}:
                found.append(f"{node.lineno}: {node.value.id}.{node.attr}")
        if isinstance(node, ast.Name | ast.Attribute) and getattr(node, "id", getattr(node, "attr", "")) == "prctl":
            found.append(f"{node.lineno}: prctl")
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                for el in (t.elts if isinstance(t, ast.Tuple) else [t]):
                    if (isinstance(el, ast.Subscript) and isinstance(el.value, ast.Attribute)
                            and el.value.attr == "modules" and getattr(el.value.value, "id", "") == "sys"):
                        found.append(f"{node.lineno}: sys.modules[...] =")
                    if (isinstance(el, ast.Attribute) and _private(el.attr)
                            and not (isinstance(el.value, ast.Name) and el.value.id in ("self", "cls"))):
                        found.append(f"{node.lineno}: assignment to private attribute {el.attr}")
    return found


def test_no_tricks():
    bad = {str(p.relative_to(PACKAGE.parent)): t for p in MODULES.values() if (t := _tricks(p))}
    assert bad == {}


def test_the_trick_checker_finds_tricks(tmp_path):
    f = tmp_path / "x.py"
    f.write_text("import os, sys, matplotlib\nos.fork()\nmatplotlib.use('Agg')\nsys.modules['x'] = 1\n"
                 "Text._get_layout = None\nself._ok = 1\nlibc.prctl(1)\n")
    assert sorted(t.split(": ", 1)[1] for t in _tricks(f)) == sorted([
        "os.fork", "matplotlib.use", "sys.modules[...] =", "assignment to private attribute _get_layout", "prctl"])
