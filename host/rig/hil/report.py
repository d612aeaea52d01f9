"""Plots of a closed-loop run and the HTML report of `make hil`.

Why: a rig engineer judges a control change by looking at pressures against their
references, what the valves and fans did, temperatures, the HR demand and stages, and
when alarms came and went; one PNG per view keeps each readable. The HTML report puts
every scenario's plots next to its metrics table and pass/fail flags.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from rig.hil.checks import P_GC_ABS_LIMIT_BAR, W_BOIL_LIMIT_C  # noqa: E402

PLOTS = ("pressures", "actuators", "temperatures", "heat_recovery", "alarms")


def _a(tr, name):
    v = tr.get(name)
    return None if v is None else np.asarray(v, dtype=float)


def _time(tr):
    t = np.asarray(tr["t_s"], dtype=float)
    if t.size and t[-1] > 4 * 3600:
        return t / 3600.0, "time (h)"
    if t.size and t[-1] > 2 * 3600:
        return t / 60.0, "time (min)"
    return t, "time (s)"


def _lines(ax, t, tr, specs):
    for name, label, style in specs:
        y = _a(tr, name)
        if y is not None and np.isfinite(y).any():
            ax.plot(t, y, style, label=label, linewidth=1.0)
    ax.grid(True, alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", fontsize=7)


def _events(ax, t, tr):
    for k, ev in enumerate(tr.get("event", [])):
        if ev:
            ax.axvline(t[k], color="grey", linestyle=":", linewidth=0.8)


def plot_all(trace: dict, summary: dict, out_dir: Path) -> list[Path]:
    out_dir = Path(out_dir)
    t, xl = _time(trace)
    title = summary.get("scenario", "?") + " on " + summary.get("target", "?")
    files = []

    def save(fig, name):
        fig.suptitle(f"{title}: {name.replace('_', ' ')}", fontsize=10)
        fig.tight_layout()
        p = out_dir / f"{name}.png"
        fig.savefig(p, dpi=90)
        plt.close(fig)
        files.append(p)

    fig, (a1, a2) = plt.subplots(2, 1, figsize=(10, 6), sharex=True)
    lim = summary.get("limits", {})
    _lines(a1, t, trace, [("plant.p_gc_bar", "p_gc (plant) bar", "-"),
                          ("fw.p_gc_ref_bar", "p_gc reference (firmware) bar", "--"),
                          ("fw.p_gc_opt_bar", "COP-optimal reference bar", ":")])
    if lim.get("p_gc_limit_bar"):
        a1.axhline(lim["p_gc_limit_bar"], color="r", linewidth=0.8, label="configured max")
    a1.axhline(P_GC_ABS_LIMIT_BAR, color="darkred", linewidth=0.8, linestyle="--")
    a1.set_ylabel("bar a")
    _events(a1, t, trace)
    _lines(a2, t, trace, [("plant.p_rec_bar", "p_rec (plant) bar", "-"),
                          ("plant.p_suc_bar", "p_suc (plant) bar", "-")])
    sp = summary.get("settings") or {}
    if sp.get("p_rec_sp_bar"):
        a2.axhline(sp["p_rec_sp_bar"], color="g", linewidth=0.8, label="p_rec setpoint")
        a2.legend(loc="best", fontsize=7)
    a2.set_ylabel("bar a")
    a2.set_xlabel(xl)
    _events(a2, t, trace)
    save(fig, "pressures")

    fig, ax = plt.subplots(1, 1, figsize=(10, 4))
    _lines(ax, t, trace, [("out.hpev_pct", "HPEV %", "-"), ("out.bev_pct", "BEV %", "-"),
                          ("out.hr_valve_pct", "HR 3-way valve %", "-"),
                          ("out.fan_pct", "fans %", "-"), ("out.hr_pump_pct", "HR pump %", "-")])
    ax.set_ylabel("%")
    ax.set_xlabel(xl)
    ax.set_ylim(-5, 105)
    _events(ax, t, trace)
    save(fig, "actuators")

    fig, ax = plt.subplots(1, 1, figsize=(10, 4))
    _lines(ax, t, trace, [("bnd.t_amb_c", "ambient", "-"),
                          ("plant.t_gc_out_c", "T3 gas cooler out", "-"),
                          ("plant.t_disch_c", "discharge", "-"),
                          ("plant.t_w_out_c", "HR water out", "-"),
                          ("plant.t_w_in_c", "HR water in", "-"),
                          ("plant.t_tank_c", "tank top", "-")])
    ax.axhline(W_BOIL_LIMIT_C, color="r", linewidth=0.8)
    ax.set_ylabel("degC")
    ax.set_xlabel(xl)
    save(fig, "temperatures")

    fig, (a1, a2) = plt.subplots(2, 1, figsize=(10, 6), sharex=True)
    _lines(a1, t, trace, [("bnd.demand_v", "HR demand V", "-"),
                          ("fw.hr_stage", "HR stage", "-"), ("out.gc_bypass", "GC bypass", "-"),
                          ("fw.op_state", "op state (2 = forced)", ":")])
    a1.set_ylabel("V / stage")
    _lines(a2, t, trace, [("plant.q_hr_kw", "recovered heat kW", "-"),
                          ("plant.q_evap_kw", "cooling kW", "-"),
                          ("plant.w_comp_kw", "compressor kW", "-"),
                          ("plant.cop", "COP", "-")])
    a2.set_xlabel(xl)
    save(fig, "heat_recovery")

    fig, ax = plt.subplots(1, 1, figsize=(10, 3.5))
    alarms = summary.get("alarms", [])
    names = sorted({a["alarm"] for a in alarms})
    scale = (t[-1] / trace["t_s"][-1]) if len(t) and trace["t_s"][-1] else 1.0
    for i, n in enumerate(names):
        for a in alarms:
            if a["alarm"] == n:
                x0 = a["raised_s"] * scale
                x1 = (a["cleared_s"] if a["cleared_s"] is not None else trace["t_s"][-1]) * scale
                ax.plot([x0, x1], [i, i], linewidth=6)
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(names or [], fontsize=7)
    ax.set_ylim(-1, max(1, len(names)))
    ax.set_xlim(t[0] if len(t) else 0, t[-1] if len(t) else 1)
    ax.set_xlabel(xl)
    ax.grid(True, alpha=0.3)
    if not names:
        ax.text(0.5, 0.5, "no alarms", transform=ax.transAxes, ha="center")
    save(fig, "alarms")
    return files


# -- HTML ----------------------------------------------------------------------------------

def headline(summary: dict) -> list[tuple[str, str]]:
    """The metrics table rows of one scenario (label, value)."""
    s = summary
    rows = [("target", s.get("target")), ("complete", s.get("complete")),
            ("error", s.get("error") or ""),
            ("simulated s / wall s", s.get("speed_x_real_time"))]
    cops = [c.get("cop_ratio") for c in s.get("cop", []) if c.get("cop_ratio") is not None]
    if cops:
        rows.append(("COP / optimum (min over windows)", min(cops)))
    for key, label in (("p_gc_tracking", "p_gc"), ("p_rec_tracking", "p_rec")):
        tr = s.get(key, {})
        rows.append((f"{label} tracking RMS / max error (bar)",
                     f"{tr.get('rms_bar')} / {tr.get('max_error_bar')}"))
        if tr.get("steps"):
            rows.append((f"{label} settling s (max) / overshoot bar (max)",
                         f"{tr.get('settling_s_max')} / {tr.get('overshoot_bar_max')}"))
    lim = s.get("limits", {})
    rows.append(("p_gc max (bar) / configured max / 110",
                 f"{lim.get('p_gc_max_bar')} / {lim.get('p_gc_limit_bar')} / 110"))
    rows.append(("p_rec max / min (bar)",
                 f"{lim.get('p_rec_max_bar')} / {lim.get('p_rec_min_bar')}"))
    h = s.get("heat", {})
    rows.append(("heat recovered kWh / EHR", f"{h.get('q_hr_kwh')} / {h.get('ehr')}"))
    rows.append(("COP mean / total COP mean", f"{h.get('cop_mean')} / {h.get('cop_total_mean')}"))
    rows.append(("highest HR water temperature degC", s.get("water", {}).get("t_w_out_max_c")))
    al = s.get("alarms", [])
    rows.append(("alarms", ", ".join(f"{a['alarm']}@{a['raised_s']:g}s" for a in al[:12])
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
             ".ok{background:#dfd}.fail{background:#fdd}img{max-width:48%;margin:2px}"
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
        parts.append("</table><p>")
        for p in PLOTS:
            f = d / f"{p}.png"
            if f.exists():
                rel = f.relative_to(path.parent) if f.is_relative_to(path.parent) else f
                parts.append(f"<img src='{e(str(rel))}' alt='{p}'>")
        rel = (d / "summary.json")
        rel = rel.relative_to(path.parent) if rel.is_relative_to(path.parent) else rel
        parts.append(f"</p><p><a href='{e(str(rel))}'>summary.json</a></p>")
    parts.append("</body></html>")
    path.write_text("\n".join(parts))


def write_summary(summary: dict, path: Path) -> None:
    Path(path).write_text(json.dumps(summary, indent=1) + "\n")
