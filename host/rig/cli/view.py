"""The live view of one controller: mode and stages in words, the main values by section,
and the active alarms, laid out by `rich` to fit the terminal (80x24 and up).

Why one module: `rig watch` (over Modbus, a real board) and `rig run` (the virtual rig)
show the same screen, so a technician learns it once. Values come in decoded by register
name (rig.regs); a name a firmware build does not have is left out. Every value is shown
whole or not at all: cells are never cut, rich flows them onto as many lines as the width
needs, and when the terminal is too low for everything the least important sections go
first (a last line says how many were left out). A wider terminal shows more: the PI
outputs and the rest of the status. On a terminal the view takes the alternate screen
(the banner printed before it is back when the view ends); elsewhere (a log, a pipe) each
frame is printed as plain text.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from rich.console import Console, Group
from rich.constrain import Constrain
from rich.live import Live
from rich.table import Table
from rich.text import Text

from co2hr import status as S
from rig.regs import codec, table

# Sections: (title, priority, [(label, register name)]). The lower the priority number, the
# longer a section stays when the terminal is too low. Names only: units, scale and words
# come from the firmware's table.
SECTIONS = (
    ("pressure", 1, (("p_gc", "p_gc_bar"), ("reference", "p_gc_ref_bar"),
                     ("optimum", "p_gc_opt_bar"), ("p_rec", "p_rec_bar"),
                     ("p_suc", "p_suc_bar"))),
    ("temperature", 2, (("T3 (GC out)", "t_gc_out_c"), ("ambient", "t_amb_c"),
                        ("discharge", "t_disch_c"), ("water in", "t_w_in_c"),
                        ("water out", "t_w_out_c"), ("tank", "t_tank_c"))),
    ("valves", 3, (("HPEV", "hpev_pct"), ("BEV", "bev_pct"), ("HR valve", "hr_valve_pct"),
                   ("HR pump", "hr_pump_pct"), ("GC bypass", "gc_bypass"))),
    ("fans", 4, (("speed", "fan_pct"), ("limit", "fan_limit_pct"),
                 ("T3 setpoint", "t3_sp_c"))),
    ("heat", 5, (("HR demand", "demand_v"), ("HR heat", "q_hr_kw"),
                 ("compressor", "p_comp_kw"), ("HR raise", "hr_raise_bar"))),
    ("relays, DI", 6, (("compressor", "comp_run"), ("comp enable", "comp_enable"),
                       ("HP switch", "hp_ok"), ("ext enable", "ext_enable"),
                       ("fans ok", "fan_ok"), ("alarm relay", "alarm_relay"),
                       ("inj stop", "inj_stop"))),
)
# What a terminal of at least WIDE_COLS columns shows besides.
WIDE_COLS = 110
WIDE_SECTIONS = (
    ("PI outputs", 7, (("HPEV", "hpev_pi_pct"), ("BEV", "bev_pi_pct"), ("fans", "fan_pi_pct"),
                       ("HR valve", "hrv_pi_pct"))),
    ("more", 8, (("manual left", "manual_left_s"), ("alarms active", "alarms_active"),
                 ("EHR", "ehr"), ("energy pulses", "energy_pulses"),
                 ("low-ambient bypass", "gcb_rec"))),
)
STATE = (("mode", "mode"), ("HR stage", "hr_stage"), ("regime", "regime"),
         ("state", "op_state"))
OVERRIDES = "overrides"
LABEL_COLS = 12  # the section titles' column
_PRIO_STATE, _PRIO_ALARMS = 0, 0  # never left out


def _sections(width: int) -> tuple:
    return SECTIONS + (WIDE_SECTIONS if width >= WIDE_COLS else ())


def names() -> list[str]:
    """Every register the view reads (alarm words included)."""
    want = [n for _t, _p, cells in SECTIONS + WIDE_SECTIONS for _lb, n in cells] + \
        [n for _lb, n in STATE] + [OVERRIDES] + \
        [r.name for r in table.REGS if r.name.startswith("alarm_word_")]
    return [n for n in want if n in table.BY_NAME]


def regs() -> list[table.Reg]:
    return [table.lookup(n) for n in names()]


def value_text(name: str, v: float, values: dict[str, float] | None = None) -> Text:
    """A value as the view shows it: words alone where the register has them (an
    enumeration, a switch), else the number with its unit, then any words."""
    r = table.lookup(name)
    if isinstance(v, float) and math.isnan(v):
        return Text("INVALID", style="bold red")
    if name == "t3_sp_c" and values is not None and v == 0.0 and \
            int(values.get(OVERRIDES, 0) or 0) & (S.OV_FAN_SAFETY | S.OV_T3_FB):
        return Text("none: fans on safety", style="yellow")  # the fan loop has not run
    w = codec.words(r, v)
    if r.enum or codec.is_switch(r):
        style = "bold red" if w.startswith("NOT ") or (name == "alarm_relay" and v) else ""
        return Text(w or codec.fmt_number(r, v), style=style)
    n = codec.fmt_number(r, v)
    return Text(f"{n} ({w})" if w else n)


@dataclass
class Part:
    """One block of the screen and how long it stays when the terminal is too low."""

    priority: int
    renderable: object


def _cells(cells, values: dict[str, float]) -> list[Text]:
    out = []
    for label, name in cells:
        if name in values:
            t = Text(label + " ", style="dim")
            t.append_text(value_text(name, values[name], values))
            t.no_wrap = True
            out.append(t)
    return out


def _flow(cells: list[Text], width: int) -> Text:
    """Cells two spaces apart, a new line where the next one would not fit whole (a
    cell longer than a line gets one of its own and wraps at its spaces)."""
    out = Text()
    used = 0
    for c in cells:
        n = c.cell_len
        if used and used + 2 + n > width:
            out.append("\n")
            used = 0
        elif used:
            out.append("  ")
            used += 2
        out.append_text(c)
        used += n
    return out


def _row(title: str, body) -> Table:
    g = Table.grid(padding=(0, 1))
    g.add_column(width=LABEL_COLS - 1, no_wrap=True, style="bold")
    g.add_column(ratio=1)
    g.add_row(title, body)
    return g


def _state(values: dict[str, float], width: int) -> list[Part]:
    cells = _cells(STATE, values)
    ov = values.get(OVERRIDES)
    if ov is not None and not math.isnan(ov):
        words = codec.words(table.lookup(OVERRIDES), ov)
        t = Text("overrides ", style="dim")
        t.append(words or "none", style="yellow" if words else "")
        cells.append(t)  # (may wrap: the flags are words, never cut)
    return [Part(_PRIO_STATE, _row("state", _flow(cells, width - LABEL_COLS)))]


def _alarms(values: dict[str, float]) -> Part:
    act = codec.active_alarms(values)
    if not act:
        return Part(_PRIO_ALARMS, _row("ALARMS", Text("none", style="green")))
    lines = Text()
    for i, a in enumerate(act):
        if i:
            lines.append("\n")
        lines.append(f"{a[0]} {a[2]} (priority {a[3]})", style="bold red" if a[3] <= 2
                     else "yellow")
    return Part(_PRIO_ALARMS, _row("ALARMS", lines))


def _header(header: str | list[str], width: int) -> Part:
    cells = [header] if isinstance(header, str) else header
    return Part(_PRIO_STATE, _flow([Text(c, style="bold cyan") for c in cells], width))


def parts(values: dict[str, float], header: str | list[str], width: int) -> list[Part]:
    """The screen's blocks: header cells, state, the sections the width shows, alarms."""
    out = [_header(header, width)] if header else []
    out += _state(values, width)
    for title, prio, cells in _sections(width):
        c = _cells(cells, values)
        if c:
            out.append(Part(prio, _row(title, _flow(c, width - LABEL_COLS))))
    out.append(_alarms(values))
    return out


def _height(console: Console, ps: list[Part], width: int) -> int:
    opts = console.options.update(width=width)
    return len(console.render_lines(Group(*[p.renderable for p in ps]), opts, pad=False))


def fit(console: Console, ps: list[Part], width: int, height: int) -> Group:
    """The parts that fit height rows, the least important left out first (and said)."""
    keep = list(ps)
    left = 0
    while _height(console, keep, width) > height - (1 if left else 0):
        drop = max((p for p in keep if p.priority), key=lambda p: p.priority, default=None)
        if drop is None:
            break
        keep.remove(drop)
        left += 1
    shown = [p.renderable for p in keep]
    if left:
        shown.append(Text(f"({left} section(s) left out: a taller terminal shows them)",
                          style="dim"))
    return Group(*shown)


def render(values: dict[str, float], header: str | list[str] = "",
           width: int = 120) -> list[str]:
    """The view as plain text lines at width columns (logs, tests, a pipe)."""
    buf = io.StringIO()
    con = Console(file=buf, width=width, color_system=None, force_terminal=False,
                  legacy_windows=False)
    con.print(Group(*[p.renderable for p in parts(values, header, width)]))
    return [ln.rstrip() for ln in buf.getvalue().rstrip("\n").split("\n")]


class Screen:
    """The view on a terminal (rich Live on the alternate screen, fitted to its size at
    every frame), or appended as plain text when the stream is not a terminal."""

    def __init__(self, stream, tty: bool | None = None):
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self.console = Console(file=stream) if self.tty else None
        self.live: Live | None = None
        self.last: tuple[dict[str, float], str | list[str]] | None = None

    def show(self, values: dict[str, float], header: str | list[str]) -> None:
        if not self.tty:
            self.stream.write("\n".join(render(values, header)) + "\n\n")
            self.stream.flush()
            return
        con = self.console
        assert con is not None
        self.last = (values, header)
        view = self._view(values, header)
        if self.live is None:
            self.live = Live(view, console=con, screen=True, auto_refresh=False,
                             redirect_stdout=False, redirect_stderr=False)
            self.live.start()
        self.live.update(view, refresh=True)

    def _view(self, values: dict[str, float], header: str | list[str]) -> Constrain:
        con = self.console
        assert con is not None
        # one spare column: a line never reaches the terminal's edge (no auto-wrap)
        w, h = con.size.width - 1, con.size.height
        return Constrain(fit(con, parts(values, header, w), w, h), width=w)

    def close(self) -> None:
        """Leave the alternate screen; the last frame stays on the terminal."""
        if self.live is not None:
            self.live.stop()
            self.live = None
            if self.last is not None and self.console is not None:
                self.console.print(self._view(*self.last))
