"""The technician's view of the register map: lookup by name, request planning, decoding
to engineering values with units and words, and range-checked encoding for writes.

Why: `rig read/watch/log/set` and the virtual rig's live view must show exactly what
the firmware serves. Everything here is derived at import from the firmware's own
table (co2hr.modbus.registers.rows(), GROUPS) and alarm table (co2hr.alarms.ALARMS);
no address, unit, scale or range is written down a second time. Enumerations
("0 Off, 1 Standby, ...") and bit fields ("Bits: 1 HP override, ...") are read from
the registers' own descriptions.
"""

from __future__ import annotations

import difflib
import math
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass, field

import rig  # noqa: F401  (puts the firmware and the micropython stand-in on sys.path)
from co2hr.alarms import ALARMS
from co2hr.modbus import registers as R
from co2hr.settings_comm import COMM_SCHEMA
from rig.regs import fwdoc

FC_READ = {"coil": 1, "discrete": 2, "holding": 3, "input": 4}
MAX_QTY = {"coil": 2000, "discrete": 2000, "holding": 125, "input": 125}
# "all" as a technician means it: every value once, in the table's order (the holding
# mirror of the input registers and the coil/discrete duplicates are left out).
ALL_TABLES = ("input", "holding")


@dataclass
class Reg:
    table: str
    addr: int
    name: str
    unit: str
    scale: int
    type: str
    access: str
    lo: float | None
    hi: float | None
    desc: str
    enum: dict[int, str] = field(default_factory=dict)
    bits: dict[int, str] = field(default_factory=dict)
    label: str = ""  # the name, or "table:name" where another table uses the same name

    @property
    def width(self) -> int:
        return 2 if self.type == "u32" else 1

    @property
    def writable(self) -> bool:
        return self.access == "rw"

    @property
    def needs_unlock(self) -> bool:
        return self.table == "holding" and any(
            g[2] == R.S_SETTING and g[1] <= self.addr < g[1] + g[3] * g[4] for g in R.GROUPS)

    @property
    def is_comm(self) -> bool:
        """A communication setting (address, baud, parity ...): it takes effect right
        after the answer to the write that changed it."""
        return self.needs_unlock and self.name in {row[0] for row in COMM_SCHEMA}

    def range_text(self) -> str:
        u = (" " + self.unit) if self.unit else ""
        return f"{_num(self.lo)}..{_num(self.hi)}{u}"


_ENUM_ITEM = re.compile(r"(-?\d+) ([A-Za-z][^,();]*)")


def _parse_words(desc: str) -> tuple[dict[int, str], dict[int, str]]:
    """Enumeration or bit names from a description: 'Active mode: 0 Off, 1 Standby' or
    'Bits: 1 HP override, 2 comp stop'. Needs at least two items, the first 0 (enum)."""
    body = desc.split(":", 1)[1] if ":" in desc else desc
    items = [(int(m.group(1)), m.group(2).strip()) for m in _ENUM_ITEM.finditer(body)]
    if len(items) < 2:
        return {}, {}
    if desc.startswith("Bits:"):
        return {}, dict(items)
    if items[0][0] != 0:
        return {}, {}
    return dict(items), {}


def _opt(v) -> float | None:
    return None if v == "" else float(v)


def _num(v: float | None) -> str:
    if v is None:
        return "?"
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def _load() -> tuple[list[Reg], dict[str, Reg]]:
    regs: list[Reg] = []
    by_name: dict[str, Reg] = {}
    for r in fwdoc.rows():
        table, addr = r[0], r[1]
        if table == "holding" and addr >= R.MIRROR_BASE:
            continue
        g = Reg(table, addr, r[2], r[3], int(r[4] or 1), r[5], r[6], _opt(r[7]), _opt(r[8]),
                r[9])
        if g.scale == 1 and g.type in ("u16", "i16"):
            g.enum, g.bits = _parse_words(g.desc)
        g.label = g.name if g.name not in by_name else f"{table}:{g.name}"
        regs.append(g)
        by_name.setdefault(g.name, g)  # input before holding before coil/discrete
        by_name.setdefault(g.label, g)
    return regs, by_name


REGS, BY_NAME = _load()
ALARM_TEXT = {i: (a[0], a[1], a[2], a[3]) for i, a in enumerate(ALARMS)}  # bit -> row
ALARM_BY_CODE = {a[0]: a for a in ALARMS}


class UnknownRegister(KeyError):
    def __init__(self, name: str):
        close = difflib.get_close_matches(name, list(BY_NAME), n=3, cutoff=0.6)
        if not close:
            close = [n for n in BY_NAME if name.lower() in n][:3]
        hint = f"; did you mean {', '.join(close)}?" if close else \
            "; `rig read` lists every register"
        super().__init__(f"no register named {name!r} in this firmware's map{hint}")
        self.msg = str(self.args[0])

    def __str__(self) -> str:
        return self.msg


def lookup(name: str, writable: bool = False) -> Reg:
    """A register by name ("table:name" picks one of two that share a name); with
    writable, the writable one of a shared name (a setting named like an output)."""
    r = BY_NAME.get(name)
    if r is None:
        raise UnknownRegister(name)
    if writable and not r.writable:
        for o in REGS:
            if o.name == r.name and o.writable:
                return o
    return r


def all_regs() -> list[Reg]:
    seen: set[tuple[str, str]] = set()
    out = []
    for r in REGS:
        if r.table in ALL_TABLES and (r.table, r.name) not in seen:
            seen.add((r.table, r.name))
            out.append(r)
    return out


def plan(regs: list[Reg]) -> list[tuple[str, int, int, list[Reg]]]:
    """Contiguous requests: (table, start, qty, members). Holes in a group (the low
    word of a u32) are read along, never across two groups' gap."""
    items = sorted({(r.table, r.addr): r for r in regs}.values(),
                   key=lambda r: (r.table, r.addr))
    out: list[tuple[str, int, int, list[Reg]]] = []
    for r in items:
        if out:
            t, a0, q, mem = out[-1]
            end = r.addr + r.width
            gap = r.addr > a0 + q
            if t == r.table and end - a0 <= MAX_QTY[t] and _same_group(mem[-1], r) \
                    and not (gap and t == "coil"):
                out[-1] = (t, a0, max(q, end - a0), mem + [r])
                continue
        out.append((r.table, r.addr, r.width, [r]))
    return out


def _group_of(r: Reg) -> int:
    tno = R.TABLE_NAMES.index(r.table)
    for k, g in enumerate(R.GROUPS):
        if g[0] == tno and g[1] <= r.addr < g[1] + g[3] * g[4]:
            return k
    return -1


_GROUP_CACHE: dict[tuple[str, int], int] = {}


def _same_group(a: Reg, b: Reg) -> bool:
    def gk(r: Reg) -> int:
        k = (r.table, r.addr)
        if k not in _GROUP_CACHE:
            _GROUP_CACHE[k] = _group_of(r)
        return _GROUP_CACHE[k]

    return gk(a) == gk(b) and gk(a) >= 0


def decode(r: Reg, words: list[int]) -> float:
    """Raw register word(s) -> engineering value; NaN for an invalid input signal."""
    if r.type == "bit":
        return float(words[0] & 1)
    if r.type == "u32":
        return float((words[0] << 16) | words[1]) / r.scale
    x = words[0] & 0xFFFF
    if r.table == "input" and r.addr < 100 and x == R.INVALID:
        return math.nan
    if r.type == "i16" and x > 32767:
        x -= 0x10000
    return x / r.scale


def fmt_value(r: Reg, v: float) -> str:
    """A value as a technician reads it: number with unit, 'INVALID', words."""
    if isinstance(v, float) and math.isnan(v):
        return "INVALID (sensor fault / signal out of range)"
    iv = int(v) if float(v).is_integer() else None
    if r.name.startswith("alarm_word_") and iv is not None:
        k = int(r.name.rsplit("_", 1)[1])
        act = [ALARM_TEXT[16 * k + b] for b in range(16) if iv >> b & 1 and 16 * k + b in
               ALARM_TEXT]
        return f"0x{iv:04x}" + ("  " + "; ".join(f"{a[0]} {a[2]}" for a in act) if act else "")
    if r.name.endswith("_code") and r.name.startswith("alarm_hist_") and iv:
        a = ALARM_BY_CODE.get(iv)
        return f"{iv} ({a[2]})" if a else str(iv)
    if r.enum and iv is not None and iv in r.enum:
        return f"{iv} ({r.enum[iv]})"
    if r.bits and iv is not None:
        on = [t for b, t in r.bits.items() if iv & b]
        return f"{iv}" + (f" ({', '.join(on)})" if on else "")
    if r.scale == 1:
        s = str(int(v))
    else:
        s = f"{v:.{max(0, len(str(r.scale)) - 1)}f}"
    return s + (f" {r.unit}" if r.unit else "")


def active_alarms(values: dict[str, float]) -> list[tuple]:
    """ALARMS rows active per the alarm words in values (names alarm_word_k)."""
    out = []
    for n, v in values.items():
        if n.startswith("alarm_word_") and not math.isnan(v):
            k = int(n.rsplit("_", 1)[1])
            for b in range(16):
                if int(v) >> b & 1 and 16 * k + b < len(ALARMS):
                    out.append(ALARMS[16 * k + b])
    return out


class OutOfRange(ValueError):
    pass


class ReadOnly(ValueError):
    pass


def encode(r: Reg, value: str | float) -> int:
    """A value typed by a technician -> the raw word to send, checked against the
    register's range from the table (refused before anything is sent)."""
    if not r.writable:
        raise ReadOnly(f"{r.name} is read-only ({r.table} register {r.addr}); "
                       "settings and commands are the holding registers 0..600")
    text = str(value).strip()
    v: float | None = None
    if r.enum:
        for k, word in r.enum.items():
            if text.lower() == word.lower():
                v = float(k)
    if v is None:
        try:
            v = float(text)
        except ValueError:
            choices = (" (or one of: " + ", ".join(r.enum.values()) + ")") if r.enum else ""
            raise OutOfRange(f"{r.name}: {text!r} is not a number{choices}") from None
    if not math.isfinite(v):
        raise OutOfRange(f"{r.name}: {text!r} is not a number")
    if (r.lo is not None and v < r.lo) or (r.hi is not None and v > r.hi):
        raise OutOfRange(f"{r.name} = {text} refused, not sent: allowed {r.range_text()}")
    raw = int(round(v * r.scale))
    if abs(raw - v * r.scale) > 1e-6 * max(1.0, abs(v * r.scale)):
        step = 1.0 / r.scale
        raise OutOfRange(f"{r.name} = {text} refused, not sent: resolution is {step:g}"
                         + (f" {r.unit}" if r.unit else ""))
    return raw & 0xFFFF


def read_pdu(pdu: Callable[[bytes], bytes | None], regs: list[Reg]) -> dict[str, float]:
    """Read registers through a raw PDU exchange (a target's modbus(), in-process):
    the same plan and decoding as over the wire. Raises OSError on no reply or an
    exception response."""
    out: dict[str, float] = {}
    for table, addr, qty, members in plan(regs):
        fc = FC_READ[table]
        resp = pdu(struct.pack(">BHH", fc, addr, qty))
        if not resp or resp[0] & 0x80:
            raise OSError(f"function {fc} at {table} {addr}: "
                          + ("no reply" if not resp else f"exception {resp[1]}"))
        if fc in (3, 4):
            words = list(struct.unpack(">%dH" % qty, resp[2:2 + 2 * qty]))
        else:
            words = [(resp[2 + i // 8] >> (i % 8)) & 1 for i in range(qty)]
        for r in members:
            off = r.addr - addr
            out[r.label] = decode(r, words[off:off + r.width])
    return {r.label: out[r.label] for r in regs}
