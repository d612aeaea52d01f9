"""The controller's alarms as a technician needs them: each alarm's state from the
device (active, acknowledged, its cause present now) with the table's texts (what is
wrong, its likely cause, what to do), and what an acknowledgement changed.

Why: the alarm words say only which bits are set. The firmware serves three words per
16 alarms (input 500.. active, 1000.. active and not acknowledged, 1010.. cause present)
and, per input, why it is invalid (input 1020..); the texts come from the firmware's
alarm table and the `#: cause:` / `#: action:` lines above each row (rig.regs.fwdoc),
the same that docs/alarms.md is generated from. `rig alarms`, `rig ack`, `rig set
alarm_ack` and `rig commission` all read alarms through here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from co2hr.alarms import ALARMS, SENSOR_ALARMS
from co2hr.io import INPUTS
from rig.regs import fwdoc, table
from rig.regs.fwdoc import AlarmDoc
from rig.regs.table import Reg

N_WORDS = (len(ALARMS) + 15) // 16
_KINDS = ("alarm_word_%d", "alarm_unacked_word_%d", "alarm_cause_word_%d")
# alarm row -> the input whose validity it reports (the firmware's own pairing)
SENSOR_INPUT = {a: INPUTS[i] for i, a in SENSOR_ALARMS}


def regs() -> list[Reg]:
    """What to read for the alarm states: the three word kinds, the inputs' fault codes,
    the alarm relay and the alarm history (for when each alarm was raised)."""
    out = [table.lookup(k % w) for k in _KINDS for w in range(N_WORDS)]
    out += [table.lookup(n + "_fault") for n in INPUTS]
    out += [table.lookup("alarm_relay"), table.lookup("input:uptime_s"),
            table.lookup("alarm_hist_len"), table.lookup("alarm_relay_mask")]
    out += [r for r in table.REGS if r.name.startswith("alarm_hist_") and r.name.endswith(
        ("_code", "_event", "_time_s"))]
    return out


@dataclass(frozen=True)
class State:
    doc: AlarmDoc
    active: bool
    unacked: bool
    cause: bool
    fault: str = ""  # sensor alarms: why their input is invalid, in words
    raised_ago_s: float | None = None  # seconds since the alarm history's newest raise

    @property
    def pending(self) -> bool:
        """Cause present, delay still running (or a latched one after its ack)."""
        return self.cause and not self.active

    def why_active(self) -> str:
        """Why the alarm is still active, in words."""
        if self.cause:
            return "cause present" + (f" ({self.fault})" if self.fault else "")
        if self.unacked and self.doc.latched:
            return "latched: cause gone, waits for an acknowledgement"
        return "cause gone: clears at the next control tick"

    def state_words(self) -> str:
        ack = "not acknowledged" if self.unacked else "acknowledged"
        return f"{ack}, {self.why_active()}"


def _bit(values: dict[str, float], kind: int, bit: int) -> bool:
    v = values.get(_KINDS[kind] % (bit // 16), math.nan)
    return not math.isnan(v) and bool(int(v) >> (bit % 16) & 1)


def _fault_words(values: dict[str, float], name: str) -> str:
    v = values.get(name + "_fault", math.nan)
    if math.isnan(v) or int(v) == 0:
        return ""
    return f"{name}: {fwdoc.fault_words().get(int(v), 'fault code %d' % int(v))}"


def _raised_ago(values: dict[str, float], code: int) -> float | None:
    n = int(values.get("alarm_hist_len", 0) or 0)
    up = values.get("input:uptime_s", values.get("uptime_s", math.nan))
    for j in range(n):  # newest first
        if (values.get(f"alarm_hist_{j}_code") == code
                and values.get(f"alarm_hist_{j}_event") == 1 and not math.isnan(up)):
            return max(0.0, up - values.get(f"alarm_hist_{j}_time_s", up))
    return None


def states(values: dict[str, float]) -> list[State]:
    """Every alarm of the table, in bit order, as the values (of regs()) show it."""
    out = []
    for a in fwdoc.alarms():
        inp = SENSOR_INPUT.get(a.bit)
        out.append(State(a, _bit(values, 0, a.bit), _bit(values, 1, a.bit),
                         _bit(values, 2, a.bit), _fault_words(values, inp) if inp else "",
                         _raised_ago(values, a.code)))
    return out


def _switches_relay(values: dict[str, float], priority: int) -> bool:
    """The priority has its bit in the setting alarm_relay_mask (default 3: 1 and 2)."""
    return bool((int(values.get("alarm_relay_mask", 3)) >> (priority - 1)) & 1)


def holding_relay(values: dict[str, float]) -> list[State]:
    """The alarms that hold the alarm relay: active, not acknowledged, a priority in
    alarm_relay_mask."""
    return [s for s in states(values)
            if s.active and s.unacked and _switches_relay(values, s.doc.priority)]


def relay_on(values: dict[str, float]) -> bool:
    return values.get("alarm_relay", 0) >= 0.5


def headline(a: AlarmDoc) -> str:
    return f"{a.code} {a.name} ({a.priority_word}{', latched' if a.latched else ''}): {a.text}"


def ack_report(before: dict[str, float], after: dict[str, float],
               code: int | None = None) -> list[str]:
    """What an acknowledgement (all, or the alarm `code`) did: which alarms it
    acknowledged, which of them cleared, which stay active and why."""
    was = {s.doc.code: s for s in states(before)}
    now = {s.doc.code: s for s in states(after)}
    aimed = [c for c, s in was.items() if s.active and (code is None or c == code)]
    lines = []
    if code is not None and code not in aimed:
        lines.append(f"alarm {code} {fwdoc.alarm_by_code(code).name} is not active: "
                     "nothing to acknowledge")
    elif not aimed:
        lines.append("no alarm was active: nothing to acknowledge")
    for c in aimed:
        s0, s1 = was[c], now[c]
        new = "acknowledged" if s0.unacked else "was acknowledged already"
        if not s1.active:
            lines.append(f"cleared: {headline(s1.doc)} ({new})")
        else:
            relay = s0.unacked and _switches_relay(before, s1.doc.priority)
            lines.append(f"still active: {s1.why_active()}: {headline(s1.doc)} ({new}"
                         f"{', no longer holds the alarm relay' if relay else ''})")
    others = [s for c, s in now.items() if s.active and c not in aimed]
    lines += [f"still active, not acknowledged by this: {headline(s.doc)} ({s.state_words()})"
              for s in others]
    if relay_on(before) != relay_on(after) or code is None:
        lines.append("alarm relay: %s -> %s" % ("on" if relay_on(before) else "off",
                                                "on" if relay_on(after) else "off"))
    return lines
