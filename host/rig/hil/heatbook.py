"""The booked heat against the plant's: summary["heat_book"] for the heat checks
(rig.hil.checks: heat_booked, heat_meter_fallback); and summary["tank"], the plant's
tank against the setpoint of a demand from the tank temperature (tank_demand).

Why: the counters hr_refrig_wh + hr_forced_wh are the tax record of the recovered heat;
the plant knows the truth (the heat its HRHX gave the water). Between any two trace rows
the booked heat is the counters' difference, and the plant's the integral of its
q_hr_kw over the rows where its compressors ran (the firmware books heat only while they
run). The intervals are the run, and around a fault on the heat meter input
(heat_pulses): before it, while it lasts and after it is cleared.
"""

from __future__ import annotations

import math

import numpy as np

from rig.hil.columns import col as _col
from rig.hil.columns import json_float as _f
from rig.hil.columns import row_seconds


def _booked(tr: dict) -> np.ndarray:
    a = _col(tr, "fw.hr_refrig_wh")
    b = _col(tr, "fw.hr_forced_wh")
    return a + b


def _at(t: np.ndarray, y: np.ndarray, t_s: float) -> float | None:
    """y at the first finite row at or after t_s."""
    idx = np.nonzero((t >= t_s - 1e-9) & np.isfinite(y))[0]
    return float(y[idx[0]]) if idx.size else None


def interval(tr: dict, dt: float, t0: float, t1: float) -> dict:
    """Booked and plant heat (kWh) from row t0 to row t1."""
    t = _col(tr, "t_s")
    bk = _booked(tr)
    b0, b1 = _at(t, bk, t0), _at(t, bk, t1)
    run = _col(tr, "plant.comp_running") > 0.5
    sel = (t >= t0 - 1e-9) & (t < t1 - 1e-9)
    w = run * row_seconds(tr, dt) / 3600.0

    def integral(col: str) -> float:
        return float((np.nan_to_num(_col(tr, col)) * w)[sel].sum())

    # the estimate of a row is the firmware's for the tick that ends at the next row
    est = np.nan_to_num(_col(tr, "fw.q_hr_kw"))
    est = np.concatenate((est[1:], est[-1:])) if est.size else est
    return {"t0_s": _f(t0), "t1_s": _f(t1), "plant_kwh": _f(integral("plant.q_hr_kw")),
            "estimate_kwh": _f(float((est * w)[sel].sum())),
            "booked_kwh": _f((b1 - b0) / 1000.0) if b0 is not None and b1 is not None
            else None}


def summary(tr: dict, log: list[dict], dt: float, warmup_s: float) -> dict:
    t = _col(tr, "t_s")
    if not t.size:
        return {}
    t_end = float(t[-1])
    out = {"run": interval(tr, dt, min(warmup_s, t_end), t_end)}
    meter = _col(tr, "fw.hr_meter")
    out["meter_states"] = sorted({int(v) for v in meter[np.isfinite(meter)]})
    out["q_hr_meter_kw_mean"] = _f(np.nanmean(_col(tr, "fw.q_hr_meter_kw")))
    f = next((e for e in log if e.get("event") == "fault"
              and e.get("signal") == "heat_pulses"), None)
    if f is None:
        return out
    t_f = float(f["t_s"])
    c = next((e for e in log if e.get("event") == "clear" and e.get("signal") == "heat_pulses"
              and e["t_s"] > t_f), None)
    t_c = float(c["t_s"]) if c else t_end
    failed = np.nonzero((t >= t_f) & (meter == 2))[0]
    t_det = float(t[failed[0]]) if failed.size else None
    back = np.nonzero((t >= t_c) & (meter == 1))[0] if c else np.array([], dtype=int)
    t_back = float(t[back[0]]) if back.size else None
    during = (t >= (t_det if t_det is not None else t_f)) & (t < t_c)
    out["fault"] = {
        "t_s": _f(t_f), "cleared_s": _f(t_c) if c else None, "kind": f.get("kind"),
        "detected_s": _f(t_det), "back_s": _f(t_back),
        "failed_share": _f(float(np.mean(meter[during] == 2))) if during.any() else None,
        "before": interval(tr, dt, min(warmup_s, t_f), t_f),
        "during": interval(tr, dt, t_f, t_c),
        # around the detection: the heat from the meter's last pulse to the detection must
        # be booked at it (nothing left out)
        "around": _around(tr, dt, t_f, t_det, t_c),
        "after": interval(tr, dt, (t_back if t_back is not None else t_c) + 60.0, t_end)
        if c and (t_back or t_c) + 60.0 < t_end else None,
    }
    if f.get("kind") == "scale":
        out["fault"]["implausible"] = _implausible(t, meter, t_f, t_c if c else None)
        out["fault"]["factor"] = _f(float((f.get("params") or {}).get("factor", 0.5)))
    return out


def _implausible(t, meter, t_f: float, t_c: float | None) -> dict:
    """A meter that counts wrong (a `scale` fault): when the firmware's status hr_meter
    first said implausible (3) after the fault, whether it did before it, whether it
    said failed (2) meanwhile, and when it said counting (1) again after the clear."""
    three = np.nonzero((t >= t_f) & (meter == 3))[0]
    end = t_c if t_c is not None else math.inf
    back = (np.nonzero((t >= t_c) & (meter == 1))[0] if t_c is not None
            else np.array([], dtype=int))
    return {"detected_s": _f(float(t[three[0]])) if three.size else None,
            "before": bool(np.any((t < t_f) & (meter == 3))),
            "failed": bool(np.any((t >= t_f) & (t < end) & (meter == 2))),
            "back_s": _f(float(t[back[0]])) if back.size else None}


def _around(tr: dict, dt: float, t_f: float, t_det: float | None, t_c: float) -> dict:
    """From 60 s before the fault to 60 s after the detection: what must be booked is
    the plant's heat until the fault (the meter counted it) and the estimate from the
    fault on (booked at the detection for the time since the meter's last pulse)."""
    t0, t1 = max(0.0, t_f - 60.0), min(t_c, (t_det if t_det is not None else t_f) + 60.0)
    a, b, whole = interval(tr, dt, t0, t_f), interval(tr, dt, t_f, t1), interval(tr, dt, t0, t1)
    return {"t0_s": _f(t0), "t1_s": _f(t1), "booked_kwh": whole["booked_kwh"],
            "plant_kwh": _f(a["plant_kwh"] + b["estimate_kwh"]),
            "without_since_kwh": _f(a["plant_kwh"] + interval(
                tr, dt, t_det if t_det is not None else t_f, t1)["estimate_kwh"])}


def tank(tr: dict, settings: dict, band_k: float = 0.5) -> dict:
    """The plant's tank temperature against t_tank_sp_c from when it first came within
    band_k of it; the share of the run the HR pump ran, and the 0-10 V terminal's most."""
    t = _col(tr, "t_s")
    tt = _col(tr, "plant.t_tank_c")
    sp = float(settings.get("t_tank_sp_c", math.nan))
    if not t.size or not math.isfinite(sp):
        return {}
    near = np.nonzero(tt >= sp - band_k)[0]
    after = tt[near[0]:] if near.size else tt[:0]
    pump = np.nan_to_num(_col(tr, "out.hr_pump_pct")) > 0.5
    return {"sp_c": sp, "src": settings.get("hr_demand_src"),
            "t_tank_start_c": _f(tt[0]), "reached_s": _f(t[near[0]]) if near.size else None,
            "t_tank_min_after_c": _f(after.min()) if after.size else None,
            "t_tank_max_after_c": _f(after.max()) if after.size else None,
            "t_tank_end_c": _f(tt[-1]), "pump_share": _f(float(pump.mean())),
            "demand_v_max": _f(np.nanmax(_col(tr, "bnd.demand_v")))}


def _last_sunday(year: int, month: int) -> int:
    from datetime import date, timedelta

    d = date(year, month + 1, 1) - timedelta(days=1)
    return d.day - (d.weekday() + 1) % 7


def local(unix_s: float, offset_min: float, summer: bool):
    """Local civil time of a Unix time: the standard offset, one hour more from the last
    Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC when summer time is
    kept (the EU rule; written here, apart from the firmware's co2hr.clock)."""
    from datetime import UTC, datetime, timedelta

    u = datetime.fromtimestamp(unix_s, UTC)
    add = 0
    if summer:
        a = datetime(u.year, 3, _last_sunday(u.year, 3), 1, tzinfo=UTC)
        b = datetime(u.year, 10, _last_sunday(u.year, 10), 1, tzinfo=UTC)
        add = 60 if a <= u < b else 0
    return u + timedelta(minutes=offset_min + add)


def plant_calendar(tr: dict, dt: float, cal: dict, settings: dict) -> dict:
    """The plant's running time, compressor energy and heat to the HR water (while its
    compressors ran) per local month and heating season, from the clock set on: each
    row's time as the clock event set it plus the simulated time since."""
    t = _col(tr, "t_s")
    t_set, unix_set = cal["clock_set"]
    off = float(settings.get("tz_offset_min", 0.0))
    summer = bool(settings.get("tz_summer_time", 0))
    run = (_col(tr, "plant.comp_running") > 0.5).astype(float)
    w = row_seconds(tr, dt)
    q = np.nan_to_num(_col(tr, "plant.q_hr_kw"))
    p = np.nan_to_num(_col(tr, "plant.w_comp_kw"))
    months: dict = {}
    seasons: dict = {}
    for k in np.nonzero(t >= t_set)[0]:
        d = local(unix_set + float(t[k]) - t_set, off, summer)
        heating = d.month >= 10 or d.month <= 3
        sy = d.year if d.month >= 4 else d.year - 1
        keys = ((months, f"{d.year}-{d.month:02d}"),
                (seasons, f"heating {sy}/{(sy + 1) % 100:02d}" if heating else f"rest {d.year}"))
        for grp, key in keys:
            g = grp.setdefault(key, {"run_s": 0.0, "comp_kwh": 0.0, "heat_kwh": 0.0,
                                     "t0_s": float(t[k])})
            g["run_s"] += run[k] * w[k]
            g["comp_kwh"] += p[k] * w[k] / 3600.0
            g["heat_kwh"] += q[k] * run[k] * w[k] / 3600.0
    return {"months": months, "seasons": seasons}
