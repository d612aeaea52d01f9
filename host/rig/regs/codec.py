"""Register values: raw words -> engineering values (NaN for an invalid input signal),
values -> what a technician reads (units, words, alarm texts), and a typed value ->
the raw word to send, range-checked against the firmware's table before anything is
sent."""

from __future__ import annotations

import math

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
