"""Private names shortened per module (part of the firmware build).

Every distinct name in the firmware (a method, an attribute, a module global, an
argument) is an interned string (qstr) on the board's heap for as long as it runs, and
qstrs come in pools that double in size: the seventh, ~9 KB at once, opens at the
1,261st name (docs/flashing.md). About a third of the firmware's names are private
ones (`_last_us`, `_move`, `_SETTLE_MS`...), each spelled in one module only. shorten()
renames each of them to `_0`, `_1`, ... counted per module, so the same few short
names serve every module: a few dozen qstrs instead of a few hundred.

A private name is renamed in its module only when nothing else can reach it by name:
* it is spelled (code, string or comment) in no other firmware module and in none of
  the consumers (the firmware tests, main.py, bootsel.py, the host's scripts run on a
  board): anything that could name it from outside keeps it;
* it is in no string of its own module (getattr, an f-string, a message);
* as an attribute it is only ever reached as `self._x` or `cls._x` (never
  `other._x`, `Class._x`, `obj._x`): so it lives on instances and classes of its own
  module. Modules whose classes derive from each other's share one numbering, so a
  subclass's renamed attributes cannot collide with its base's.
Dunder names and `_` are never touched. Only NAME tokens change, within their lines:
line numbers stay, so a traceback points at the right source line (its function name
reads `_7` where the source says `_move`: the line tells which).
"""

from __future__ import annotations

import ast
import builtins
import io
import re
import tokenize
from collections.abc import Iterable
from pathlib import Path

_PRIVATE = re.compile(r"_[A-Za-z][A-Za-z0-9_]*\Z")
_SHORT = "_%d"
_SELF = ("self", "cls")
_BUILTINS = frozenset(dir(builtins))  # Exception, object...: no renamed names of theirs


def _name_tokens(text: str) -> list[tokenize.TokenInfo]:
    return list(tokenize.generate_tokens(io.StringIO(text).readline))


def _strings(toks) -> str:
    return "\n".join(t.string for t in toks if t.type == tokenize.STRING)


def _reached_from_outside(tree: ast.AST) -> set[str]:
    """Private attribute names this module reaches on anything but the self/cls of a
    method of one of its classes (or of a function nested in such a method)."""
    out: set[str] = set()

    def visit(node, in_method, class_body):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, False, True)
                continue
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                visit(child, in_method or class_body, False)
                continue
            if (isinstance(child, ast.Attribute) and _PRIVATE.match(child.attr)
                    and not (in_method and isinstance(child.value, ast.Name)
                             and child.value.id in _SELF)):
                out.add(child.attr)
            visit(child, in_method, False)

    visit(tree, False, False)
    return out


def _base_modules(tree: ast.AST, pkg: str) -> set[str] | None:
    """The firmware modules this module's classes derive from; None: a base it cannot
    trace (then none of its names is renamed)."""
    imported = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(pkg):
            for a in node.names:
                imported[a.asname or a.name] = node.module
    own = {n.name for n in ast.walk(tree) if isinstance(n, ast.ClassDef)}
    bases: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        for b in node.bases:
            if isinstance(b, ast.Name) and b.id in imported:
                bases.add(imported[b.id])
            elif not (isinstance(b, ast.Name) and (b.id in own or b.id in _BUILTINS)):
                return None  # an attribute path, a call, a relative import: not traced
    return bases


def _groups(mods: dict[str, ast.AST], bases: dict[str, set[str]]) -> dict[str, str]:
    """module -> the first module of its group (modules linked by derivation)."""
    root = {m: m for m in mods}

    def find(m):
        while root[m] != m:
            m = root[m]
        return m

    for m, bs in bases.items():
        for b in bs:
            if b in root:
                root[find(m)] = find(b)
    return {m: find(m) for m in mods}


def plan(sources: dict[str, str], consumers: Iterable[str]) -> dict[str, dict[str, str]]:
    """sources: {module name: text} of the firmware package (as it goes to mpy-cross);
    consumers: every other text that may name the package's attributes. Returns, per
    module, {private name: short name}."""
    toks = {m: _name_tokens(t) for m, t in sources.items()}
    trees = {m: ast.parse(t) for m, t in sources.items()}
    words: dict[str, set[str]] = {}  # every identifier-like word, per text
    for m, t in sources.items():
        words[m] = set(re.findall(r"\w+", t))
    outside = set()
    for t in consumers:
        outside |= set(re.findall(r"\w+", t))
    taken = set().union(*words.values(), outside)
    pkg = next(iter(sources)).split(".")[0] if sources else ""
    bases = {m: _base_modules(trees[m], pkg) for m in sources}
    group = _groups(trees, {m: b for m, b in bases.items() if b})
    counter: dict[str, int] = {}
    out: dict[str, dict[str, str]] = {}
    for m in sorted(sources):
        if bases[m] is None:
            out[m] = {}
            continue
        others = set()
        for n, w in words.items():
            if n != m:
                others |= w
        in_strings = set(re.findall(r"\w+", _strings(toks[m])))
        blocked = others | outside | in_strings | _reached_from_outside(trees[m])
        names = []
        for t in toks[m]:
            if (t.type == tokenize.NAME and _PRIVATE.match(t.string)
                    and not t.string.startswith("__") and t.string not in blocked
                    and t.string not in names):
                names.append(t.string)
        g = group[m]
        mapping = {}
        for name in names:
            k = counter.get(g, 0)
            while _SHORT % k in taken:
                k += 1
            mapping[name] = _SHORT % k
            counter[g] = k + 1
        out[m] = mapping
    return out


def rewrite(text: str, mapping: dict[str, str]) -> str:
    """text with each NAME token in mapping replaced (lines and line numbers kept)."""
    if not mapping:
        return text
    lines = text.splitlines(keepends=True)
    edits = [(t.start[0], t.start[1], t.end[1], mapping[t.string])
             for t in _name_tokens(text) if t.type == tokenize.NAME and t.string in mapping]
    for row, c0, c1, new in sorted(edits, reverse=True):
        s = lines[row - 1]
        lines[row - 1] = s[:c0] + new + s[c1:]
    return "".join(lines)


def consumers(src_dir: Path, extra: Iterable[str] = ()) -> list[str]:
    """The texts that may name the package's attributes from outside it: the firmware
    tests, the board's main.py and bootsel.py, every script of the host, its tools and
    HIL tests (some run code inside MicroPython), and extra (the tests being built)."""
    root = src_dir.parent.parent
    paths = sorted((src_dir.parent / "tests").glob("*.py"))
    paths += [src_dir.parent / n for n in ("main.py", "bootsel.py")]
    for d in ("host", "tools", "hil_tests"):
        paths += sorted((root / d).rglob("*.py"))
    return [p.read_text() for p in paths if p.is_file()] + list(extra)


def shorten(sources: dict[Path, str], names: dict[Path, str],
            consumers: Iterable[str]) -> dict[Path, str]:
    """sources: {path: text}; names: {path: module name}; the rewritten texts."""
    by_mod = {names[p]: t for p, t in sources.items()}
    maps = plan(by_mod, consumers)
    return {p: rewrite(t, maps[names[p]]) for p, t in sources.items()}
