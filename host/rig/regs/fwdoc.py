"""The descriptions of the firmware's registers, for host tools and the docs.

The firmware tables (settings, status, counters, commands, Modbus diagnostics and
identity) carry no description text: on a board every string constant is an object on
the heap. Each row's description is written right above it in the firmware source as
`#:` comment lines (the Sphinx convention for documenting a value), and read from there:

    CONTROL_SCHEMA = (
        #: Receiver pressure setpoint
        ("p_rec_sp_bar", 35, 25, 50, "bar", 10),

The inputs and outputs take theirs from the comment after their index constant in
co2hr/io.py (`AI_P_GC = const(0)  # gas cooler (high side) pressure, bar a`).

`rows()` is co2hr.modbus.registers.rows() with those descriptions filled in, each a
`Doc` (text, and the register source and index it came from, for the default and the
group); the rows that the map derives (alarm words and bits, history, mirror) get theirs
here, and every register group its title (`group_title`). A row without a description
is an error (DocError), caught by the tests. Descriptions are plain words: the default,
word order and the service unlock are fields of their own (rig.regs.table.Reg).
"""

from __future__ import annotations

import ast
import functools
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

import rig.fw as fw
from co2hr.alarms import ALARMS
from co2hr.io import INPUTS, OUTPUTS
from co2hr.modbus import evregs as EV
from co2hr.modbus import registers as R

# (file under firmware/co2hr, table variable) for each table-backed register source.
TABLES = {
    "settings": (("settings_control.py", "CONTROL_SCHEMA"), ("settings_comm.py", "COMM_SCHEMA"),
                 ("settings_hp.py", "HP_SCHEMA")),
    "status": (("status.py", "STATUS"),),
    "counters": (("status.py", "COUNTERS"),),
    "hp_status": (("status.py", "HP_STATUS"),),
    "hp_counters": (("status.py", "HP_COUNTERS"),),
    "commands": (("status.py", "COMMANDS"),),
    "diag": (("modbus/registers.py", "DIAG"),),
    "ident": (("modbus/registers.py", "IDENT"),),
    "health": (("modbus/registers.py", "HEALTH"),),
    "session": (("modbus/registers.py", "SESSION"),),
    "board": (("modbus/registers.py", "BOARD_STATE"),),
    "net32": (("modbus/registers.py", "NET32"),),
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


_IO_CONST = re.compile(r"^([A-Z]{2})_\w+ = const\((\d+)\)\s*#\s*(.+)$")
_IN_PREFIXES = ("AI", "DI", "CI")
_OUT_PREFIXES = ("AO", "DO")


@functools.cache
def io_docs() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(input descriptions, output descriptions) in INPUTS/OUTPUTS order, from the
    comment after each index constant in co2hr/io.py."""
    path = fw.FIRMWARE_DIR / "co2hr" / "io.py"
    ins: dict[int, str] = {}
    outs: dict[int, str] = {}
    for line in path.read_text().splitlines():
        m = _IO_CONST.match(line.strip())
        if m and m.group(1) in _IN_PREFIXES + _OUT_PREFIXES:
            d = ins if m.group(1) in _IN_PREFIXES else outs
            d[int(m.group(2))] = m.group(3).strip()
    for names, d, what in ((INPUTS, ins, "input"), (OUTPUTS, outs, "output")):
        missing = [n for i, n in enumerate(names) if i not in d]
        if missing:
            raise DocError(f"{path}: no index constant with a comment for {what}(s) {missing}")
    return (tuple(_sentence(ins[i]) for i in range(len(INPUTS))),
            tuple(_sentence(outs[i]) for i in range(len(OUTPUTS))))


_F_CONST = re.compile(r"^_?F_\w+ = const\((\d+)\)\s*#\s*(.+)$")


@functools.cache
def fault_words() -> dict[int, str]:
    """Why an input is invalid, by co2hr.signals F_* code (its comment there); 0 valid."""
    path = fw.FIRMWARE_DIR / "co2hr" / "signals.py"
    out = {0: "valid"}
    for line in path.read_text().splitlines():
        m = _F_CONST.match(line.strip())
        if m:
            out[int(m.group(1))] = m.group(2).strip()
    if len(out) < 2:
        raise DocError(f"{path}: no F_* fault codes with a comment")
    return out


@dataclass(frozen=True)
class AlarmDoc:
    """One ALARMS row with its host-side texts (the `#: cause:` / `#: action:` lines)."""

    bit: int  # the row index: bit bit % 16 of alarm word bit // 16, discrete input 200 + bit
    code: int
    name: str
    text: str
    priority: int
    delay_s: float
    hyst: float
    latched: bool
    cause: str
    action: str

    @property
    def word(self) -> int:
        return self.bit // 16

    @property
    def word_bit(self) -> int:
        return self.bit % 16

    @property
    def priority_word(self) -> str:
        return PRIORITY_WORDS[self.priority]


PRIORITY_WORDS = {1: "critical", 2: "alarm", 3: "warning", 4: "information"}
_FIELD = re.compile(r"^(cause|action):\s*(.*)$")


def _alarm_fields(path: Path, lineno: int, lines: list[str]) -> dict[str, str]:
    fields: dict[str, list[str]] = {}
    key = None
    for ln in lines:
        m = _FIELD.match(ln)
        if m:
            key = m.group(1)
            if key in fields:
                raise DocError(f"{path}:{lineno}: alarm row has two '#: {key}:' lines")
            fields[key] = [m.group(2)]
        elif key is None:
            raise DocError(f"{path}:{lineno}: '#:' line before '#: cause:': {ln!r}")
        else:
            fields[key].append(ln)
    out = {}
    for key in ("cause", "action"):
        text = " ".join(x for x in fields.get(key, []) if x).strip()
        if not text:
            raise DocError(f"{path}:{lineno}: alarm row has no '#: {key}:' text above it")
        out[key] = text
    return out


@functools.cache
def alarms() -> tuple[AlarmDoc, ...]:
    """Every ALARMS row, in bit order, with the cause and action written above it in
    co2hr/alarms.py (`#: cause: ...`, `#: action: ...`, further `#:` lines continue the
    one before). A row without both is a DocError."""
    path = fw.FIRMWARE_DIR / "co2hr" / "alarms.py"
    src = path.read_text()
    comments = _comments(src)
    node = next((n for n in ast.walk(ast.parse(src)) if isinstance(n, ast.Assign)
                 and any(getattr(t, "id", None) == "ALARMS" for t in n.targets)), None)
    if node is None or not isinstance(node.value, ast.Tuple):
        raise DocError(f"{path}: no table ALARMS = (...)")
    if len(node.value.elts) != len(ALARMS):
        raise DocError(f"{path}: ALARMS rows in the source differ from the module's")
    out = []
    for bit, (row, a) in enumerate(zip(node.value.elts, ALARMS, strict=True)):
        lines = []
        k = row.lineno - 1
        while k in comments:
            lines.insert(0, comments[k])
            k -= 1
        f = _alarm_fields(path, row.lineno, lines)
        out.append(AlarmDoc(bit, a[0], a[1], a[2], a[3], a[4], a[5], bool(a[6]),
                            f["cause"], f["action"]))
    return tuple(out)


def alarm_by_code(code: int) -> AlarmDoc:
    for a in alarms():
        if a.code == code:
            return a
    raise KeyError(code)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _alarm_bits(k: int) -> str:
    """Word k's bits in words: bit n is ALARMS row 16k+n (a row index, not its code)."""
    rows = ALARMS[16 * k:16 * k + 16]
    return "; ".join("bit %d = alarm %d %s" % (n, a[0], a[1]) for n, a in enumerate(rows))


def describe(src: int, i: int, row: tuple) -> str:
    """Description of register row `row` = (name, unit, scale, type, access, min, max)
    from source `src` (co2hr.modbus.registers' source codes), item i."""
    name, unit = row[0], row[1]
    if src == R._S_IN:
        return "%s%s; reads -32768 (0x8000) while the signal is invalid" % (
            io_docs()[0][i], " (counts modulo 65536)" if unit == "pulses" else "")
    if src == R._S_OUT:
        return io_docs()[1][i]
    if src == R._S_STATUS:
        return docs("status")[i]
    if src == R._S_COUNTER:
        return docs("counters")[i]
    if src == R._S_DIAG:
        return docs("diag")[i]
    if src == R._S_ALARM_WORD:
        base = next(g[1] for g in R.GROUPS if g[2] == R._S_ALARM_BIT) + 16 * i
        last = base + len(ALARMS[16 * i:16 * i + 16]) - 1
        return "Active alarms, one bit each (as discrete inputs %d..%d): %s" % (
            base, last, _alarm_bits(i))
    if src in (R._S_ALARM_UNACK, R._S_ALARM_CAUSE):
        what = ("Alarms active and not acknowledged (they hold the alarm relay when "
                "priority 1-2)" if src == R._S_ALARM_UNACK else
                "Alarms whose cause is present now (also while its delay runs, and while a "
                "limit is back inside by less than its hysteresis)")
        return "%s, one bit each as in alarm_word_%d: %s" % (what, i, _alarm_bits(i))
    if src == R._S_IN_FAULT:
        return "Why %s is invalid: %s" % (INPUTS[i], ", ".join(
            "%d %s" % kv for kv in sorted(fault_words().items())))
    if src == R._S_HIST:
        if i == 0:
            return "Alarm history entries held (newest is entry 0)"
        j, w = (i - 1) // R._HIST_WORDS, (i - 1) % R._HIST_WORDS
        return ("Alarm code of history entry %d (0 = none)",
                "History entry %d: 1 raised, 0 cleared",
                "History entry %d: seconds since boot")[w] % j
    if src == R._S_IDENT:
        return docs("ident")[i]
    if src == R.S_SETTING:
        return docs("settings")[i]
    if src in (R._S_COMMAND, R._S_CMD_BIT):
        return docs("commands")[i]
    if src == R._S_UNLOCK:
        return ("Write the unlock code (unlock_code, factory code %d) to allow setting and "
                "command writes on this connection or line for unlock_timeout_s, 0 to lock "
                "again; reads the seconds left" % R.UNLOCK_CODE)
    if src == R._S_HEALTH:
        return docs("health")[i]
    if src == R._S_SESSION:
        return docs("session")[i]
    if src == R._S_BOARD:
        return docs("board")[i]
    if src == R._S_NET32:
        return docs("net32")[i] + " (high word first)"
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
        return "Read-only copy of input register %d: %s" % (i, _input_description(i, row))
    if src in (R._S_CAL_SEASON, R._S_CAL_MONTH):
        return _describe_calendar(src == R._S_CAL_MONTH, i)
    if src in (R._S_HP_CAL_SEASON, R._S_HP_CAL_MONTH):
        return "Heat pump: " + _describe_calendar(src == R._S_HP_CAL_MONTH, i, "hp_counters", 0)
    if src == R._S_HP_STATUS:
        return "Heat pump: " + docs("hp_status")[i]
    if src == R._S_HP_COUNTER:
        return "Heat pump: " + docs("hp_counters")[i]
    if src == R._S_PRICE:
        return "Heat pump: " + _describe_price(i)
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


def _describe_price(i: int) -> str:
    if i < 24:
        return (f"Price of hour {i} of the vector (first hour + {i}), any unit, signed; "
                "the vector takes effect when the first hour's low word is written")
    if i == 24:
        return "How many hours the vector holds (1..24)"
    return ("The vector's first hour, unix time / 3600 (high word first); writing its "
            "low word hands the vector to the price rule (write 300..326 in one FC 16)")


def _describe_calendar(months: bool, i: int, table: str = "counters", first: int = 1) -> str:
    """The calendar counters (co2hr.encal): slot 0 is the current month or season."""
    from co2hr.encal import SLOT_WORDS

    j, w = divmod(i, SLOT_WORDS)
    when = ("this month" if j == 0 else f"{j} month{'s' if j > 1 else ''} ago") if months \
        else ("this season" if j == 0 else f"{j} season{'s' if j > 1 else ''} ago")
    if w == 0:
        return (f"Calendar, {when}: the year (local time; 0 = no such slot yet)" if months
                else f"Calendar, {when}: the year it began (local time; 0 = no such slot yet)")
    if w == 1:
        return (f"Calendar, {when}: the month 1..12" if months else
                f"Calendar, {when}: 1 heating season (1 Oct - 31 Mar), 0 the rest of the year")
    return f"Calendar, {when}: {docs(table)[first + (w - 2) // 2]} (high word first)"


def _input_description(addr: int, row: tuple) -> str:
    for g in R.GROUPS + R.HP_GROUPS:
        if R.TABLE_NAMES[g[0]] == "input" and g[1] <= addr < g[1] + g[3] * g[4]:
            return describe(g[2], g[6] + (addr - g[1]) // g[4], row)
    raise DocError(f"the mirror copies input register {addr}, which is in no group")


# Register groups (co2hr.modbus.registers.GROUPS) by source: what `rig read`, the docs and
# the CSV call them. Settings have two groups (control, communication): by first index.
GROUP_TITLES = {
    R._S_IN: "Measurements", R._S_OUT: "Outputs", R._S_STATUS: "Status",
    R._S_COUNTER: "Counters", R._S_DIAG: "Modbus diagnostics",
    R._S_ALARM_WORD: "Active alarms", R._S_HIST: "Alarm history", R._S_HEALTH: "Health",
    R._S_SESSION: "Unlock guard of the asking line", R._S_IDENT: "Identity",
    R._S_COMMAND: "Commands", R._S_UNLOCK: "Service unlock",
    R._S_MIRROR: "Read-only mirror of the input registers",
    R._S_CMD_BIT: "Boolean commands", R._S_VALID: "Input valid flags",
    R._S_OUT_ON: "Output on flags", R._S_ALARM_BIT: "Alarm active flags",
    R._S_UNLOCKED: "Service unlock state", R._S_CODE_DEFAULT: "Factory unlock code",
    R._S_BOARD: "Boot mode and network", R._S_NET32: "Network addresses and counts",
    R._S_CAL_SEASON: "Calendar counters per season", R._S_CAL_MONTH: "Calendar counters per month",
    EV.S_CLOCK: "Clock", EV.S_CLOCK32: "Clock (32-bit)", EV.S_EVLOG32: "Event log counts",
    EV.S_EVLOG: "Event log state", EV.S_WINDOW: "Event log window",
    EV.S_CLOCKSET: "Clock set block", EV.S_FROM: "Event log window position",
    R._S_ALARM_UNACK: "Unacknowledged alarms", R._S_ALARM_CAUSE: "Alarm causes present",
    R._S_IN_FAULT: "Input fault codes",
    R._S_HP_STATUS: "Heat pump status", R._S_HP_COUNTER: "Heat pump counters",
    R._S_HP_CAL_SEASON: "Heat pump calendar counters per season",
    R._S_HP_CAL_MONTH: "Heat pump calendar counters per month",
    R._S_PRICE: "Heat pump price vector",
}


def group_title(g: tuple) -> str:
    """The title of a GROUPS row (table, base, source, count, words, access, first)."""
    if g[2] == R.S_SETTING:
        return ("Control settings" if g[6] == 0 else "Heat pump settings"
                if g[6] == R.HP_FIRST else "Communication settings")
    t = GROUP_TITLES.get(g[2])
    if t is None:
        raise DocError(f"no title for the register group at {R.TABLE_NAMES[g[0]]} {g[1]} "
                       f"(source {g[2]}): add one to rig.regs.fwdoc.GROUP_TITLES")
    return t


@dataclass(frozen=True)
class Doc:
    """A register's description, and where in the firmware's tables it came from."""

    text: str
    src: int
    index: int  # the item of its source (a setting: its SCHEMA index)

    def __str__(self) -> str:
        return self.text


def default(d: Doc):
    """The default value of a setting ("" for anything else)."""
    if d.src == R.S_SETTING:
        return R.SCHEMA[d.index][1]
    return ""


def rows() -> list[tuple]:
    """co2hr.modbus.registers.rows() with every description filled in (a Doc)."""
    return R.rows(lambda src, i, row: Doc(describe(src, i, row), src, i))
