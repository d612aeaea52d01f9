"""What the board never uses, left out of its build (part of the firmware build).

The firmware's tables are the one source of truth for the host tools too: the register
map's names, units and documentation rows come from them (co2hr.modbus.registers.rows(),
rig.regs). On the board those names are dead weight: every short string of a module is
an interned name (qstr) on the heap whichever way the module is loaded, and every
function's bytecode is on the heap when the .mpy comes from the filesystem. So the
sources that go to mpy-cross (the files in the repository stay as they are, and CPython
imports those) lose what a `# build:` marker on its first line names:

    def rows(doc=None):  # build: host-only          -> the function is left out
    def regmap_id():  # build: constant              -> its body becomes `return <value>`,
                                                        the value computed here in CPython
    _I_TZ = _sidx("tz_offset_min")  # build: constant -> `_I_TZ = const(<value>)`: no
                                                        global, no name on the heap (a
                                                        public one is then folded into
                                                        its users: rig.deploy.consts);
                                                        a bytes value: a bytes literal
    TABLE_NAMES = ("coil", ...)  # build: host-only  -> the assignment is left out
    ALARMS = (  # build: host-only fields 1 2        -> in each row, fields 1 and 2 are ""
    DIAG = (  # build: host-only strings             -> every string in it is ""

Only module-level statements carry markers. Lines keep their numbers (a removed
statement leaves blank lines), so tracebacks still point at the source. The in-
MicroPython unit tests build without stripping (they read rows()); the mpy target, the
benches and `rig build`/`rig deploy` build as the board runs.
"""

from __future__ import annotations

import ast
import importlib
import re

_MARK = re.compile(r"#\s*build:\s*(host-only(?: fields(?: \d+)+| strings)?|constant)\s*$")


class StripError(ValueError):
    """A `# build:` marker on something it cannot apply to."""


def _marker(lines: list[str], node: ast.stmt) -> str | None:
    first = node.decorator_list[0].lineno if getattr(node, "decorator_list", None) else node.lineno
    for ln in range(first, node.body[0].lineno if isinstance(node, ast.FunctionDef)
                    else node.lineno + 1):
        m = _MARK.search(lines[ln - 1])
        if m:
            return m.group(1)
    return None


def _blank(lines: list[str], first: int, last: int) -> None:
    for ln in range(first, last + 1):
        lines[ln - 1] = "\n"


def _constant_body(lines, node: ast.FunctionDef, module: str) -> None:
    if node.args.args or node.args.vararg or node.args.kwarg:
        raise StripError(f"{module}.{node.name}: a build-time constant takes no arguments")
    value = getattr(importlib.import_module(module), node.name)()
    if type(value) is not int:
        raise StripError(f"{module}.{node.name}() must return an int, not {value!r}")
    indent = " " * node.body[0].col_offset
    _blank(lines, node.body[0].lineno, node.end_lineno)
    lines[node.body[0].lineno - 1] = f"{indent}return {value}\n"


def _constant_assign(lines, node: ast.Assign, module: str) -> None:
    """NAME = <expression>  ->  NAME = const(<its value>), the value computed here in
    CPython (the same on every board: setting indexes, table lengths); a bytes value
    becomes a bytes literal (a packed table: a board running from ROMFS keeps it in
    flash, co2hr.settings_table)."""
    if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
        raise StripError(f"{module} line {node.lineno}: a build-time constant assigns one name")
    name = node.targets[0].id
    value = getattr(importlib.import_module(module), name)
    if type(value) is bytes:
        literal = repr(value)
    elif type(value) is int:
        literal = f"const({value})"
    else:
        raise StripError(f"{module}.{name} must be an int or bytes, not {value!r}")
    _blank(lines, node.lineno, node.end_lineno)
    lines[node.lineno - 1] = f"{name} = {literal}\n"


def _strings(node: ast.expr, fields: tuple[int, ...] | None) -> list[ast.Constant]:
    """The string constants to empty: every string (fields None), or the given fields of
    every row."""
    if not isinstance(node, ast.Tuple):
        raise StripError(f"line {node.lineno}: host-only fields/strings need a tuple")
    out = []
    for el in node.elts:
        if fields is None:
            if isinstance(el, ast.Constant) and isinstance(el.value, str):
                out.append(el)
            continue
        if not isinstance(el, ast.Tuple):
            raise StripError(f"line {el.lineno}: a row of host-only fields must be a tuple")
        for f in fields:
            if f < len(el.elts):
                c = el.elts[f]
                if not (isinstance(c, ast.Constant) and isinstance(c.value, str)):
                    raise StripError(f"line {c.lineno}: host-only field {f} is not a string")
                out.append(c)
    return out


def _empty(lines: list[str], consts: list[ast.Constant]) -> None:
    # Offsets are UTF-8 byte columns; replace from the end so earlier ones stay valid.
    for c in sorted(consts, key=lambda c: (c.lineno, c.col_offset), reverse=True):
        first = lines[c.lineno - 1].encode()
        last = lines[c.end_lineno - 1].encode()
        text = (first[:c.col_offset].decode() + '""' + last[c.end_col_offset:].decode())
        _blank(lines, c.lineno + 1, c.end_lineno)
        # a string that spanned lines: the rest of its last line moves up, the line
        # count stays
        lines[c.lineno - 1] = text


def strip(text: str, module: str) -> str:
    """The source of firmware module `module` (dotted name) as the board gets it."""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    for node in reversed(tree.body):
        mark = _marker(lines, node)
        if mark is None:
            continue
        is_def = isinstance(node, ast.FunctionDef)
        if mark == "constant":
            if isinstance(node, ast.Assign):
                _constant_assign(lines, node, module)
                continue
            if not is_def:
                raise StripError(f"{module} line {node.lineno}: `constant` marks a def "
                                 "or an assignment")
            _constant_body(lines, node, module)
        elif mark == "host-only":
            first = node.decorator_list[0].lineno if is_def and node.decorator_list \
                else node.lineno
            _blank(lines, first, node.end_lineno)
        else:
            if not isinstance(node, ast.Assign):
                raise StripError(f"{module} line {node.lineno}: `{mark}` marks a table")
            fields = None if mark.endswith("strings") else tuple(
                int(f) for f in mark.split("fields")[1].split())
            _empty(lines, _strings(node.value, fields))
    return "".join(lines)
