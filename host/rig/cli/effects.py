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
from rig.regs import codec, table
from rig.regs.table import Reg

TICK_WAIT_S = 2.5  # longest wait for the next control tick (boards tick every 1 s)


def _alarm_words() -> list[Reg]:
    return [r for r in table.REGS if r.name.startswith("alarm_word_")]


def _output(name: str) -> Reg | None:
    r = table.BY_NAME.get(name)
    return r if r is not None and r.table == "input" and r.name in OUTPUTS else None


def watched(cmd: Reg) -> list[Reg]:
    """The registers command `cmd` acts on (read before and after it)."""
    if cmd.name == "alarm_ack":
        out = _alarm_words()
        relay = _output("alarm_relay")
        return out + ([relay] if relay else [])
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


def _alarm_line(a: tuple) -> str:
    return f"{a[0]} {a[2]}"


def _ack_report(before: dict, after: dict) -> list[str]:
    was = codec.active_alarms({k: v for k, v in before.items() if k.startswith("alarm_word")})
    now = codec.active_alarms({k: v for k, v in after.items() if k.startswith("alarm_word")})
    if not was:
        lines = ["alarm_ack: no alarm was active, nothing to acknowledge"]
    else:
        cleared = [a for a in was if a not in now]
        lines = [f"alarm_ack: {len(was)} active alarm(s) acknowledged"]
        lines += [f"  cleared: {_alarm_line(a)}" for a in cleared]
    lines += [f"  still active (its cause is still present): {_alarm_line(a)}" for a in now]
    return lines


def report(cmd: Reg, value: str, before: dict, after: dict) -> list[str]:
    """The effect of writing value to command cmd, from the watched registers."""
    if cmd.name == "alarm_ack":
        lines = _ack_report(before, after)
        rest = [r for r in watched(cmd) if not r.name.startswith("alarm_word")]
    else:
        lines = [f"{cmd.label} = {value} written"]
        rest = watched(cmd)
    for r in rest:
        b, a = before[r.label], after[r.label]
        change = f"{codec.fmt_value(r, b)} -> {codec.fmt_value(r, a)}" if a != b else \
            f"{codec.fmt_value(r, a)} (unchanged)"
        lines.append(f"  {r.label}: {change}")
    return lines
