"""The package's import graph: no cycles (function-level imports count) and imports flow down the layers.

Layer order (docs/architecture.md): errors <- config, tenants, plugins <- evaluations <- home, killswitch,
monitoring <- models <- registry <- gates <- assets <- sensors <- pipelines <- demo <- cli. Peers of one
rank (home, killswitch, monitoring) do not import each other.
"""
from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "tenantguard"

RANKS = {
    "errors": 0,
    "config": 1, "tenants": 1, "plugins": 1,
    "evaluations": 2,
    "home": 3, "killswitch": 3, "monitoring": 3,
    "models": 4,
    "registry": 5,
    "gates": 6,
    "assets": 7,
    "sensors": 8,
    "pipelines": 9,
    "demo": 10, "dagster": 10,
    "cli": 11,
}


def module_names(root: Path, package: str) -> dict[str, Path]:
    out = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join([package, *parts])] = path
    return out


def imports_of(name: str, path: Path, modules: dict[str, Path], package: str) -> set[str]:
    """Every package module `name` imports anywhere in its body (also importlib.import_module("...") strings)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_pkg = path.name == "__init__.py"
    found: set[str] = set()

    def add(target: str) -> None:
        while target and target not in modules:
            target = target.rpartition(".")[0]
        if target and target != name:
            found.add(target)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == package:
                    add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.split(".")[0] != package:
                continue
            for alias in node.names:
                sub = f"{mod}.{alias.name}"
                add(sub if sub in modules else mod)
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
              and node.args[0].value.split(".")[0] == package):
            add(node.args[0].value)
    return found


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    modules = module_names(root, package)
    return {name: imports_of(name, path, modules, package) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        m = stack.pop()
                        on_stack.discard(m)
                        comp.append(m)
                        if m == node:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def layer_of(module: str, ranks: dict[str, int]) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ranks else None


def upward_imports(graph: dict[str, set[str]], ranks: dict[str, int] = RANKS) -> list[str]:
    """Imports from a layer to a higher one, or between two peers of one rank."""
    bad = []
    for src, targets in sorted(graph.items()):
        a = layer_of(src, ranks)
        if a is None:
            continue  # the package root: its lazy public API names modules by string only
        for dst in sorted(targets):
            b = layer_of(dst, ranks)
            if b is None or a == b:
                continue
            if ranks[b] >= ranks[a]:
                bad.append(f"{src} -> {dst} ({a} rank {ranks[a]} imports {b} rank {ranks[b]})")
    return bad


def unranked(graph: dict[str, set[str]], ranks: dict[str, int] = RANKS) -> list[str]:
    return sorted(m for m in graph if m.count(".") >= 1 and layer_of(m, ranks) is None)


def test_every_module_belongs_to_a_layer():
    assert unranked(import_graph(ROOT, "tenantguard")) == []


def test_no_import_cycles():
    assert cycles(import_graph(ROOT, "tenantguard")) == []


def test_imports_flow_down_the_layers():
    assert upward_imports(import_graph(ROOT, "tenantguard")) == []


def _plant(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))
    return root


def test_a_planted_function_level_cycle_is_found(tmp_path):
    root = _plant(tmp_path, {
        "__init__.py": "",
        "home/__init__.py": "",
        "home/a.py": "from pkg.home import b\n",
        "home/b.py": "def f():\n    from pkg.home.a import x\n",
    })
    assert cycles(import_graph(root, "pkg")) == [["pkg.home.a", "pkg.home.b"]]


def test_a_planted_upward_and_sideways_import_is_found(tmp_path):
    root = _plant(tmp_path, {
        "__init__.py": "",
        "evaluations/__init__.py": "",
        "evaluations/x.py": "def f():\n    import importlib\n    importlib.import_module('pkg.gates.y')\n",
        "gates/__init__.py": "",
        "gates/y.py": "from pkg.evaluations import x\n",
        "home/__init__.py": "",
        "home/z.py": "from pkg.monitoring.w import q\n",
        "monitoring/__init__.py": "",
        "monitoring/w.py": "",
    })
    bad = upward_imports(import_graph(root, "pkg"))
    assert [b.split(" (")[0] for b in bad] == ["pkg.evaluations.x -> pkg.gates.y", "pkg.home.z -> pkg.monitoring.w"]


@pytest.mark.parametrize("package", ["evaluations", "home", "monitoring", "killswitch"])
def test_pure_layers_import_without_dagster_or_mlflow(package):
    modules = sorted(m for m in import_graph(ROOT, "tenantguard") if layer_of(m, RANKS) == package)
    code = ("import importlib, sys\n"
            f"for m in {modules!r}:\n    importlib.import_module(m)\n"
            "heavy = sorted(k for k in sys.modules if k.split('.')[0] in ('dagster', 'mlflow'))\n"
            "print(','.join(heavy))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"{package} pulled in {out.stdout.strip()[:200]}"
