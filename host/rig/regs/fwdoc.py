"""The descriptions of the firmware's registers, for host tools and the docs.

The firmware tables (settings, status, counters, commands, Modbus diagnostics and
identity) carry no description text: on a board every string constant is an object on
the heap. Each row's description is written right above it in the firmware source as
`#:` comment lines (the Sphinx convention for documenting a value), and read from there:

    CONTROL_SCHEMA = (
        #: Receiver pressure setpoint
        ("p_rec_sp_bar", 35, 25, 50, "bar", 10),

`rows()` is co2hr.modbus.registers.rows() with those descriptions filled in; the rows
that the map derives (inputs, outputs, alarm words and bits, history, mirror) get theirs
here. A row without a `#:` comment is an error (DocError), caught by the tests.
"""

from __future__ import annotations

import ast
import functools
import io
import tokenize
from pathlib import Path

import rig.fw as fw
from co2hr.alarms import ALARMS, N_ALARMS
from co2hr.io import INPUTS, OUTPUTS
from co2hr.modbus import evregs as EV
from co2hr.modbus import registers as R

# (file under firmware/co2hr, table variable) for each table-backed register source.
TABLES = {
    "settings": (("settings_control.py", "CONTROL_SCHEMA"), ("settings_comm.py", "COMM_SCHEMA")),
    "status": (("status.py", "STATUS"),),
    "counters": (("status.py", "COUNTERS"),),
    "commands": (("status.py", "COMMANDS"),),
    "diag": (("modbus/registers.py", "DIAG"),),
    "ident": (("modbus/registers.py", "IDENT"),),
    "health": (("modbus/registers.py", "HEALTH"),),
    "session": (("modbus/registers.py", "SESSION"),),
    "clock": (("modbus/evregs.py", "CLOCK"),),
    "clock32": (("modbus/evregs.py", "CLOCK32"),),
    "evlog32": (("modbus/evregs.py", "EVLOG32"),),
    "evlog": (("modbus/evregs.py", "EVLOG"),),
    "clockset": (("modbus/evregs.py", "CLOCKSET"),),
}
_EV_TABLES = {EV.S_CLOCK: "clock", EV.S_CLOCK32: "clock32", EV.S_EVLOG32: "evlog32",
              EV.S_EVLOG: "evlog", EV.S_CLOCKSET: "clockset"}
_ENTRY_TEXT = (
    "Event-log window entry %d: time, Unix s when bit 7 of its kind word is set, else "
    "seconds since boot (high word first)", "",
    "Event-log window entry %d: boot number",
    "Event-log window entry %d: kind (high byte, docs/eventlog.md; 0: no entry, a slot a "
    "power cut tore) and flags (low byte: bit 7 clock time, bits 4-6 source 0 firmware 1 "
    "RTU 2 TCP 3 HIL link, bits 0-3 events merged into it)",
    "Event-log window entry %d: key (alarm code, holding register, ...: by kind)",
    "Event-log window entry %d: a (by kind)",
    "Event-log window entry %d: b (by kind)",
    "Event-log window entry %d: its seq, low word (a check that it is the entry expected)",
)


class DocError(ValueError):
    pass


def table_docs(path: Path, var: str) -> list[str]:
    """The `#:` description of every row of the tuple assigned to `var` in `path`."""
    src = path.read_text()
    comments = {}
    for tok in tokenize.generate_tokens(io.StringIO(src).readline):
        if tok.type == tokenize.COMMENT and tok.string.startswith("#:"):
            comments[tok.start[0]] = tok.string[2:].strip()
    node = next((n for n in ast.walk(ast.parse(src)) if isinstance(n, ast.Assign)
                 and any(getattr(t, "id", None) == var for t in n.targets)), None)
    if node is None or not isinstance(node.value, ast.Tuple):
        raise DocError(f"{path}: no table {var} = (...)")
    out = []
    for row in node.value.elts:
        lines = []
        k = row.lineno - 1
        while k in comments:
            lines.insert(0, comments[k])
            k -= 1
        if not lines:
            raise DocError(f"{path}:{row.lineno}: row of {var} has no '#:' description above it")
        out.append(" ".join(lines))
    return out


def _comments(src: str) -> dict[int, str]:
    return {tok.start[0]: tok.string[2:].strip()
            for tok in tokenize.generate_tokens(io.StringIO(src).readline)
            if tok.type == tokenize.COMMENT and tok.string.startswith("#:")}


@functools.cache
def consts(rel: str, prefix: str) -> tuple[tuple[str, int, str], ...]:
    """(name, value, description) of every `NAME = const(value)` in firmware/co2hr/rel
    whose name starts with prefix, in file order, the description the `#:` lines above
    it. A firmware module keeps numbers the board needs no name for as private consts
    (`_EV_BOOT = const(1)`: compiled in, no name or qstr on the heap); the host reads
    them here."""
    src = (fw.FIRMWARE_DIR / "co2hr" / rel).read_text()
    comments = _comments(src)
    out = []
    for n in ast.parse(src).body:
        if not (isinstance(n, ast.Assign) and len(n.targets) == 1
                and isinstance(n.targets[0], ast.Name) and n.targets[0].id.startswith(prefix)
                and isinstance(n.value, ast.Call) and getattr(n.value.func, "id", "") == "const"):
            continue
        lines = []
        k = n.lineno - 1
        while k in comments:
            lines.insert(0, comments[k])
            k -= 1
        out.append((n.targets[0].id, ast.literal_eval(n.value.args[0]), " ".join(lines)))
    if not out:
        raise DocError(f"{rel}: no const named {prefix}*")
    return tuple(out)


@functools.cache
def docs(table: str) -> tuple[str, ...]:
    """Descriptions of one firmware table (a key of TABLES), in row order."""
    base = fw.FIRMWARE_DIR / "co2hr"
    out: list[str] = []
    for rel, var in TABLES[table]:
        out += table_docs(base / rel, var)
    return tuple(out)


def describe(src: int, i: int, row: tuple) -> str:
    """Description of register row `row` = (name, unit, scale, type, access, min, max)
    from source `src` (co2hr.modbus.registers' source codes), item i."""
    name, unit, scale = row[0], row[1], row[2]
    if src == R._S_IN:
        return "Input %s x %d%s; 0x8000 when invalid" % (
            name, scale, " (modulo 65536)" if unit == "pulses" else "")
    if src == R._S_OUT:
        return "Output %s" % name
    if src == R._S_STATUS:
        return docs("status")[i]
    if src == R._S_COUNTER:
        return docs("counters")[i] + " (high word first)"
    if src == R._S_DIAG:
        return docs("diag")[i] + " (high word first)"
    if src == R._S_ALARM_WORD:
        hi = min(N_ALARMS, 16 * i + 16) - 1
        return "Active alarms %d..%d, bit n = alarm 16*%d+n (discrete 200+)" % (16 * i, hi, i)
    if src == R._S_HIST:
        if i == 0:
            return "Alarm history entries held (newest is entry 0)"
        j, w = (i - 1) // R._HIST_WORDS, (i - 1) % R._HIST_WORDS
        return ("Alarm code of history entry %d (0 = none)",
                "History entry %d: 1 raised, 0 cleared",
                "History entry %d: seconds since boot (high word first)")[w] % j
    if src == R._S_IDENT:
        return docs("ident")[i]
    if src == R.S_SETTING:
        default = (R.CONTROL_SCHEMA + R.COMM_SCHEMA)[i][1]
        return "%s (default %s; needs the service unlock)" % (docs("settings")[i], default)
    if src in (R._S_COMMAND, R._S_CMD_BIT):
        return docs("commands")[i] + " (needs the service unlock)"
    if src == R._S_UNLOCK:
        return ("Write the unlock code (unlock_code, factory code %d) to allow setting and "
                "command writes on this connection or line for unlock_timeout_s, 0 to lock "
                "again; reads the seconds left" % R.UNLOCK_CODE)
    if src == R._S_HEALTH:
        return docs("health")[i] + " (high word first)"
    if src == R._S_SESSION:
        return docs("session")[i]
    if src == R._S_CODE_DEFAULT:
        return "1 while unlock_code is the factory code %d (change it at commissioning)" % (
            R.UNLOCK_CODE)
    if src == R._S_VALID:
        return "1 when %s is valid" % INPUTS[i]
    if src == R._S_OUT_ON:
        return "1 when %s is not 0" % OUTPUTS[i]
    if src == R._S_ALARM_BIT:
        a = ALARMS[i]
        return "Alarm %d active: %s (priority %d%s)" % (a[0], a[2], a[3],
                                                       ", latched" if a[6] else "")
    if src == R._S_UNLOCKED:
        return "1 while the service unlock of the asking connection or line is open"
    if src == R._S_MIRROR:
        return "Read-only copy of input register %d" % i
    if src >= EV.S_FIRST:
        return _describe_events(src, i)
    raise DocError(f"no description rule for register source {src} ({name})")


def _describe_events(src: int, i: int) -> str:
    """The clock and event-log groups (co2hr.modbus.evregs)."""
    if src in _EV_TABLES:
        return docs(_EV_TABLES[src])[i] + (" (high word first)" if src in (
            EV.S_CLOCK32, EV.S_EVLOG32) else "")
    if src == EV.S_FROM:
        return ("This master's event-log window starts at this entry (seq); 0: the newest "
                f"{EV.WIN_ENTRIES}. Write both words in one FC 16; needs no unlock (high "
                "word first)")
    if i < EV.WIN_HEAD:
        return ("Seq of the window's first entry (high word first)", "",
                "Entries in the window (consecutive seqs from ev_window_seq)",
                "Of which still in RAM, not yet on flash")[i]
    j, w = divmod(i - EV.WIN_HEAD, EV.ENTRY_WORDS)
    return _ENTRY_TEXT[w] % j


def rows() -> list[tuple]:
    """co2hr.modbus.registers.rows() with every description filled in."""
    return R.rows(describe)
