"""Seasonal figures of a long closed-loop run (a year): what heat recovery earned and cost.

Why: a rig owner asks what forcing the gas-cooler pressure earns (recovered heat) and
costs (extra compressor work) over a year at the site. From a run's trace (rows weighted
by their seconds: rig.hil.trace) this sums, per firmware operating state
(co2hr.energy: stopped, refrigeration only, forced) and per month and heating season:
cooling delivered, compressor work, recovered heat; the annual cooling COP; the extra
compressor work of forced operation against the COP optimum and EHR (recovered heat in
forced operation / that extra work) from rig.hil.metrics.heat; and the plant's energy
balance over the run (cooling + compressor work against the heat rejected to air and
water), which must close to within BALANCE_LIMIT.

The seasons are the tax seasons the firmware's calendar counters keep (docs/control.md,
"Calendar counters"): the heating season 1 October - 31 March, and April - September.
"""

from __future__ import annotations

import numpy as np

from rig.hil.columns import row_seconds
from rig.plant.year import MONTH_DAYS

STATES = {0: "stopped", 1: "refrigeration_only", 2: "forced"}
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
HEATING_MONTHS = frozenset((0, 1, 2, 9, 10, 11))  # October - March
HEATING, SUMMER = "heating_oct_mar", "summer_apr_sep"  # the keys of "by_season"
BALANCE_LIMIT = 0.005


def _month_index(t_s: np.ndarray, start_h: float = 0.0) -> np.ndarray:
    edges = np.cumsum([0] + [d * 24 for d in MONTH_DAYS]) * 3600.0
    t = (t_s + start_h * 3600.0) % edges[-1]
    return np.clip(np.searchsorted(edges, t, side="right") - 1, 0, 11)


def _sums(tr: dict, sel: np.ndarray, hours: np.ndarray) -> dict:
    def kwh(col: str) -> float:
        v = np.nan_to_num(np.asarray(tr[col], dtype=float))
        return float((v * hours * sel).sum())

    q_ev, w, q_hr = kwh("plant.q_evap_kw"), kwh("plant.w_comp_kw"), kwh("plant.q_hr_kw")
    return {"hours": float((hours * sel).sum()), "q_evap_kwh": q_ev, "w_comp_kwh": w,
            "q_hr_kwh": q_hr, "cop_cooling": q_ev / w if w > 0 else None}


def figures(tr: dict, step_s: float, heat: dict) -> dict:
    """The seasonal figures (see the module text); heat: summary["heat"] of the run."""
    t = np.asarray(tr["t_s"], dtype=float)
    hours = row_seconds(tr, step_s) / 3600.0
    op = np.asarray(tr.get("fw.op_state", [np.nan] * len(t)), dtype=float)
    # the state holds between samples (fw_sample_s > record_s leaves gaps)
    filled = op.copy()
    last = np.nan
    for i, v in enumerate(filled):
        if v == v:
            last = v
        else:
            filled[i] = last
    everything = np.ones(len(t), dtype=bool)
    out = {"total": _sums(tr, everything, hours)}
    out["by_state"] = {name: _sums(tr, filled == code, hours) for code, name in STATES.items()}
    months = _month_index(t)
    out["by_month"] = {MONTHS[m]: _sums(tr, months == m, hours) for m in range(12)
                       if (months == m).any()}
    heating = np.isin(months, sorted(HEATING_MONTHS))
    out["by_season"] = {HEATING: _sums(tr, heating, hours), SUMMER: _sums(tr, ~heating, hours)}
    tot = out["total"]
    q_gc = float((np.nan_to_num(np.asarray(tr["plant.q_gc_kw"], dtype=float)) * hours).sum())
    inflow = tot["q_evap_kwh"] + tot["w_comp_kwh"]
    out["energy_balance"] = {"in_kwh": inflow, "rejected_kwh": q_gc,
                             "error": (inflow - q_gc) / q_gc if q_gc > 0 else None}
    out["heat_recovery"] = {"q_hr_forced_kwh": heat.get("q_hr_forced_kwh"),
                            "extra_comp_kwh": heat.get("extra_comp_kwh"),
                            "ehr": heat.get("ehr"), "forced_h": (heat.get("forced_s") or 0)
                            / 3600.0}
    return out


def lines(fig: dict) -> list[str]:
    """The figures as the text `rig year` prints."""
    tot, hr, bal = fig["total"], fig["heat_recovery"], fig["energy_balance"]
    out = [f"simulated {tot['hours']:.0f} h: cooling {tot['q_evap_kwh'] / 1e3:.1f} MWh, "
           f"compressor {tot['w_comp_kwh'] / 1e3:.1f} MWh, recovered heat "
           f"{tot['q_hr_kwh'] / 1e3:.1f} MWh",
           f"annual cooling COP {_fmt(tot['cop_cooling'])}"]
    for name, s in fig["by_state"].items():
        if s["hours"] > 0:
            out.append(f"  {name:19s} {s['hours']:7.0f} h  recovered {s['q_hr_kwh'] / 1e3:7.1f}"
                       f" MWh  compressor {s['w_comp_kwh'] / 1e3:6.1f} MWh  COP "
                       f"{_fmt(s['cop_cooling'])}")
    for name, s in fig["by_season"].items():
        if s["hours"] > 0:
            out.append(f"  {name:19s} {s['hours']:7.0f} h  recovered {s['q_hr_kwh'] / 1e3:7.1f}"
                       f" MWh  compressor {s['w_comp_kwh'] / 1e3:6.1f} MWh  COP "
                       f"{_fmt(s['cop_cooling'])}")
    out.append(f"forced operation {hr['forced_h']:.0f} h: recovered "
               f"{_fmt((hr['q_hr_forced_kwh'] or 0) / 1e3)} MWh for "
               f"{_fmt((hr['extra_comp_kwh'] or 0) / 1e3)} MWh extra compressor work "
               f"(EHR {_fmt(hr['ehr'])})")
    out.append(f"energy balance: {_fmt(100 * bal['error'] if bal['error'] is not None else None)}"
               f" % (limit {100 * BALANCE_LIMIT:g} %)")
    return out


def _fmt(x) -> str:
    return "-" if x is None else f"{x:.2f}"


# -- a year from sampled days ---------------------------------------------------------------

SAMPLE_WARMUP_H = 6.0  # each sampled day starts this long before it (the plant settles)


def trimmed(tr: dict, skip_s: float) -> dict:
    """The trace's rows from skip_s on."""
    t = np.asarray(tr["t_s"], dtype=float)
    k = int(np.searchsorted(t, skip_s - 1e-9))
    return {c: v[k:] for c, v in tr.items()}


def month_day(scenario: str, month: int, board_name: str = "esp32_devkitc",
              day_h: float = 24.0, warmup_h: float = SAMPLE_WARMUP_H) -> dict:
    """Figures of the 15th of a month (from a run starting SAMPLE_WARMUP_H before it)
    closed loop on sil: a task of `rig year --sample-days` (serial or on Dask)."""
    import tempfile
    from pathlib import Path

    from rig.boards import load_board
    from rig.hil import metrics
    from rig.hil import trace as trace_mod
    from rig.hil.runner import run_one
    from rig.plant.year import month_start_h
    from rig.targets import open_target

    start_h = month_start_h(month) + 14 * 24 - warmup_h
    over = {"duration_s": (day_h + warmup_h) * 3600.0,
            "profiles": {n: {"year": "dk_synthetic", "start_h": start_h}
                         for n in ("t_amb_c", "q_load_kw", "q_heat_use_kw", "demand_v")}}
    board = load_board(board_name)
    with tempfile.TemporaryDirectory() as tmp, open_target("sil", board) as t:
        r = run_one(scenario, t, board, Path(tmp), overrides=over, plots=False)
        tr = trimmed(trace_mod.read_csv(Path(tmp) / "trace.csv"), warmup_h * 3600.0)
    s = r["summary"]
    from rig.hil.runner import plant_params
    from rig.hil.scenario import load

    pp = plant_params(load(scenario, overrides=over).plant)
    heat = metrics.heat(tr, 1.0, pp, float(s["settings"].get("t_cond_min_c", 10.0)))
    fig = figures(tr, 1.0, heat)
    fig["month"] = month
    fig["wall_s"] = s["wall_s"]
    fig["steps"] = s.get("steps")
    fig["error"] = s.get("error")
    return fig


def year_from_days(days: list[dict]) -> dict:
    """The year: each sampled day's figures x the days of its month."""
    from rig.plant.year import MONTH_DAYS as MD

    def add(acc: dict, s: dict, k: float) -> None:
        for key in ("hours", "q_evap_kwh", "w_comp_kwh", "q_hr_kwh"):
            acc[key] = acc.get(key, 0.0) + s[key] * k

    def cop(acc: dict) -> dict:
        acc["cop_cooling"] = acc["q_evap_kwh"] / acc["w_comp_kwh"] if acc.get(
            "w_comp_kwh") else None
        return acc

    out = {"total": {}, "by_state": {n: {} for n in STATES.values()},
           "by_season": {HEATING: {}, SUMMER: {}}, "by_month": {}}
    q_f = extra = forced_h = inflow = rejected = 0.0
    for d in sorted(days, key=lambda d: d["month"]):
        k = float(MD[d["month"]])
        add(out["total"], d["total"], k)
        for n in STATES.values():
            add(out["by_state"][n], d["by_state"][n], k)
        season = HEATING if d["month"] in HEATING_MONTHS else SUMMER
        add(out["by_season"][season], d["total"], k)
        out["by_month"][MONTHS[d["month"]]] = d["total"]
        hr = d["heat_recovery"]
        q_f += (hr["q_hr_forced_kwh"] or 0.0) * k
        extra += (hr["extra_comp_kwh"] or 0.0) * k
        forced_h += hr["forced_h"] * k
        inflow += d["energy_balance"]["in_kwh"] * k
        rejected += d["energy_balance"]["rejected_kwh"] * k
    cop(out["total"])
    for grp in ("by_state", "by_season"):
        for v in out[grp].values():
            if v:
                cop(v)
            else:
                v.update(hours=0.0, q_evap_kwh=0.0, w_comp_kwh=0.0, q_hr_kwh=0.0,
                         cop_cooling=None)
    out["heat_recovery"] = {"q_hr_forced_kwh": q_f, "extra_comp_kwh": extra,
                            "ehr": q_f / extra if extra > 1e-6 else None,
                            "forced_h": forced_h}
    out["energy_balance"] = {"in_kwh": inflow, "rejected_kwh": rejected,
                             "error": (inflow - rejected) / rejected if rejected else None}
    return out
