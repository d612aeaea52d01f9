"""The live view of one controller: main values, mode, HR stage and active alarms, as
plain text lines redrawn with ANSI escapes (no curses, no dependency).

Why one module: `rig watch` (over Modbus, a real board) and `rig run` (the virtual rig)
show the same screen, so a technician learns it once. Values come in decoded by
register name (rig.regs); a name a firmware build does not have is left out.
"""

from __future__ import annotations

import math
import shutil

from rig.regs import codec, table

# Screen rows: (heading, register names). Names only: units, scale and words come
# from the firmware's table.
ROWS = (
    ("pressures", ("p_gc_bar", "p_gc_ref_bar", "p_gc_opt_bar", "p_rec_bar", "p_suc_bar")),
    ("temps", ("t_gc_out_c", "t_amb_c", "t_disch_c", "t_w_in_c", "t_w_out_c", "t_tank_c")),
    ("valves", ("hpev_pct", "bev_pct", "hr_valve_pct", "hr_pump_pct")),
    ("fans", ("fan_pct", "fan_limit_pct", "t3_sp_c")),
    ("relays", ("gc_bypass", "comp_enable", "alarm_relay", "comp_run", "hp_ok", "ext_enable")),
    ("heat", ("demand_v", "q_hr_kw", "p_comp_kw", "hr_raise_bar")),
)
STATE = ("mode", "hr_stage", "regime", "op_state", "overrides")


def names() -> list[str]:
    """Every register the view reads (alarm words included)."""
    want = [n for _h, ns in ROWS for n in ns] + list(STATE) + \
        [r.name for r in table.REGS if r.name.startswith("alarm_word_")]
    return [n for n in want if n in table.BY_NAME]


def regs() -> list[table.Reg]:
    return [table.lookup(n) for n in names()]


def _short(r: table.Reg, v: float) -> str:
    if isinstance(v, float) and math.isnan(v):
        return "INVALID"
    return codec.fmt_value(r, v)


def render(values: dict[str, float], header: str = "") -> list[str]:
    lines = [header] if header else []
    st = []
    for n in STATE:
        if n in values:
            st.append(f"{n} {codec.fmt_value(table.lookup(n), values[n])}")
    lines.append("  ".join(st))
    for head, ns in ROWS:
        cells = [f"{n} {_short(table.lookup(n), values[n])}" for n in ns if n in values]
        if cells:
            lines.append(f"{head:<10}" + "   ".join(cells))
    act = codec.active_alarms(values)
    if act:
        lines.append("ALARMS    " + "; ".join(f"{a[0]} {a[2]} (priority {a[3]})" for a in act))
    else:
        lines.append("ALARMS    none")
    return lines


class Screen:
    """Redraw a block of lines in place on a terminal (or append them when not a tty)."""

    def __init__(self, stream, tty: bool | None = None):
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self.prev = 0

    def show(self, lines: list[str]) -> None:
        s = self.stream
        if self.tty:
            # one screen row per line, or the cursor-up count would be wrong after a wrap
            cols = shutil.get_terminal_size((120, 24)).columns
            lines = [ln if len(ln) < cols else ln[:cols - 2] + ">" for ln in lines]
            if self.prev:
                s.write(f"\x1b[{self.prev}F")  # to the first line of the last frame
            for ln in lines:
                s.write("\x1b[2K" + ln + "\n")
            for _ in range(self.prev - len(lines)):
                s.write("\x1b[2K\n")
            self.prev = max(self.prev, len(lines))
        else:
            s.write("\n".join(lines) + "\n\n")
        s.flush()
