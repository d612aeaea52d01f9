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

The heating season is October to April (the months space heating runs in Denmark).
"""

from __future__ import annotations

import numpy as np

from rig.hil.metrics import row_seconds
from rig.plant.year import MONTH_DAYS

STATES = {0: "stopped", 1: "refrigeration_only", 2: "forced"}
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
HEATING_MONTHS = frozenset((0, 1, 2, 3, 9, 10, 11))
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
    out["by_season"] = {"heating_oct_apr": _sums(tr, heating, hours),
                        "summer_may_sep": _sums(tr, ~heating, hours)}
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
