"""Plots of a closed-loop run and the HTML report of `make hil`.

Why: a rig engineer judges a control change by looking at pressures against their
references, what the valves and fans did, temperatures, the HR demand and stages, and
when alarms came and went; one PNG per view keeps each readable. The HTML report puts
every scenario's plots next to its metrics table and pass/fail flags.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np

from rig.hil.checks import P_GC_ABS_LIMIT_BAR, W_BOIL_LIMIT_C

PLOTS = ("pressures", "actuators", "temperatures", "heat_recovery", "alarms")

# One look for every plot: traces never in red (red is for limits and alarms), limits
# dashed and named in the legend, the legend outside the axes so every figure's axes
# have the same left and right edges and line up one under the other in the report.
TRACE_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:cyan",
                "tab:olive", "tab:pink", "tab:gray")
LIMIT = {"color": "firebrick", "linestyle": "--", "linewidth": 1.1}
SETTING = {"color": "black", "linestyle": ":", "linewidth": 1.1}
FIG_W_IN, ROW_H_IN = 11.0, 2.5
LEFT, RIGHT = 0.13, 0.80  # of the width: room for word ticks left, the legends right
TOP_IN, BOTTOM_IN = 0.45, 0.5  # the title and the time axis, in inches
PRIORITY_COLORS = {1: "firebrick", 2: "darkorange", 3: "goldenrod"}


def _plt():
    """matplotlib.pyplot on the Agg backend, imported when a figure is first made: a run
    without plots (a year, a sweep's worker) does not pay its ~1.5 s import."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _a(tr, name):
    v = tr.get(name)
    return None if v is None else np.asarray(v, dtype=float)


def _time(tr):
    t = np.asarray(tr["t_s"], dtype=float)
    if t.size and t[-1] > 4 * 3600:
        return t / 3600.0, "time (h)", 3600.0
    if t.size and t[-1] > 2 * 3600:
        return t / 60.0, "time (min)", 60.0
    return t, "time (s)", 1.0


def figure(rows: int, heights=None):
    """A figure of `rows` axes over one time axis, with the report's margins."""
    h_in = ROW_H_IN * sum(heights or [1] * rows) + TOP_IN + BOTTOM_IN
    fig, axes = _plt().subplots(rows, 1, sharex=True, squeeze=False, figsize=(FIG_W_IN, h_in),
                             gridspec_kw={"height_ratios": heights} if heights else None)
    fig.subplots_adjust(hspace=0.15, left=LEFT, right=RIGHT, top=1 - TOP_IN / h_in,
                        bottom=BOTTOM_IN / h_in)
    for ax in axes[:, 0]:
        ax.grid(True, alpha=0.3)
        ax.set_prop_cycle(color=TRACE_COLORS)
    return fig, list(axes[:, 0])


def set_title(fig, text: str) -> None:
    """The figure's title, a fixed distance from its top edge whatever its height."""
    fig.suptitle(text, fontsize=10, y=1 - 0.12 / fig.get_figheight(), va="top")


def legend(ax) -> None:
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False,
                  borderaxespad=0.0)


def _lines(ax, t, tr, specs, step=False):
    for name, label in specs:
        y = _a(tr, name)
        if y is not None and np.isfinite(y).any():
            if step:
                ax.step(t, y, where="post", label=label, linewidth=1.0)
            else:
                ax.plot(t, y, label=label, linewidth=1.0)


def short_event(label: str) -> str:
    """An event label of the trace ("fault(signal=p_gc_bar, kind=open, params={})") as a
    plot names it ("fault p_gc_bar open")."""
    out = []
    for one in label.split("; "):
        kind, _, args = one.partition("(")
        vals = [v.split("=", 1)[1] for v in re.split(r", (?=\w+=)", args.rstrip(")"))
                if "=" in v and not v.endswith(("={}", "=None"))]
        out.append(" ".join([kind] + vals))
    return "; ".join(out)


def marks(axes, t, tr, steps_x=()) -> None:
    """Events (dotted, labelled on the top axis) and load-step instants (solid) on every
    axis; each named once in the top axis' legend."""
    evs = [(t[k], ev) for k, ev in enumerate(tr.get("event", [])) if ev]
    for i, ax in enumerate(axes):
        for j, (x, ev) in enumerate(evs):
            ax.axvline(x, color="grey", linestyle=":", linewidth=0.8,
                       label="event" if i == 0 and j == 0 else None)
            if i == 0:
                ax.annotate(short_event(ev)[:40], (x, 1.0), xycoords=("data", "axes fraction"),
                            rotation=90, fontsize=6, va="top", ha="right", color="dimgray")
        for j, x in enumerate(steps_x):
            ax.axvline(x, color="tab:gray", linewidth=0.9, alpha=0.7,
                       label="load step" if i == 0 and j == 0 else None)


def _tick(word: str, n: int = 22) -> str:
    return word if len(word) <= n else word[:n - 1] + "\u2026"


def state_axis(ax, words: dict[int, str]) -> None:
    """An axis of a step signal whose values have names (stages, states)."""
    ax.set_yticks(sorted(words))
    ax.set_yticklabels([_tick(words[k]) for k in sorted(words)], fontsize=7)
    ax.set_ylim(min(words) - 0.4, max(words) + 0.4)


def alarm_bars(ax, intervals: list[dict], t_end: float, x_scale: float) -> None:
    """One bar per alarm over the times it was active, coloured by its priority."""
    from co2hr.alarms import ALARMS

    rows = {a[1]: a for a in ALARMS}
    names = sorted({a["alarm"] for a in intervals}, key=lambda n: rows[n][0] if n in rows
                   else 0)
    for i, n in enumerate(names):
        prio = rows[n][3] if n in rows else 3
        for a in intervals:
            if a["alarm"] == n:
                x1 = a["cleared_s"] if a["cleared_s"] is not None else t_end
                ax.plot([a["raised_s"] / x_scale, x1 / x_scale], [i, i], linewidth=6,
                        color=PRIORITY_COLORS.get(prio, "goldenrod"), solid_capstyle="butt")
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels([f"{rows[n][0]} {n}" if n in rows else n for n in names], fontsize=7)
    ax.set_ylim(-1, max(1, len(names)))
    for prio, c in PRIORITY_COLORS.items():
        ax.plot([], [], color=c, linewidth=6, label=f"priority {prio}")
    if not names:
        ax.text(0.5, 0.5, "no alarms", transform=ax.transAxes, ha="center")


def figures(trace: dict, summary: dict) -> dict:
    """The report's figures of one run, by name (PLOTS), not yet saved."""
    t, xl, xs = _time(trace)
    title = summary.get("scenario", "?") + " on " + summary.get("target", "?")
    steps_x = [st["t_s"] / xs for st in summary.get("p_rec_tracking", {}).get("steps", [])]
    out = {}

    def done(fig, axes, name):
        marks(axes, t, trace, steps_x)
        for ax in axes:
            legend(ax)
        axes[-1].set_xlabel(xl)
        if len(t):
            axes[-1].set_xlim(t[0], t[-1])
        set_title(fig, f"{title}: {name.replace('_', ' ')}")
        out[name] = fig

    fig, axes = figure(2)
    _pressures(axes, t, trace, summary)
    done(fig, axes, "pressures")
    fig, axes = figure(2, [2, 1])
    _actuators(axes, t, trace)
    done(fig, axes, "actuators")
    fig, axes = figure(1, [1.6])
    _lines(axes[0], t, trace, [("bnd.t_amb_c", "ambient"), ("plant.t_gc_out_c", "T3 GC out"),
                               ("plant.t_disch_c", "discharge"),
                               ("plant.t_w_out_c", "HR water out"),
                               ("plant.t_w_in_c", "HR water in"), ("plant.t_tank_c", "tank")])
    axes[0].axhline(W_BOIL_LIMIT_C, label=f"HR water limit {W_BOIL_LIMIT_C:g} degC", **LIMIT)
    axes[0].set_ylabel("degC")
    done(fig, axes, "temperatures")
    fig, axes = figure(5, [0.7, 0.7, 0.6, 1.2, 0.8])
    _heat_recovery(axes, t, trace)
    done(fig, axes, "heat_recovery")
    fig, axes = figure(1, [1.3])
    alarm_bars(axes[0], summary.get("alarms", []), trace["t_s"][-1] if len(t) else 0.0, xs)
    done(fig, axes, "alarms")
    return out


def plot_all(trace: dict, summary: dict, out_dir: Path) -> list[Path]:
    """The report's PNGs of one run into out_dir."""
    files = []
    plt = _plt()
    for name, fig in figures(trace, summary).items():
        p = Path(out_dir) / f"{name}.png"
        fig.savefig(p, dpi=90)
        plt.close(fig)
        files.append(p)
    return files


def _actuators(axes, t, trace) -> None:
    _lines(axes[0], t, trace, [("out.hpev_pct", "HPEV"), ("out.bev_pct", "BEV"),
                               ("out.hr_valve_pct", "HR 3-way valve"), ("out.fan_pct", "fans"),
                               ("out.hr_pump_pct", "HR pump")])
    axes[0].set_ylabel("%")
    axes[0].set_ylim(-5, 105)
    _lines(axes[1], t, trace, [("out.gc_bypass", "GC bypass"),
                               ("out.comp_enable", "compressor enable"),
                               ("out.alarm_relay", "alarm relay")], step=True)
    state_axis(axes[1], {0: "off", 1: "on"})


def _pressures(axes, t, trace, summary) -> None:
    a1, a2 = axes
    lim = summary.get("limits", {})
    _lines(a1, t, trace, [("plant.p_gc_bar", "p_gc (plant)"),
                          ("fw.p_gc_ref_bar", "p_gc reference (firmware)"),
                          ("fw.p_gc_opt_bar", "COP-optimal reference")])
    if lim.get("p_gc_limit_bar"):
        a1.axhline(lim["p_gc_limit_bar"], label=f"p_gc_max_bar {lim['p_gc_limit_bar']:g}",
                   **SETTING)
    a1.axhline(P_GC_ABS_LIMIT_BAR, label=f"absolute limit {P_GC_ABS_LIMIT_BAR:g} bar", **LIMIT)
    a1.set_ylabel("bar a, high side")
    _lines(a2, t, trace, [("plant.p_rec_bar", "p_rec (plant)"),
                          ("plant.p_suc_bar", "p_suc (plant)")])
    sp = (summary.get("settings") or {}).get("p_rec_sp_bar")
    steps = summary.get("p_rec_tracking", {}).get("steps", [])
    if sp:
        a2.axhline(sp, label=f"p_rec setpoint {sp:g}", **SETTING)
        if steps:  # the acceptance band of the settling check, around the setpoint
            band = steps[0]["band_bar"]
            a2.axhspan(sp - band, sp + band, color="tab:green", alpha=0.12,
                       label=f"settling band +-{band:g} bar")
    a2.set_ylabel("bar a, low side")


def _words(name: str) -> dict[int, str]:
    from rig.regs import table

    r = table.BY_NAME.get(name)
    return dict(r.enum) if r is not None and r.enum else {0: "0", 1: "1"}


def _heat_recovery(axes, t, trace) -> None:
    a1, a2, a3, a4, a5 = axes
    _lines(a1, t, trace, [("bnd.demand_v", "HR demand")])
    a1.set_ylabel("V")
    a1.set_ylim(-0.3, 10.3)
    _lines(a2, t, trace, [("fw.hr_stage", "HR stage")], step=True)
    state_axis(a2, _words("hr_stage"))
    _lines(a3, t, trace, [("fw.op_state", "operating state")], step=True)
    state_axis(a3, _words("op_state"))
    _lines(a4, t, trace, [("plant.q_hr_kw", "recovered heat"), ("plant.q_evap_kw", "cooling"),
                          ("plant.w_comp_kw", "compressor power")])
    a4.set_ylabel("kW")
    _lines(a5, t, trace, [("plant.cop", "COP (cooling)")])
    a5.set_ylabel("COP")


# -- HTML ----------------------------------------------------------------------------------

def _n(v, decimals: int) -> str:
    """A number at the decimals its quantity needs ("" for none)."""
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return ""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    return f"{v:.{decimals}f}"


def headline(summary: dict) -> list[tuple[str, str]]:
    """The metrics table rows of one scenario (label, value), each number at the
    resolution it is measured to: pressures 0.1 bar, temperatures 0.1 K, energy 0.1 kWh,
    times 1 s, ratios 3 decimals."""
    s = summary
    rows = [("target", s.get("target")), ("complete", s.get("complete")),
            ("error", s.get("error") or ""),
            ("simulated s / wall s", _n(s.get("speed_x_real_time"), 0))]
    cops = [c.get("cop_ratio") for c in s.get("cop", []) if c.get("cop_ratio") is not None]
    if cops:
        rows.append(("COP / optimum (min over windows)", _n(min(cops), 3)))
    for key, label in (("p_gc_tracking", "p_gc"), ("p_rec_tracking", "p_rec")):
        tr = s.get(key, {})
        rows.append((f"{label} tracking RMS / max error (bar)",
                     f"{_n(tr.get('rms_bar'), 2)} / {_n(tr.get('max_error_bar'), 1)}"))
        if tr.get("steps"):
            rows.append((f"{label} settling s (max) / overshoot bar (max)",
                         f"{_n(tr.get('settling_s_max'), 0)} / "
                         f"{_n(tr.get('overshoot_bar_max'), 1)}"))
    lim = s.get("limits", {})
    rows.append(("p_gc max (bar) / configured max / absolute limit",
                 f"{_n(lim.get('p_gc_max_bar'), 1)} / {_n(lim.get('p_gc_limit_bar'), 1)} / "
                 f"{_n(P_GC_ABS_LIMIT_BAR, 0)}"))
    rows.append(("p_rec max / min (bar)",
                 f"{_n(lim.get('p_rec_max_bar'), 1)} / {_n(lim.get('p_rec_min_bar'), 1)}"))
    h = s.get("heat", {})
    rows.append(("heat recovered kWh / EHR", f"{_n(h.get('q_hr_kwh'), 1)} / "
                 f"{_n(h.get('ehr'), 2)}"))
    rows.append(("COP mean / total COP mean", f"{_n(h.get('cop_mean'), 2)} / "
                 f"{_n(h.get('cop_total_mean'), 2)}"))
    rows.append(("highest HR water temperature degC",
                 _n(s.get("water", {}).get("t_w_out_max_c"), 1)))
    al = s.get("alarms", [])
    rows.append(("alarms", ", ".join(f"{a['alarm']}@{a['raised_s']:.0f}s" for a in al[:12])
                 + (" ..." if len(al) > 12 else "")))
    rows.append(("ticks / overruns", f"{s.get('ticks')} / {s.get('overruns')}"))
    return [(k, "" if v is None else str(v)) for k, v in rows]


def write_html(results: list[dict], path: Path, title: str = "HIL report") -> None:
    """results: [{"summary": dict, "dir": Path, "checks": [(name, ok, detail)]}]"""
    path = Path(path)
    e = html.escape
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{e(title)}</title>",
             "<style>body{font-family:sans-serif;margin:1em 2em}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px}"
             ".ok{background:#dfd}.fail{background:#fdd}"
             ".plots img{display:block;width:100%;max-width:1100px;margin:6px 0}"
             "</style></head><body>", f"<h1>{e(title)}</h1>", "<h2>Overview</h2><table>",
             "<tr><th>scenario</th><th>target</th><th>complete</th><th>checks</th></tr>"]
    for r in results:
        s = r["summary"]
        checks = r.get("checks", [])
        bad = [c for c in checks if not c[1]]
        cls = "ok" if s.get("complete") and not bad else "fail"
        parts.append(f"<tr class='{cls}'><td><a href='#{e(s['scenario'])}'>{e(s['scenario'])}"
                     f"</a></td><td>{e(str(s.get('target')))}</td><td>{s.get('complete')}</td>"
                     f"<td>{len(checks) - len(bad)}/{len(checks)} pass</td></tr>")
    parts.append("</table>")
    for r in results:
        s = r["summary"]
        d = Path(r["dir"])
        parts.append(f"<h2 id='{e(s['scenario'])}'>{e(s['scenario'])}</h2>")
        parts.append(f"<p>{e(r.get('description', ''))}</p><table>")
        for k, v in headline(s):
            parts.append(f"<tr><td>{e(k)}</td><td>{e(v)}</td></tr>")
        for name, ok, detail in r.get("checks", []):
            parts.append(f"<tr class='{'ok' if ok else 'fail'}'><td>check: {e(name)}</td>"
                         f"<td>{'pass' if ok else 'FAIL'}: {e(detail)}</td></tr>")
        parts.append("</table><div class='plots'>")
        for p in PLOTS:
            f = d / f"{p}.png"
            if f.exists():
                rel = f.relative_to(path.parent) if f.is_relative_to(path.parent) else f
                parts.append(f"<img src='{e(str(rel))}' alt='{p}'>")
        rel = (d / "summary.json")
        rel = rel.relative_to(path.parent) if rel.is_relative_to(path.parent) else rel
        parts.append(f"</div><p><a href='{e(str(rel))}'>summary.json</a></p>")
    parts.append("</body></html>")
    path.write_text("\n".join(parts))


def write_summary(summary: dict, path: Path) -> None:
    Path(path).write_text(json.dumps(summary, indent=1) + "\n")
