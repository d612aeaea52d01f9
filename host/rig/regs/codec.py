"""Register values: raw words -> engineering values (NaN for an invalid input signal),
values -> what a technician reads (units, words, alarm texts), and a typed value ->
the raw word to send, range-checked against the firmware's table before anything is
sent."""

from __future__ import annotations

import math
import re

from co2hr.alarms import ALARMS
from co2hr.io import N_IN
from co2hr.modbus import registers as R
from rig.regs.table import Reg

ALARM_TEXT = {i: (a[0], a[1], a[2], a[3]) for i, a in enumerate(ALARMS)}  # bit -> row
ALARM_BY_CODE = {a[0]: a for a in ALARMS}


def decode(r: Reg, words: list[int]) -> float:
    """Raw register word(s) -> engineering value; NaN for an invalid input signal."""
    if r.type == "bit":
        return float(words[0] & 1)
    if r.type == "u32":
        return float((words[0] << 16) | words[1]) / r.scale
    x = words[0] & 0xFFFF
    if r.table == "input" and r.addr < N_IN and x == R.INVALID:  # an input signal
        return math.nan
    if r.type == "i16" and x > 32767:
        x -= 0x10000
    return x / r.scale


_ONE_IS = re.compile(r"\(1 = ([^)]+)\)")  # "HP safety switch closed (1 = healthy)"


def is_switch(r: Reg) -> bool:
    """A 0/1 value a technician reads as off/on: a digital input, a relay output, an on/off
    setting or status (not a command, which reads what was last written)."""
    if r.scale != 1 or r.type == "u32" or r.unit or r.enum or r.bits:
        return False
    if r.table == "input" and r.addr < N_IN:
        return True
    return (r.lo, r.hi) == (0.0, 1.0) and (r.table == "input" or r.default != "")


_ALARM_WORD = re.compile(r"^alarm_(unacked_|cause_)?word_\d+$")


def is_alarm_word(r: Reg) -> bool:
    """One of the alarm words: active, active and not acknowledged, cause present."""
    return bool(_ALARM_WORD.match(r.name))


def words(r: Reg, v: float) -> str:
    """What a value means, in words ("" when the number says it all): the name of an
    enumerated value, the flags of a bit field, on/off, the active alarms of a word."""
    if isinstance(v, float) and math.isnan(v):
        return "INVALID (sensor fault / signal out of range)"
    iv = int(v) if float(v).is_integer() else None
    if iv is None:
        return ""
    if is_alarm_word(r):
        k = int(r.name.rsplit("_", 1)[1])
        act = [ALARM_TEXT[16 * k + b] for b in range(16) if iv >> b & 1 and 16 * k + b in
               ALARM_TEXT]
        return "; ".join(f"{a[0]} {a[2]}" for a in act)
    if r.name.endswith("_code") and r.name.startswith("alarm_hist_") and iv:
        a = ALARM_BY_CODE.get(iv)
        return a[2] if a else ""
    if r.enum:
        return r.enum.get(iv, "none" if iv == 0 else "")  # (a list that starts at 1)
    if r.bits:
        return ", ".join(t for b, t in r.bits.items() if iv & b)
    if is_switch(r) and iv in (0, 1):
        m = _ONE_IS.search(r.desc)
        if m:
            return m.group(1) if iv else "NOT " + m.group(1)
        return "on" if iv else "off"
    return ""


def _duration(s: float) -> str:
    m = int(s) // 60
    if m >= 60 * 48:
        return f"{m // 1440} d {m // 60 % 24} h"
    return f"{m // 60} h {m % 60:02d} min" if m >= 60 else f"{m} min {int(s) % 60:02d} s"


def fmt_number(r: Reg, v: float) -> str:
    """The number with its unit, at the register's resolution ("84.0 bar", "19200 baud")."""
    if isinstance(v, float) and math.isnan(v):
        return "INVALID"
    mult, unit = r.unit_multiple
    if r.desc.startswith("CRC") and float(v).is_integer():
        return f"0x{int(v):04x}"
    if is_alarm_word(r) and float(v).is_integer():
        return f"0x{int(v):04x}"
    if r.scale == 1:
        s = str(int(v) * mult)
    else:
        s = f"{v:.{max(0, len(str(r.scale)) - 1)}f}"
    if unit == "s" and v >= 120:
        return f"{s} s ({_duration(v)})"
    return s + (f" {unit}" if unit else "")


def fmt_value(r: Reg, v: float) -> str:
    """A value as a technician reads it: number with unit, 'INVALID', words."""
    if isinstance(v, float) and math.isnan(v):
        return words(r, v)
    w = words(r, v)
    n = fmt_number(r, v)
    if is_alarm_word(r):
        return n + (f"  {w}" if w else "")
    return f"{n} ({w})" if w else n


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
    if is_switch(r) and text.lower() in ("on", "off"):
        v = 1.0 if text.lower() == "on" else 0.0
    mult, unit = r.unit_multiple
    if v is None and mult != 1 and unit and text.endswith(" " + unit):
        try:  # "19200 baud" for a register counting hundreds of baud
            v = float(text[:-len(unit)]) / mult
        except ValueError:
            pass
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
        mult, unit = r.unit_multiple
        step = mult / r.scale
        raise OutOfRange(f"{r.name} = {text} refused, not sent: resolution is {step:g}"
                         + (f" {unit}" if unit else ""))
    return raw & 0xFFFF
