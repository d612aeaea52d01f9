"""What a command did: `rig set` of a command (alarm_ack, a manual value, ...) reads the
registers the command acts on before and after it and says what changed.

Why: a command register reads back what was last written, or 0 (`alarm_ack: 0 -> 0`
says nothing). The technician wants the effect: which alarms the acknowledgement
cleared and which stay active (their cause is still there), what a manual value did to
its output. The firmware acts on a command at once and its outputs follow at the next
control tick, so the "after" values are read once a tick has passed.
"""

from __future__ import annotations

import time

from co2hr.io import OUTPUTS
from co2hr.modes import MANUAL
from rig.regs import alarmstate, codec, fwdoc, table
from rig.regs.table import Reg

TICK_WAIT_S = 2.5  # longest wait for the next control tick (boards tick every 1 s)


def _output(name: str) -> Reg | None:
    r = table.BY_NAME.get(name)
    return r if r is not None and r.table == "input" and r.name in OUTPUTS else None


def watched(cmd: Reg) -> list[Reg]:
    """The registers command `cmd` acts on (read before and after it)."""
    if cmd.name in ("alarm_ack", "alarm_ack_code"):
        return alarmstate.regs()
    if cmd.name == "alarm_hist_clear":
        return [table.lookup("alarm_hist_len")]
    if cmd.name == "manual_release":
        return [r for r in (_output(n) for n in OUTPUTS) if r] + [table.lookup("manual_left_s")]
    if cmd.name.startswith("man_"):
        out = _output(cmd.name[4:])
        return ([out] if out else []) + [table.lookup(n) for n in ("manual_left_s", "mode")]
    return []


def wait_tick(read) -> None:
    """Return once the controller has run a control tick (uptime_s moved), or after
    TICK_WAIT_S. read(regs) -> values."""
    up = table.lookup("input:uptime_s")
    t0 = read([up])[up.label]
    t_end = time.monotonic() + TICK_WAIT_S
    while time.monotonic() < t_end:
        time.sleep(0.1)
        if read([up])[up.label] != t0:
            return


def manual_warning(mode: float) -> str:
    """The warning for a manual value written outside mode Manual (it is stored and
    flagged by alarm manual_idle, but does nothing)."""
    words = table.lookup("mode").enum.get(int(mode), str(int(mode)))
    a = next(a for a in fwdoc.alarms() if a.name == "manual_idle")
    return (f"warning: mode is {words}, not Manual: the manual value is stored but does "
            f"nothing until mode_cmd is Manual ({MANUAL}) (alarm {a.code} {a.name} while it "
            "waits; manual_release 1 removes it)")


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def report(cmd: Reg, value: str, before: dict, after: dict) -> list[str]:
    """The effect of writing value to command cmd, from the watched registers."""
    if cmd.name in ("alarm_ack", "alarm_ack_code"):
        v = _number(value)
        if cmd.name == "alarm_ack" and v is not None and v < 0.5:
            return ["alarm_ack = 0 written: only 1 acknowledges"]
        return alarmstate.ack_report(before, after, int(v) if cmd.name == "alarm_ack_code"
                                     and v is not None else None)
    lines = [f"{cmd.label} = {value} written"]
    rest = watched(cmd)
    mode = after.get("mode")
    v = _number(value)
    if cmd.name.startswith("man_") and (v is None or v >= 0) and mode is not None \
            and int(mode) != MANUAL:
        lines.append(manual_warning(mode))
    for r in rest:
        b, a = before[r.label], after[r.label]
        change = f"{codec.fmt_value(r, b)} -> {codec.fmt_value(r, a)}" if a != b else \
            f"{codec.fmt_value(r, a)} (unchanged)"
        lines.append(f"  {r.label}: {change}")
    return lines
