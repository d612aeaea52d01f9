"""The register map as the host sees it: every register by name, and requests planned
over them.

Why: `rig read/watch/log/set`, the virtual rig's live view and the HIL runner must
show exactly what the firmware serves. Everything here is derived at import from the
firmware's own table (co2hr.modbus.registers.rows(), GROUPS); no address, unit, scale
or range is written down a second time. Enumerations ("0 Off, 1 Standby, ...") and
bit fields ("Bits: 1 HP override, ...") are read from the registers' own descriptions
(rig.regs.fwdoc). Values are decoded and encoded by rig.regs.codec.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from co2hr.modbus import registers as R
from co2hr.settings_comm import COMM_SCHEMA
from rig.regs import fwdoc

# The most one read request may ask for (Modbus application protocol, FC 1-4).
MAX_QTY = {"coil": 2000, "discrete": 2000, "holding": 125, "input": 125}
# "all" as a technician means it: every value once, in the table's order (the holding
# mirror of the input registers and the coil/discrete duplicates are left out).
ALL_TABLES = ("input", "holding")


# Modbus function codes per table: (read, write) as integrators' tools name them.
FUNCTION_CODES = {"coil": ("1", "5/15"), "discrete": ("2", ""), "holding": ("3", "6/16"),
                  "input": ("4", "")}
# Classic 1-based references ("40001" = holding register 0); six digits past 9998.
REFERENCE_PREFIX = {"coil": 0, "discrete": 1, "input": 3, "holding": 4}


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
    group: str = ""  # the title of its register group (rig.regs.fwdoc.group_title)
    default: float | str = ""  # a setting's default ("" for anything else)
    src: int = 0  # its source in co2hr.modbus.registers (what the value is)
    app: str = ""  # the one application that serves it ("heatpump", "supermarket"); "": both

    @property
    def width(self) -> int:
        return 2 if self.type == "u32" else 1

    @property
    def writable(self) -> bool:
        return self.access == "rw"

    @property
    def needs_unlock(self) -> bool:
        return R.needs_unlock(R.TABLE_NAMES.index(self.table), self.addr)

    @property
    def is_comm(self) -> bool:
        """A communication setting (address, baud, parity ...): it takes effect right
        after the answer to the write that changed it."""
        return self.table == "holding" and self.name in {row[0] for row in COMM_SCHEMA}

    @property
    def is_command(self) -> bool:
        """A command (holding 500.. or its coil): it acts when written, reads back the
        last value (or 0), and is not stored."""
        return self.src in (R._S_COMMAND, R._S_CMD_BIT)

    @property
    def reference(self) -> str:
        """The 1-based reference of register-numbering tools (30001 = input 0)."""
        digits = 5 if MAX_ADDR < 9999 else 6
        n = REFERENCE_PREFIX[self.table] * 10 ** (digits - 1) + self.addr + 1
        return str(n).zfill(digits)

    @property
    def word_order(self) -> str:
        return "high word first" if self.width == 2 else ""

    @property
    def unit_multiple(self) -> tuple[int, str]:
        """(multiplier, unit) of a register counting in multiples of its unit ("100 baud"
        -> (100, "baud")); (1, unit) otherwise."""
        m = _UNIT_MULT.match(self.unit)
        return (int(m.group(1)), m.group(2)) if m else (1, self.unit)

    def range_text(self) -> str:
        mult, unit = self.unit_multiple
        u = (" " + unit) if unit else ""
        if mult != 1 and self.lo is not None and self.hi is not None:
            return (f"{_num(self.lo * mult)}..{_num(self.hi * mult)}{u} (written as "
                    f"{_num(self.lo)}..{_num(self.hi)})")
        return f"{_num(self.lo)}..{_num(self.hi)}{u}"


_UNIT_MULT = re.compile(r"^(\d+) (\S+)$")  # "100 baud": the value counts hundreds of baud
_ITEM = re.compile(r"^(-?\d+) (\S.*)$")


def _parse_words(desc: str) -> tuple[dict[int, str], dict[int, str]]:
    """Enumeration or bit names from a description that lists them after its colon (or
    is nothing but the list): 'Active mode: 0 Off, 1 Standby', '0 subcritical, 1
    transition', 'Bits: 1 HP override, 2 comp stop', '1 while ...; 2 while ...'. At least
    two distinct values, the lowest 0 or 1 (bits: any)."""
    body = desc.split(":", 1)[1] if ":" in desc else desc
    items = []
    for part in re.split(r"[,;] ", body.strip()):
        m = _ITEM.match(part.strip())
        if m is None:
            return {}, {}
        word = m.group(2).strip()
        items.append((int(m.group(1)), word[6:] if word.startswith("while ") else word))
    values = [v for v, _w in items]
    if len(items) < 2 or len(set(values)) != len(values):
        return {}, {}
    if desc.startswith("Bits:"):
        return {}, dict(items)
    if min(values) not in (0, 1):
        return {}, {}
    return dict(items), {}


def _opt(v) -> float | None:
    return None if v == "" else float(v)


def _num(v: float | None) -> str:
    if v is None:
        return "?"
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


# Every group of either application, in the firmware's order.
_GROUPS = R.GROUPS + R.HP_GROUPS


def _group_at(tno: int, addr: int) -> int:
    """The index in _GROUPS of the group holding (table number, address), or -1."""
    for k, g in enumerate(_GROUPS):
        if g[0] == tno and g[1] <= addr < g[1] + g[3] * g[4]:
            return k
    return -1


def _group_of(r: Reg) -> int:
    return _group_at(R.TABLE_NAMES.index(r.table), r.addr)


def _reg(r: tuple, label: str) -> Reg:
    doc = r[9]
    g = Reg(r[0], r[1], r[2], r[3], int(r[4] or 1), r[5], r[6], _opt(r[7]), _opt(r[8]),
            str(doc), label=label, default=fwdoc.default(doc), src=doc.src)
    k = _group_of(g)
    g.group = fwdoc.group_title(_GROUPS[k]) if k >= 0 else ""
    if g.scale == 1 and g.type in ("u16", "i16", "u32"):
        g.enum, g.bits = _parse_words(g.desc)
    return g


_SERVED = {"supermarket": R.served(0), "heatpump": R.served(1)}


def _app_of(table: str, addr: int) -> str:
    """The application that alone serves this register (co2hr.modbus.registers.served),
    or "" for one that both serve. A mirror is its input register's."""
    t = R.TABLE_NAMES.index(table)
    if table == "holding" and addr >= R.MIRROR_BASE:
        t, addr = R.TABLE_NAMES.index("input"), addr - R.MIRROR_BASE
    k = _group_at(t, addr)
    apps = [a for a, groups in _SERVED.items() if k >= 0 and _GROUPS[k] in groups]
    return apps[0] if len(apps) == 1 else ""


def _load() -> tuple[list[Reg], dict[str, Reg], list[Reg]]:
    regs: list[Reg] = []
    by_name: dict[str, Reg] = {}
    mirror: list[Reg] = []
    for r in fwdoc.rows():
        table, addr, name = r[0], r[1], r[2]
        if table == "holding" and addr >= R.MIRROR_BASE:
            m = _reg(r, f"mirror:{name}")
            m.app = _app_of(table, addr)
            mirror.append(m)
            continue
        g = _reg(r, name if name not in by_name else f"{table}:{name}")
        g.app = _app_of(table, addr)
        regs.append(g)
        by_name.setdefault(g.name, g)  # input before holding before coil/discrete
        by_name.setdefault(g.label, g)
    return regs, by_name, mirror


# Every register but the mirror, in the table's order; by name and label; the read-only
# holding copy of the input registers (for masters that only use FC3).
REGS, BY_NAME, MIRROR = _load()
MAX_ADDR = max(r.addr + r.width - 1 for r in REGS + MIRROR)

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


def all_regs(app: str = "supermarket") -> list[Reg]:
    """Every value once, as a technician means "all": the input and holding registers
    of the application's map in the table's order (the coil and discrete duplicates
    left out)."""
    seen: set[tuple[str, str]] = set()
    out = []
    for r in REGS:
        if r.app and r.app != app:
            continue
        if r.table in ALL_TABLES and (r.table, r.name) not in seen:
            seen.add((r.table, r.name))
            out.append(r)
    return out


def every_register(table: str, app: str = "supermarket") -> list[Reg]:
    """Every register of one table as the application's firmware serves it, the holding
    mirror included: what a master polling "everything" reads."""
    return [r for r in REGS + MIRROR if r.table == table and r.app in ("", app)]


def plan(regs: list[Reg], gaps: bool = True) -> list[tuple[str, int, int, list[Reg]]]:
    """Requests covering regs: (table, start, qty, members), never across two groups.
    gaps: holes inside a group (between two registers asked for) are read along (not for
    coils); otherwise a request covers only registers asked for, back to back."""
    items = sorted({(r.table, r.addr): r for r in regs}.values(),
                   key=lambda r: (r.table, r.addr))
    out: list[tuple[str, int, int, list[Reg]]] = []
    for r in items:
        if out:
            t, a0, q, mem = out[-1]
            end = r.addr + r.width
            gap = r.addr > a0 + q
            if t == r.table and end - a0 <= MAX_QTY[t] and _same_group(mem[-1], r) \
                    and not (gap and (t == "coil" or not gaps)):
                out[-1] = (t, a0, max(q, end - a0), mem + [r])
                continue
        out.append((r.table, r.addr, r.width, [r]))
    return out

_GROUP_CACHE: dict[tuple[str, int], int] = {}


def _same_group(a: Reg, b: Reg) -> bool:
    def gk(r: Reg) -> int:
        k = (r.table, r.addr)
        if k not in _GROUP_CACHE:
            _GROUP_CACHE[k] = _group_of(r)
        return _GROUP_CACHE[k]

    return gk(a) == gk(b) and gk(a) >= 0
