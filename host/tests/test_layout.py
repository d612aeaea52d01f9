"""The host package's layout: no import cycle between its modules (lazy imports inside
functions included), and each package imports only its own modules and the layers
below it (the packages of one layer do not import each other):

    cli -> hil -> targets -> deploy | regs | plant | boards -> fw (and the firmware's tables)

Read from the source with ast, so it holds for every import a module can make, not just
those one run happens to reach."""

from __future__ import annotations

import ast
from pathlib import Path

import rig

ROOT = Path(rig.__file__).resolve().parent
# package (or top-level module) -> layer; a module may import its own layer or lower
LAYERS = {"rig": 0, "rig.fw": 0, "rig.upy": 0,
          "rig.boards": 1, "rig.deploy": 1, "rig.regs": 1, "rig.plant": 1,
          "rig.targets": 2, "rig.mpytest": 3, "rig.hil": 3, "rig.cli": 4}


def _modules() -> dict[str, Path]:
    out = {}
    for p in ROOT.rglob("*.py"):
        parts = ("rig",) + p.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The rig modules `name` imports, anywhere in its source."""
    pkg = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            bases = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = pkg.split(".")[:len(pkg.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            bases = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                     for a in node.names]
        else:
            continue
        out |= {b for b in bases if b in known and b != name}
    return out


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    return {n: _imports(n, p, set(mods)) for n, p in mods.items()}


def _layer(mod: str) -> tuple[str, int]:
    for k in sorted(LAYERS, key=len, reverse=True):
        if mod == k or mod.startswith(k + "."):
            return k, LAYERS[k]
    raise AssertionError(f"{mod} is in no layer of LAYERS")


def _cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in g[v]:
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

    for v in g:
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle_between_host_modules():
    g = _graph()
    assert len(g) > 40 and g["rig.hil.runner"] >= {"rig.hil.coupling", "rig.hil.fwview"}
    # a package's __init__ importing its own modules is how a package exposes them
    for name in list(g):
        g[name] = {m for m in g[name] if not name.startswith(m + ".")}
    assert _cycles(g) == []


def test_packages_import_only_lower_layers():
    bad = []
    for mod, deps in _graph().items():
        pkg, layer = _layer(mod)
        for d in deps:
            dpkg, dlayer = _layer(d)
            if dpkg != pkg and dlayer >= layer and "rig" not in (pkg, dpkg):
                bad.append(f"{mod} -> {d}")
    assert bad == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
