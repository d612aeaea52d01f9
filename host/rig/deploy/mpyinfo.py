""".mpy files read back: how much bytecode each function carries (the heap accounts).

From ROMFS a board runs bytecode in place; from the filesystem every function's
bytecode is copied onto the heap at import and stays there while the function exists.
A module's body and its class bodies run once at import and are then collected, so
what stays is the bytecode of the functions and methods the module defines. kept_code()
adds that up from the compiled files, so the gap between the two layouts' heap figures
can be read as "this much bytecode" (tools/heap_modules.py, make bench).

The layout read is MicroPython's .mpy version 6 (py/persistentcode.c): a 4-byte
header, the qstr table, the constant objects, then the raw code tree, each entry
`(length << 3) | (has children << 2) | kind`, its bytecode, and its children. A
function's name is the first field of its bytecode prelude; a class body is told by
its first opcode (_prelude()). read() must consume the file exactly, which is its own
check that the layout was read right.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

_MAGIC = ord("M")
_VERSION = 6
_HEADER = 4
# the constant objects' type bytes (py/persistentcode.h, MP_PERSISTENT_OBJ_*)
_OBJ_SINGLE = {0, 1, 2, 3, 4}  # the fun table, None, False, True, Ellipsis: no data
_OBJ_STR, _OBJ_BYTES, _OBJ_TUPLE = 5, 6, 10  # str and bytes end with a NUL
_OBJ_NUMBERS = {7, 8, 9}  # int, float, complex: their text
_KIND_BYTECODE = 0
_OP_LOAD_NAME = 0x11  # py/bc0.h: MP_BC_BASE_QSTR_O + 1


@dataclass(frozen=True)
class RawCode:
    """One compiled function (or a module or class body): its dotted path in the
    module (`Class.method`; "" for the module body), its bytecode bytes, its depth and
    whether it is a class body."""

    path: str
    size: int
    depth: int
    is_class: bool


def _uint(b: bytes, i: int) -> tuple[int, int]:
    """A variable-length unsigned int (7 bits a byte, most significant first)."""
    v = 0
    while True:
        c = b[i]
        i += 1
        v = (v << 7) | (c & 0x7F)
        if not c & 0x80:
            return v, i


def _skip_obj(b: bytes, i: int) -> int:
    t = b[i]
    i += 1
    if t in _OBJ_SINGLE:
        return i
    n, i = _uint(b, i)
    if t == _OBJ_TUPLE:
        for _ in range(n):
            i = _skip_obj(b, i)
        return i
    if t in (_OBJ_STR, _OBJ_BYTES):
        return i + n + 1
    if t in _OBJ_NUMBERS:
        return i + n
    raise ValueError(f"unknown constant type {t}")


def _prelude(code: bytes) -> tuple[int, bool]:
    """(the qstr index of the function's name, whether it is a class body).

    The prelude: the signature (bytes with the top bit set continue it), then the
    sizes of the info and cell parts (xIIIIIIC per byte, least significant first),
    the info (its first field the name), the cells, then the opcodes. A class body
    starts with LOAD_NAME __name__ (it sets __module__); a function never loads by
    name (it has fast locals and globals), so that first opcode tells them apart."""
    j = 0
    while code[j] & 0x80:
        j += 1
    j += 1
    n_info = n_cell = shift = 0
    while True:
        z = code[j]
        j += 1
        n_cell |= (z & 1) << (shift // 6)
        n_info |= ((z & 0x7E) >> 1) << shift
        shift += 6
        if not z & 0x80:
            break
    start = j + n_info + n_cell
    return _uint(code, j)[0], start < len(code) and code[start] == _OP_LOAD_NAME


def read(data: bytes) -> list[RawCode]:
    """Every raw code of a bytecode .mpy file, the module body first."""
    if len(data) < _HEADER or data[0] != _MAGIC or data[1] != _VERSION:
        raise ValueError("not a version 6 .mpy file")
    i = _HEADER
    n_qstr, i = _uint(data, i)
    n_obj, i = _uint(data, i)
    names = []
    for _ in range(n_qstr):
        v, i = _uint(data, i)
        if v & 1:  # a qstr of the interpreter's own: by number
            names.append(f"<qstr {v >> 1}>")
            continue
        n = v >> 1
        names.append(data[i:i + n].decode())
        i += n + 1
    for _ in range(n_obj):
        i = _skip_obj(data, i)
    out: list[RawCode] = []

    def raw_code(i: int, parent: str, depth: int) -> int:
        kind_len, i = _uint(data, i)
        if kind_len & 3 != _KIND_BYTECODE:
            raise ValueError("native code: only bytecode .mpy files are read")
        n = kind_len >> 3
        q, is_class = _prelude(data[i:i + n])
        name = names[q] if q < len(names) else f"<qstr {q}>"
        path = "" if depth == 0 else (f"{parent}.{name}" if parent else name)
        out.append(RawCode(path, n, depth, is_class and depth > 0))
        i += n
        if kind_len & 4:
            n_children, i = _uint(data, i)
            for _ in range(n_children):
                i = raw_code(i, path, depth + 1)
        return i

    end = raw_code(i, "", 0)
    if end != len(data):
        raise ValueError(f"{len(data) - end} bytes left after the raw code tree")
    return out


def kept_code(mpy: Path) -> tuple[int, int]:
    """(bytes, functions): the bytecode of the functions a compiled module keeps once
    imported (its body and its class bodies left out)."""
    kept = [rc for rc in read(mpy.read_bytes()) if rc.depth and not rc.is_class]
    return sum(rc.size for rc in kept), len(kept)
