"""Whole float literals written as ints (part of the firmware build for MicroPython).

On a board (MicroPython's object representation A, as on the ESP32 and the RP2040) a
float is a 16-byte object on the heap: every distinct float constant of a module is made
when the module is imported, and stays for as long as it runs (~20 B each with its slot
in the module's constant table, in flash or not). A small int is no object at all. The
firmware's whole float literals (0.0, 1.0, 100.0, 273.0...: some 200 distinct ones) are
therefore written as ints in the sources that go to mpy-cross (the files in the
repository stay as they are, and CPython runs those).

Python mixes ints and floats exactly: a sum, product or comparison with a float is the
same float, `/` always divides to a float, and every float result of the firmware's
arithmetic stays a float. What changes is the type of a value made only of such literals
(`x = 0.0` starts as the int 0) until a float reaches it. So a literal stays a float
where that could matter:
* its value is not a small int on the board (|v| >= 2**30: 4.0e9 would be a long int);
* it is -0.0 or 0.0 written with a sign (the sign of zero);
* the line says `# float` (a value that must be a float from the start).
Lines and columns keep their numbers (only NUMBER tokens change), so a traceback points
at the source.
"""

from __future__ import annotations

import io
import tokenize

_SMALL = 1 << 30  # MicroPython's small ints on a 32-bit port: 31-bit signed
_KEEP = "# float"


def _whole(text: str) -> int | None:
    """The int a float literal stands for, or None to keep it as it is."""
    low = text.lower()
    if "j" in low or low.startswith("0x") or not any(c in low for c in ".e"):
        return None  # an int, a hex int, an imaginary
    try:
        v = float(text.replace("_", ""))
    except ValueError:
        return None
    if v != v or v in (float("inf"), float("-inf")) or v != int(v) or abs(v) >= _SMALL:
        return None
    return int(v)


def ints_for_whole_floats(text: str) -> str:
    """text with every whole float literal written as an int (see the module header)."""
    toks = list(tokenize.generate_tokens(io.StringIO(text).readline))
    lines = text.splitlines(keepends=True)
    edits = []
    for k, t in enumerate(toks):
        if t.type != tokenize.NUMBER:
            continue
        v = _whole(t.string)
        if v is None or _KEEP in lines[t.start[0] - 1]:
            continue
        prev = toks[k - 1] if k else None
        if v == 0 and prev is not None and prev.type == tokenize.OP and prev.string in "-+" \
                and _is_sign(toks, k - 1):
            continue  # -0.0: the sign of zero
        edits.append((t.start, t.end, str(v)))
    for (row, c0), (_row, c1), s in reversed(edits):
        line = lines[row - 1]
        lines[row - 1] = line[:c0] + s + line[c1:]
    return "".join(lines)


def _is_sign(toks, k) -> bool:
    """toks[k] (a + or -) is a unary sign, not a binary operator."""
    if k == 0:
        return True
    p = toks[k - 1]
    if p.type in (tokenize.NUMBER, tokenize.NAME, tokenize.STRING):
        return p.type == tokenize.NAME and p.string in ("return", "in", "and", "or", "not",
                                                        "if", "else", "yield", "lambda")
    return not (p.type == tokenize.OP and p.string in (")", "]", "}"))
