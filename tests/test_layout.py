"""The package's shape: no import cycles, every module importable alone,
modules of a readable size, and no leftovers of a layout that was never released."""

import ast
import importlib
import pathlib
import subprocess
import sys

import pytest

import polystep_sat

PACKAGE = pathlib.Path(polystep_sat.__file__).parent
MAX_MODULE_LINES = 700


def _modules():
    mods = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts[-1] == "__main__":
            continue  # runs the program: nothing imports it
        mods[".".join(parts)] = path
    return mods


def _imports(name, path, known):
    """Modules of the package that ``name`` imports anywhere (module level or inside functions)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            candidates = [module] + [f"{module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            candidates = [a.name for a in node.names]
        else:
            continue
        found.update(c for c in candidates if c in known and c != name)
    return found


def _import_graph():
    mods = _modules()
    graph = {name: _imports(name, path, mods) for name, path in mods.items()}
    # importing a module runs its packages' __init__ first: that is not a dependency of the module's own
    for name, deps in graph.items():
        deps.difference_update(p for p in list(deps) if name.startswith(p + "."))
    return graph


def _cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
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


def test_the_cycle_finder_finds_a_loop():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    assert _cycles(_import_graph()) == []


def test_the_graph_sees_function_level_imports():
    graph = _import_graph()
    assert "polystep_sat.study.plots" in graph["polystep_sat.study.report"]  # imported inside a function
    assert "polystep_sat.methods.walksat" in graph["polystep_sat.methods.polystep_pipeline"]


def test_modules_stay_readable():
    sizes = {name: len(path.read_text().splitlines()) for name, path in _modules().items()}
    too_long = {n: s for n, s in sizes.items() if s >= MAX_MODULE_LINES}
    assert not too_long, f"split these modules by job: {too_long}"


def test_every_module_imports_alone():
    failures = {}
    for name in _modules():
        proc = subprocess.run([sys.executable, "-c", f"import {name}"], capture_output=True, text=True)
        if proc.returncode != 0:
            failures[name] = proc.stderr.strip().splitlines()[-1]
    assert not failures


@pytest.mark.parametrize("old", ["polystep_sat.walksat", "polystep_sat.polystep", "polystep_sat.pipeline",
                                 "polystep_sat.relaxed", "polystep_sat.exact_side"])
def test_paths_of_the_unreleased_layout_are_gone(old):
    # those paths never shipped in a release: nothing keeps them alive
    sys.modules.pop(old, None)
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(old)
