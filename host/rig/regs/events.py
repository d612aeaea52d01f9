"""The controller's event log as the host reads it: entries from the Modbus window
(co2hr.modbus.evregs), decoded to words.

Why: `rig events`, the HIL checks and the tests must read the log exactly as a SCADA
master would (the registers, not a side door) and show it as a technician reads it:
alarm names and texts from the alarm table, setting names, units and old -> new values
from the register map, the sources (RTU, TCP, HIL link). The kinds and the meaning of
their fields are the firmware's (the `_EV_*` consts of co2hr/eventlog.py and the `#:` lines
above them, read with rig.regs.fwdoc.consts; docs/eventlog.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from co2hr import status as S
from co2hr.alarms import ALARMS
from co2hr.modbus import evregs as EV
from co2hr.modbus import registers as R
from rig.regs import codec, fwdoc, table
from rig.regs.master import Master


def _codes(prefix: str) -> dict[str, int]:
    return {n[len(prefix):]: v for n, v, _d in fwdoc.consts("eventlog.py", prefix)}


KIND = _codes("_EV_")  # "BOOT" -> 1, ...: the firmware's own numbers (co2hr/eventlog.py)
KIND_NAMES = {v: n.lower() for n, v in KIND.items()}
KIND_DOCS = {v: d for n, v, d in fwdoc.consts("eventlog.py", "_EV_")}
SOURCES = {v: d for _n, v, d in fwdoc.consts("eventlog.py", "SRC_")}
STORE = _codes("_STORE_")
RESET_CAUSES = ("unknown", "power-on: the power returned", "hard reset", "watchdog reset",
                "deep-sleep wake", "soft reset")
SETTINGS_FROM = ("the newest stored copy", "defaults (first boot)",
                 "the other stored copy (one was unusable)", "defaults (no usable copy)")
ALARM_WHAT = {0: "cleared", 1: "raised", 2: "acknowledged"}
LOCK_WHY = ("by the master", "timed out", "its connection ended")
CLOCK_BY = {1: "Modbus", 2: "NTP", 3: "the board RTC"}
_ALARM_BY_CODE = {a[0]: a for a in ALARMS}
_HOLDING = {r.addr: r for r in table.REGS if r.table == "holding" and r.addr < R.MIRROR_BASE}


@dataclass
class Entry:
    seq: int
    time_s: int  # Unix time when on_clock, else seconds since boot
    on_clock: bool
    boot: int
    kind: int  # 0: no entry (a slot a power cut tore)
    flags: int
    key: int
    a: int
    b: int
    dated_s: int | None = field(default=None)  # an uptime entry dated by a later clock set

    @property
    def source(self) -> str:
        return SOURCES.get((self.flags >> 4) & 7, "?")

    @property
    def merged(self) -> int:
        return self.flags & 15

    @property
    def kind_name(self) -> str:
        return KIND_NAMES.get(self.kind, "none" if self.kind == 0 else f"kind {self.kind}")

    def when(self) -> str:
        """The time as a technician reads it: UTC, or boot + uptime (dated when the clock
        was set later in the same boot: prefixed ~)."""
        if self.kind == 0:
            return "-"
        if self.on_clock:
            return _utc(self.time_s)
        if self.dated_s is not None:
            return "~" + _utc(self.dated_s)
        return f"boot {self.boot} +{self.time_s} s"

    def text(self) -> str:
        return describe(self)


def _utc(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _i32(hi: int, lo: int) -> int:
    v = (hi << 16) | lo
    return v - (1 << 32) if v & 0x80000000 else v


def _reg_value(addr: int, raw: int) -> tuple[str, str]:
    r = _HOLDING.get(addr)
    if r is None:
        return f"holding {addr}", str(raw)
    return r.name, codec.fmt_value(r, codec.decode(r, [raw]))


def _alarm(e: Entry) -> str:
    a = _ALARM_BY_CODE.get(e.key)
    name = f"alarm {e.key} {a[1]}" if a else f"alarm {e.key}"
    what = ALARM_WHAT.get(e.a, str(e.a))
    more = ""
    if e.merged:
        more = f" (then {e.merged} more change{'s' if e.merged > 1 else ''}, last: " \
               f"{ALARM_WHAT.get(e.b, str(e.b))})"
    return f"{name} {what}{more}" + (f": {a[2]}" if a else "")


def _setting(e: Entry) -> str:
    name, old = _reg_value(e.key, e.a)
    _n, new = _reg_value(e.key, e.b)
    more = f" ({e.merged + 1} writes)" if e.merged else ""
    return f"setting {name}: {old} -> {new}{more}"


def _command(e: Entry) -> str:
    if e.key >= len(S.COMMANDS):
        return f"command {e.key} = {e.b}"
    r = table.lookup(S.COMMANDS[e.key][0], writable=True)
    more = f" ({e.merged + 1} writes)" if e.merged else ""
    return f"command {r.name} = {codec.fmt_value(r, codec.decode(r, [e.b]))}{more}"


def _mode_word(m: int) -> str:
    enum = table.lookup("mode").enum
    return "(boot)" if m == 0xFFFF else f"{m} {enum.get(m, '?')}"


def _storage(e: Entry) -> str:
    if e.key == STORE["FIRST_BOOT"]:
        what = "first boot: the default settings written"
    elif e.key == STORE["UNUSABLE"]:
        what = "a stored settings copy was unusable: loaded " + (
            SETTINGS_FROM[e.a] if e.a < len(SETTINGS_FROM) else str(e.a))
    elif e.key == STORE["REFUSED"]:
        what = f"stored {_reg_value(e.a, 0)[0]} refused by the schema: its default kept"
    else:
        what = f"finding {e.key}"
    return f"storage: {what} ({e.b} storage faults ever)"


def _clock(e: Entry) -> str:
    by = CLOCK_BY.get(e.key & 0xFF, str(e.key & 0xFF))
    if e.key & 0x100:
        step = _i32(e.a, e.b)
        return f"clock set by {by}: moved {step:+d} s"
    return f"clock set by {by} at {(e.a << 16) | e.b} s after boot"


def _boot(e: Entry) -> str:
    cause = RESET_CAUSES[e.key] if e.key < len(RESET_CAUSES) else str(e.key)
    src = SETTINGS_FROM[e.a] if e.a < len(SETTINGS_FROM) else str(e.a)
    v = e.b
    return (f"boot {e.boot} ({cause}); settings from {src}; firmware "
            f"{v >> 11}.{(v >> 6) & 31}.{v & 63}")


_DESCRIBE = {
    KIND["BOOT"]: _boot,
    KIND["STORAGE"]: _storage,
    KIND["ALARM"]: _alarm,
    KIND["SETTING"]: _setting,
    KIND["COMMAND"]: _command,
    KIND["MODE"]: lambda e: f"mode {_mode_word(e.a)} -> {_mode_word(e.b)}",
    KIND["HP_STOP"]: lambda e: "HP stop: compressor enable released" + (
        f" at p_gc {e.a / 10:.1f} bar" if e.a != 0xFFFF else " (p_gc invalid)"),
    KIND["UNLOCK"]: lambda e: f"service unlock opened for {e.a} s",
    KIND["LOCK"]: lambda e: "service unlock closed " + (
        LOCK_WHY[e.a] if e.a < len(LOCK_WHY) else str(e.a)),
    KIND["CODE_WRONG"]: lambda e: f"wrong unlock code ({e.a} since the last unlock; the line "
                               f"waits {e.b} s)" + (f", {e.merged + 1} codes" if e.merged
                                                   else ""),
    KIND["CLOCK"]: _clock,
    KIND["LOST"]: lambda e: f"{(e.a << 16) | e.b} events not logged (rate limit or full buffer)",
}


def describe(e: Entry) -> str:
    """One entry in words (its source where a master caused it)."""
    if e.kind == 0:
        return "(no entry: a slot left unwritten by a power cut)"
    f = _DESCRIBE.get(e.kind)
    text = f(e) if f else f"{e.kind_name} key {e.key} a {e.a} b {e.b}"
    return text + (f" [{e.source}]" if (e.flags >> 4) & 7 else "")


def decode_window(words: list[int]) -> tuple[int, list[Entry]]:
    """(first seq, entries) from the WIN_WORDS words of the window (input 700..)."""
    first = (words[0] << 16) | words[1]
    n = words[2]
    out = []
    for j in range(min(n, EV.WIN_ENTRIES)):
        w = words[EV.WIN_HEAD + j * EV.ENTRY_WORDS:EV.WIN_HEAD + (j + 1) * EV.ENTRY_WORDS]
        seq = (first + j) % (1 << 30)
        if w[7] != seq & 0xFFFF:
            raise ValueError(f"event-log window entry {j}: seq word {w[7]} is not {seq}")
        out.append(Entry(seq, (w[0] << 16) | w[1], bool(w[3] & 0x80), w[2], w[3] >> 8,
                         w[3] & 0xFF, w[4], w[5], w[6]))
    return first, out


def _read_window(m: Master, start: int) -> tuple[int, list[Entry]]:
    idx = table.lookup("ev_from_seq")
    m.write_block(idx.addr, [start >> 16, start & 0xFFFF], "moving the event-log window")
    words = []
    a, end = EV.WIN_BASE, EV.WIN_BASE + EV.WIN_WORDS
    while a < end:
        q = min(table.MAX_QTY["input"], end - a)
        words += m.read_words("input", a, q)
        a += q
    return decode_window(words)


def read_events(m: Master, since: int = 0, last: int = 0) -> list[Entry]:
    """Every entry from seq `since` (0: the oldest kept), or only the `last` newest, in
    order, the uptime entries dated where a later clock set in their boot allows."""
    st = m.read([table.lookup("ev_oldest_seq"), table.lookup("ev_newest_seq")])
    oldest, newest = int(st["ev_oldest_seq"]), int(st["ev_newest_seq"])
    start = max(since, oldest)
    if last:
        start = max(start, newest - last + 1)
    out: list[Entry] = []
    while start <= newest:
        first, got = _read_window(m, start)
        if not got:
            break
        out += [e for e in got if e.seq <= newest]
        start = first + len(got)
    date_uptime_entries(out)
    return out


def date_uptime_entries(entries: list[Entry]) -> None:
    """An entry stamped with uptime (the clock was not set yet) gets dated_s when its
    boot later logs the clock's first set (which carries the uptime it was set at)."""
    sets: dict[int, tuple[int, int]] = {}
    for e in entries:
        if e.kind == KIND["CLOCK"] and not e.key & 0x100 and e.on_clock:
            sets.setdefault(e.boot, (e.time_s, (e.a << 16) | e.b))
    for e in entries:
        if not e.on_clock and e.kind and e.boot in sets:
            t, up = sets[e.boot]
            if e.time_s <= up:
                e.dated_s = t - (up - e.time_s)


def clock_state(m: Master) -> dict[str, float]:
    """The clock's input registers (co2hr.modbus.evregs CLOCK, CLOCK32) by name."""
    names = [r[0] for r in EV.CLOCK] + [r[0] for r in EV.CLOCK32]
    return m.read([table.lookup(n) for n in names])
