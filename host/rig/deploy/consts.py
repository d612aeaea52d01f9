"""Cross-module constants, folded at build time (part of the firmware build).

mpy-cross folds `NAME = const(7)` into the code of its own module, but a public NAME
also stays a global of that module, and every other module reads it from there at
run time: one interned name (qstr) and one dict entry each on the board's heap, and a
lookup in the code that uses it. There are ~200 of them (status indexes, alarm codes,
signal and output indexes, diagnostics counters...), enough to make MicroPython
allocate one more qstr pool (~9 KB at once).

fold() rewrites the sources that go to mpy-cross (the files in the repository stay
as they are, and CPython imports those): every use of a public integer const of a
firmware module, in any firmware module (and in the firmware tests run inside
MicroPython), becomes its value; the name is dropped from `from ... import` lists, and
its definition becomes private (`_NAME = const(7)`), which MicroPython keeps off the
heap. A name is left alone everywhere when any use could not be rewritten (assigned,
passed as a keyword, reached through a path this does not follow, or written as a
string, e.g. for getattr()). Lines keep their numbers, so tracebacks still point at
the source.
"""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

PKG = "co2hr"


def module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _eval(node: ast.AST, env: dict[str, int]) -> int | None:
    """The integer value of a const() argument, or None if it is not a plain one."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.Name):
        return env.get(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Invert)):
        v = _eval(node.operand, env)
        return None if v is None else (-v if isinstance(node.op, ast.USub) else ~v)
    if isinstance(node, ast.BinOp):
        a, b = _eval(node.left, env), _eval(node.right, env)
        if a is None or b is None:
            return None
        ops = {ast.Add: a.__add__, ast.Sub: a.__sub__, ast.Mult: a.__mul__,
               ast.LShift: a.__lshift__, ast.RShift: a.__rshift__, ast.BitOr: a.__or__,
               ast.BitAnd: a.__and__, ast.FloorDiv: a.__floordiv__}
        f = ops.get(type(node.op))
        return None if f is None else f(b)
    return None


class _Module:
    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.text = text
        self.tree = ast.parse(text)
        self.defs: dict[str, int] = {}  # public consts defined here
        self.def_lines: dict[str, int] = {}
        self.imports: dict[str, tuple[str, str]] = {}  # local name -> (module, name)
        self.aliases: dict[str, str] = {}  # local name -> firmware module
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    local = a.asname or a.name
                    if node.module == PKG or node.module.startswith(PKG + "."):
                        self.imports[local] = (node.module, a.name)
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname and a.name.startswith(PKG + "."):
                        self.aliases[a.asname] = a.name


def _collect(mods: dict[str, _Module]) -> dict[str, dict[str, int]]:
    """{module: {public const name: value}}, imports of consts followed."""
    for m in mods.values():
        env: dict[str, int] = {}
        for node in m.tree.body:
            if (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name)
                    and isinstance(node.value, ast.Call)
                    and isinstance(node.value.func, ast.Name) and node.value.func.id == "const"
                    and len(node.value.args) == 1):
                name = node.targets[0].id
                v = _eval(node.value.args[0], env)
                if v is not None:
                    env[name] = v
                    if not name.startswith("_"):
                        m.defs[name] = v
                        m.def_lines[name] = node.lineno
    # a module's package attribute (from co2hr import status) is an alias too
    for m in mods.values():
        for local, (mod, name) in list(m.imports.items()):
            if mod + "." + name in mods:
                m.aliases[local] = mod + "." + name
                del m.imports[local]
    return {k: m.defs for k, m in mods.items()}


def _value_of(mods, defs, mod: str, name: str, seen=()) -> int | None:
    if name in defs.get(mod, {}):
        return defs[mod][name]
    m = mods.get(mod)
    if m is None or (mod, name) in seen or name not in m.imports:
        return None
    src = m.imports[name]
    return _value_of(mods, defs, src[0], src[1], seen + ((mod, name),))


_BINDERS = ("def", "class", "as", "global", "nonlocal", "for", "lambda", "del")


def _plan(mods: dict[str, _Module], defs) -> set[tuple[str, str]]:
    """The (defining module, name) pairs that can be folded everywhere."""
    ok = {(mod, n) for mod, d in defs.items() for n in d}
    for m in mods.values():
        for node in ast.walk(m.tree):  # reached in ways not followed: leave them alone
            whole = []
            if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
                whole.append(node.module)  # from co2hr.x import *
            elif isinstance(node, ast.Import):
                whole += [a.name for a in node.names if not a.asname]  # co2hr.x.NAME
            for mod in whole:
                ok -= {(d, n) for d, n in ok if d == mod}
    for m in mods.values():
        toks = list(tokenize.generate_tokens(io.StringIO(m.text).readline))
        local = {}  # local name -> (defining module, name)
        for ln, (mod, name) in m.imports.items():
            o = _origin(mods, defs, mod, name)
            if o:
                local[ln] = o
        for n in m.defs:
            local[n] = (m.name, n)
        params = _param_rows(toks)
        imports = _import_rows(m.tree)
        for i, t in enumerate(toks):
            if t.start[0] in imports:
                continue  # rewritten on their own (_rewrite)
            if t.type == tokenize.STRING:
                body = t.string.strip("rbfRBF").strip("\"'")
                for n, o in local.items():
                    if body == n:
                        ok.discard(o)  # a name written as a string: getattr() and the like
                continue
            if t.type != tokenize.NAME:
                continue
            prev = toks[i - 1].string if i else ""
            nxt = toks[i + 1].string if i + 1 < len(toks) else ""
            binds = (nxt.endswith("=") and nxt not in ("==", "!=", "<=", ">=")) or nxt == ","
            if prev == "." and i >= 2 and toks[i - 2].string in m.aliases:
                o = _origin(mods, defs, m.aliases[toks[i - 2].string], t.string)
                if o and binds and nxt != ",":
                    ok.discard(o)
                continue
            if prev == "." or t.string not in local:
                continue
            o = local[t.string]
            if o[0] == m.name and m.def_lines.get(t.string) == t.start[0] and nxt == "=":
                continue  # its definition
            if prev in _BINDERS or i in params or (binds and nxt != "," and not _in_call(toks, i)):
                ok.discard(o)  # bound here, not only read
            elif binds and nxt != "," and _in_call(toks, i):
                ok.discard(o)  # a keyword argument of that name
            elif nxt == "," and _lhs_tuple(toks, i):
                ok.discard(o)
    return ok


def _import_rows(tree) -> set[int]:
    rows = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            rows.update(range(node.lineno, node.end_lineno + 1))
    return rows


def _param_rows(toks) -> set[int]:
    """Token indexes of the parameter names of every def and lambda."""
    out = set()
    i = 0
    while i < len(toks):
        if toks[i].string in ("def", "lambda"):
            j = i + (2 if toks[i].string == "def" else 1)
            depth = 0
            while j < len(toks):
                s = toks[j].string
                if s in "([{":
                    depth += 1
                elif s in ")]}":
                    depth -= 1
                    if depth <= 0 and toks[i].string == "def":
                        break
                elif s == ":" and depth == 0 and toks[i].string == "lambda":
                    break
                elif s == "=" :
                    depth += 0
                if toks[j].type == tokenize.NAME and toks[j - 1].string in ("(", ",", "*", "**"):
                    out.add(j)
                j += 1
            i = j
        i += 1
    return out


def _lhs_tuple(toks, i) -> bool:
    """NAME in a target list: `A, B = ...` or `for A, B in ...`."""
    j = i - 1
    while j >= 0 and (toks[j].type == tokenize.NAME and toks[j].string != "for"
                      or toks[j].string in (",", "(", "[")):
        j -= 1
    if j >= 0 and toks[j].type not in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                                       tokenize.NL) and toks[j].string != "for":
        return False
    for t in toks[i + 1:]:
        if t.string in ("=", "in"):
            return True
        if not (t.type == tokenize.NAME or t.string in (",", ")", "]")):
            return False
    return False


def _in_call(toks, i) -> bool:
    depth = 0
    for t in reversed(toks[:i]):
        if t.string in ")]}":
            depth += 1
        elif t.string in "([{":
            if depth == 0:
                return t.string == "("
            depth -= 1
        elif t.type in (tokenize.NEWLINE,):
            return False
    return False


def _origin(mods, defs, mod, name, seen=()):
    """(defining module, name) of a const reached as mod.name, or None."""
    if name in defs.get(mod, {}):
        return (mod, name)
    m = mods.get(mod)
    if m is None or (mod, name) in seen or name not in m.imports:
        return None
    src = m.imports[name]
    return _origin(mods, defs, src[0], src[1], seen + ((mod, name),))


def _lit(v: int) -> str:
    return "(%d)" % v if v < 0 else "%d" % v


def _rewrite(m: _Module, mods, defs, ok: set) -> str:
    lines = m.text.splitlines(keepends=True)
    local = {}
    for ln, (mod, name) in m.imports.items():
        o = _origin(mods, defs, mod, name)
        if o in ok:
            local[ln] = defs[o[0]][o[1]]
    own = {n: v for n, v in m.defs.items() if (m.name, n) in ok}
    edits: list[tuple[int, int, int, str]] = []  # (row, col0, col1, text)
    toks = list(tokenize.generate_tokens(io.StringIO(m.text).readline))
    import_rows = set()
    for node in ast.walk(m.tree):
        if isinstance(node, ast.ImportFrom) and any(a.name in local and not a.asname
                                                    or (a.asname or a.name) in local
                                                    for a in node.names):
            import_rows.update(range(node.lineno, node.end_lineno + 1))
            keep = [a for a in node.names if (a.asname or a.name) not in local]
            indent = lines[node.lineno - 1][:node.col_offset]
            if keep:
                names = ", ".join(a.name + (" as " + a.asname if a.asname else "")
                                  for a in keep)
                new = "%sfrom %s import %s\n" % (indent, node.module, names)
            else:
                new = indent + "pass\n"
            lines[node.lineno - 1] = new
            for r in range(node.lineno, node.end_lineno):
                lines[r] = "\n"
    for i, t in enumerate(toks):
        if t.type != tokenize.NAME or t.start[0] in import_rows:
            continue
        prev = toks[i - 1].string if i else ""
        if prev == "." and i >= 2 and toks[i - 2].string in m.aliases:
            o = _origin(mods, defs, m.aliases[toks[i - 2].string], t.string)
            if o in ok:
                a = toks[i - 2]
                if a.start[0] == t.start[0]:
                    edits.append((t.start[0], a.start[1], t.end[1], _lit(defs[o[0]][o[1]])))
            continue
        if prev == ".":
            continue
        row = t.start[0]
        if t.string in own and m.def_lines[t.string] == row and toks[i + 1].string == "=":
            continue  # the definition: blanked below
        if t.string in own:
            edits.append((row, t.start[1], t.end[1], _lit(own[t.string])))
        elif t.string in local:
            edits.append((row, t.start[1], t.end[1], _lit(local[t.string])))
    for row, c0, c1, text in sorted(edits, reverse=True):
        s = lines[row - 1]
        lines[row - 1] = s[:c0] + text + s[c1:]
    for node in m.tree.body:  # the folded definitions: nothing uses them any more
        if (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id in own):
            for r in range(node.lineno - 1, node.end_lineno):
                lines[r] = "\n"
    return "".join(lines)


def fold(sources: dict[Path, str], pkg_root: Path) -> dict[Path, str]:
    """sources: {path: text} of the package under pkg_root (and of the tests, any
    other path: consumers only); the rewritten texts, same keys."""
    mods: dict[str, _Module] = {}
    by_path = {}
    for p, text in sources.items():
        try:
            name = module_name(pkg_root, p)
        except ValueError:
            name = "tests." + p.stem
        mods[name] = _Module(name, text)
        by_path[p] = name
    defs = _collect(mods)
    for n in [n for n in defs if n.startswith("tests.")]:
        defs[n] = {}  # tests use the firmware's consts; their own stay as they are
    ok = _plan(mods, defs)
    return {p: _rewrite(mods[n], mods, defs, ok) for p, n in by_path.items()}
