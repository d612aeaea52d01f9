"""Control-quality figures of one closed-loop run (summary.json).

Why: a controls developer changes a control law and needs, in numbers, whether the rig
still behaves: COP against the best the plant could do at the same conditions (from the
steady-state cycle calculator), pressure tracking, limits, heat recovered and what it
cost, water temperature, alarms and tick overruns. Everything here works on the
columnar trace of rig.hil.runner (plain lists by column name), so it is tested on
synthetic traces without running a plant. The pass/fail verdicts on these figures are
rig.hil.checks.

COP ratio: in each steady window, the plant's mean COP divided by the calculator's COP
at the COP-optimal gas cooler pressure for the window's mean evaporating temperature,
gas cooler outlet temperature T3, receiver pressure and cooling load (the plant's
compressor isentropic efficiency and superheat; the firmware's minimum condensing
temperature). `cop_ratio_cycle` is the same ratio with both COPs from the calculator
(the actual mean p_gc against the optimum): it isolates the controller's choice of
pressure from any plant/calculator difference.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from rig.hil import heatbook
from rig.hil.checks import P_GC_ABS_LIMIT_BAR, W_BOIL_LIMIT_C
from rig.hil.columns import col as _col
from rig.hil.columns import json_float as _f
from rig.hil.columns import row_seconds
from rig.hil.trace import PEAK_COL
from rig.plant import PlantParams, cycle

P_REC_DESIGN_BAR = 90.0  # the receiver's design pressure: its relief valve sits there


# -- steady-state COP ---------------------------------------------------------------------

@functools.lru_cache(maxsize=4096)
def _cycle_cached(te_c: float, t3_c: float, p_rec_bar: float, q_evap_kw: float,
                  p_gc: float | str, sh_k: float, eta_is: float, t_cond_min_c: float) -> dict:
    return cycle.solve(te_c, sh_k, eta_is, t3_c, p_gc, p_rec_bar, q_evap_kw,
                       t_cond_min_c=t_cond_min_c)


def optimum_cop(te_c, t3_c, p_rec_bar, q_evap_kw, p_gc_bar=None, sh_k=10.0, eta_is=0.65,
                t_cond_min_c=10.0, p_max_bar=None) -> dict:
    """Calculator COP at the optimum (and at p_gc_bar if given) for these conditions.

    With p_max_bar (the configured maximum pressure) the optimum is the best COP the
    controller may reach: COP(p) has one maximum, so when the free optimum lies above
    the limit the allowed optimum is at the limit. Both are returned."""
    args = (round(te_c, 2), round(t3_c, 2), round(p_rec_bar, 2), round(q_evap_kw, 1))
    opt = _cycle_cached(*args, "opt", sh_k, eta_is, t_cond_min_c)
    r = {"p_opt_bar": opt["p_gc_bar"], "cop_opt": opt["cop"], "w_opt_kw": opt["w_comp_kw"],
         "p_opt_free_bar": opt["p_gc_bar"], "cop_opt_free": opt["cop"],
         "opt_limited": False}
    if p_max_bar is not None and opt["p_gc_bar"] > p_max_bar:
        lim = _cycle_cached(*args, round(p_max_bar, 2), sh_k, eta_is, t_cond_min_c)
        r.update(p_opt_bar=p_max_bar, cop_opt=lim["cop"], w_opt_kw=lim["w_comp_kw"],
                 opt_limited=True)
    if p_gc_bar is not None:
        at = _cycle_cached(*args, round(p_gc_bar, 2), sh_k, eta_is, t_cond_min_c)
        r.update(cop_at_p=at["cop"], w_at_p_kw=at["w_comp_kw"])
    return r


def steady_cop(tr: dict, windows, pp: PlantParams, t_cond_min_c: float,
               p_max_bar: float | None = None) -> list[dict]:
    t = _col(tr, "t_s")
    out = []
    for t0, t1 in windows:
        m = (t >= t0) & (t <= t1) & (_col(tr, "plant.comp_running") > 0.5)
        row: dict = {"t0_s": _f(t0), "t1_s": _f(t1),
                     "t_amb_c": _f(np.nanmean(_col(tr, "bnd.t_amb_c")[(t >= t0) & (t <= t1)]))
                     if np.any((t >= t0) & (t <= t1)) else None}
        if m.sum() < max(3, 0.5 * ((t >= t0) & (t <= t1)).sum()):
            row["error"] = "compressor not running for most of the window"
            out.append(row)
            continue
        mean = {k: float(np.mean(_col(tr, "plant." + k)[m])) for k in
                ("cop", "te_c", "t_gc_out_c", "p_rec_bar", "p_gc_bar", "q_evap_kw", "w_comp_kw")}
        row.update({k: _f(v) for k, v in mean.items()})
        try:
            o = optimum_cop(mean["te_c"], mean["t_gc_out_c"], mean["p_rec_bar"],
                            mean["q_evap_kw"], mean["p_gc_bar"], pp.pack.sh_k, pp.comp.eta_is,
                            t_cond_min_c, p_max_bar)
            row.update({k: (_f(v) if not isinstance(v, bool) else v) for k, v in o.items()})
            row["cop_ratio"] = _f(mean["cop"] / o["cop_opt"])
            row["cop_ratio_free"] = _f(mean["cop"] / o["cop_opt_free"])
            row["cop_ratio_cycle"] = _f(o["cop_at_p"] / o["cop_opt"])
        except ValueError as e:
            row["error"] = f"cycle calculator: {e}"
        out.append(row)
    return out


# -- pressure tracking ----------------------------------------------------------------------

def _step_response(t, e, t0, t1, band):
    """Error e (measured - setpoint) after a step at t0 up to t1."""
    m = (t >= t0) & (t < t1) & np.isfinite(e)
    if m.sum() < 2:
        return None
    tt, ee = t[m], e[m]
    k = int(np.argmax(np.abs(ee)))
    peak = float(ee[k])
    # settling: the first time after which |e| stays inside the band up to t1
    outside = np.nonzero(np.abs(ee) > band)[0]
    if outside.size == 0:
        settle = 0.0
    elif outside[-1] == ee.size - 1:
        settle = None  # still outside at the end of the window
    else:
        settle = float(tt[outside[-1] + 1] - t0)
    # overshoot: furthest excursion to the other side after the peak
    after = ee[k:]
    over = float(np.max(-np.sign(peak) * after)) if peak != 0.0 else 0.0
    return {"t_s": _f(t0), "peak_error_bar": _f(peak), "settling_s": _f(settle),
            "overshoot_bar": _f(max(0.0, over)), "band_bar": band, "window_s": _f(t1 - t0)}


def tracking(tr: dict, meas: str, ref: np.ndarray, warmup_s: float, steps, band: float,
             window_s: float, t_end: float) -> dict:
    t = _col(tr, "t_s")
    y = _col(tr, meas)
    e = y - ref
    running = _col(tr, "plant.comp_running") > 0.5
    m = (t >= warmup_s) & np.isfinite(e) & running
    r: dict = {"samples": int(m.sum())}
    if m.any():
        r.update(rms_bar=_f(np.sqrt(np.mean(e[m] ** 2))), max_error_bar=_f(np.max(np.abs(e[m]))),
                 mean_error_bar=_f(np.mean(e[m])))
    else:
        r.update(rms_bar=None, max_error_bar=None, mean_error_bar=None)
    resp = []
    steps = sorted(steps)
    for i, ts in enumerate(steps):
        t1 = min(ts + window_s, steps[i + 1] if i + 1 < len(steps) else t_end + 1.0)
        s = _step_response(t, e, ts, t1, band)
        if s is not None:
            resp.append(s)
    r["steps"] = resp
    r["settling_s_max"] = None
    if resp:
        st = [s["settling_s"] for s in resp]
        r["settling_s_max"] = None if any(x is None for x in st) else max(st)
        r["overshoot_bar_max"] = max(s["overshoot_bar"] or 0.0 for s in resp)
    return r


def setting_series(tr: dict, name: str, start: dict, log: list[dict]) -> np.ndarray:
    """A setting's value per sample: its start value, changed by setting/Modbus events."""
    t = _col(tr, "t_s")
    v = np.full(t.size, float(start.get(name, np.nan)))
    for ev in log:
        new = None
        if ev["event"] == "setting" and ev.get("name") == name:
            new = ev["value"]
        elif ev["event"] == "modbus_write" and name in ev.get("values", {}) \
                and not ev.get("refused_by"):  # (a refused write changed nothing)
            new = ev["values"][name]
        if new is not None:
            v[t >= ev["t_s"]] = float(new)
    return v


# -- alarms, stages, heat -----------------------------------------------------------------

def alarm_intervals(tr: dict, alarm_names: list[str]) -> list[dict]:
    """Alarm activations from the fw.alarm_word_k columns: name, raised and cleared times."""
    t = _col(tr, "t_s")
    out = []
    for i, name in enumerate(alarm_names):
        w = _col(tr, f"fw.alarm_word_{i // 16}")
        if np.all(np.isnan(w)):
            continue
        bit = np.where(np.isfinite(w), (np.nan_to_num(w).astype(np.int64) >> (i % 16)) & 1, 0)
        d = np.diff(np.concatenate(([0], bit, [0])))
        for a, b in zip(np.nonzero(d == 1)[0], np.nonzero(d == -1)[0], strict=True):
            out.append({"alarm": name, "raised_s": _f(t[a]),
                        "cleared_s": _f(t[b]) if b < t.size else None})
    out.sort(key=lambda x: x["raised_s"])
    return out


def transitions(tr: dict, col: str, on=lambda v: v > 0.5) -> list[dict]:
    """Each change of a boolean view of `col`: time, new state and the demand then."""
    t = _col(tr, "t_s")
    y = _col(tr, col)
    dem = _col(tr, "bnd.demand_v")
    ok = np.isfinite(y)
    out = []
    prev = None
    for k in np.nonzero(ok)[0]:
        s = bool(on(y[k]))
        if prev is not None and s != prev:
            out.append({"t_s": _f(t[k]), "on": s, "demand_v": _f(dem[k])})
        prev = s
    return out


def stage_changes(tr: dict) -> list[dict]:
    t = _col(tr, "t_s")
    y = _col(tr, "fw.hr_stage")
    dem = _col(tr, "bnd.demand_v")
    out = []
    prev = None
    for k in np.nonzero(np.isfinite(y))[0]:
        s = int(y[k])
        if prev is not None and s != prev:
            out.append({"t_s": _f(t[k]), "from": prev, "to": s, "demand_v": _f(dem[k])})
        prev = s
    return out


def _forced_samples(tr: dict, mask: np.ndarray, h: np.ndarray, dt: float, sample_s: float):
    """(row, hours it stands for) for the calculator's samples of the rows in mask: every
    sample_s / dt-th row at a uniform step, else the first row of each sample_s window
    standing for the masked rows in it."""
    idx = np.nonzero(mask)[0]
    if "w_s" not in tr:
        step = max(1, int(round(sample_s / dt)))
        return [(int(k), step * dt / 3600.0) for k in idx[::step]]
    t = _col(tr, "t_s")[idx]
    bins = np.floor(t / sample_s)
    out = []
    for b in np.unique(bins):
        sel = idx[bins == b]
        out.append((int(sel[0]), float(h[sel].sum())))
    return out


def heat(tr: dict, dt: float, pp: PlantParams, t_cond_min_c: float,
         sample_s: float = 60.0) -> dict:
    """Energy over the run, and the efficiency of heat recovery: recovered heat in forced
    operation / extra compressor work against running at the COP optimum (both compressor
    works from the calculator at the same conditions, sampled every sample_s)."""
    q_hr = np.nan_to_num(_col(tr, "plant.q_hr_kw"))
    w = np.nan_to_num(_col(tr, "plant.w_comp_kw"))
    q_ev = np.nan_to_num(_col(tr, "plant.q_evap_kw"))
    weights = row_seconds(tr, dt)
    h = weights / 3600.0
    r = {"q_hr_kwh": _f((q_hr * h).sum()), "w_comp_kwh": _f((w * h).sum()),
         "q_evap_kwh": _f((q_ev * h).sum()),
         "q_hr_mean_kw": _f((q_hr * h).sum() / h.sum() if q_hr.size else 0),
         "q_load_kwh": _f((np.nan_to_num(_col(tr, "bnd.q_load_kw")) * h).sum())}
    w_sum = (w * h).sum()
    r["cop_mean"] = _f((q_ev * h).sum() / w_sum) if w_sum > 0 else None
    r["cop_total_mean"] = _f(((q_ev + q_hr) * h).sum() / w_sum) if w_sum > 0 else None
    forced = _col(tr, "fw.op_state") == 2
    if not forced.any():
        raise_ = _col(tr, "fw.hr_raise_bar")
        forced = np.nan_to_num(raise_) > 0.1
    r["forced_s"] = _f((forced * weights).sum())
    q_forced = extra = 0.0
    errors = 0
    running = _col(tr, "plant.comp_running") > 0.5
    for k, hk in _forced_samples(tr, forced & running, h, dt, sample_s):
        try:
            o = optimum_cop(tr["plant.te_c"][k], tr["plant.t_gc_out_c"][k],
                            tr["plant.p_rec_bar"][k], max(1.0, tr["plant.q_evap_kw"][k]),
                            tr["plant.p_gc_bar"][k], pp.pack.sh_k, pp.comp.eta_is,
                            t_cond_min_c)
        except ValueError:
            errors += 1
            continue
        q_forced += q_hr[k] * hk
        extra += (o["w_at_p_kw"] - o["w_opt_kw"]) * hk
    r["q_hr_forced_kwh"] = _f(q_forced)
    r["extra_comp_kwh"] = _f(extra)
    r["ehr"] = _f(q_forced / extra) if abs(extra) > 1e-6 else None
    r["ehr_samples_failed"] = errors
    ehr_fw = _col(tr, "fw.ehr")
    r["ehr_firmware"] = _f(ehr_fw[np.isfinite(ehr_fw)][-1]) if np.isfinite(ehr_fw).any() else None
    return r


# -- the summary ----------------------------------------------------------------------------

def summarize(loop) -> dict:
    """summary.json for a finished rig.hil.runner.ClosedLoop."""
    sc, tr = loop.sc, loop.trace
    pp = loop.rig.plant.params
    st = loop.settings_start or {}
    t = _col(tr, "t_s")
    t_end = float(t[-1]) if t.size else 0.0
    t_cond_min = float(st.get("t_cond_min_c", 10.0))
    m = sc.metrics
    p_gc = _col(tr, "plant.p_gc_bar")
    # (weighted rows: each row's peak over its interval, trace.PEAK_COL)
    p_gc_hi = _col(tr, PEAK_COL) if PEAK_COL in tr else p_gc
    p_rec = _col(tr, "plant.p_rec_bar")
    p_gc_max_set = setting_series(tr, "p_gc_max_bar", st, loop.log)
    p_rec_sp = setting_series(tr, "p_rec_sp_bar", st, loop.log)
    ref = _col(tr, "fw.p_gc_ref_bar")
    kmax = int(np.nanargmax(p_gc_hi)) if t.size else 0
    from co2hr.alarms import ALARMS

    s = {
        "scenario": sc.name,
        "source": sc.source,
        "target": loop.target.name,
        "duration_s": _f(t_end),
        "planned_duration_s": _f(sc.duration_s),
        "complete": loop.error is None and t_end >= sc.duration_s - sc.step_s,
        "error": loop.error,
        "wall_s": _f(loop.wall_s),
        "speed_x_real_time": _f(t_end / loop.wall_s) if loop.wall_s > 0 else None,
        "cop": steady_cop(tr, m["steady"], pp, t_cond_min, st.get("p_gc_max_bar")),
        "p_gc_tracking": tracking(tr, "plant.p_gc_bar", ref, m["warmup_s"], m["steps_s"],
                                  m["settle_band_bar"], m["settle_window_s"], t_end),
        "p_rec_tracking": tracking(tr, "plant.p_rec_bar", p_rec_sp, m["warmup_s"], m["steps_s"],
                                   m["settle_band_bar"], m["settle_window_s"], t_end),
        "limits": {
            "p_gc_max_bar": _f(p_gc_hi[kmax]) if t.size else None,
            "p_gc_max_t_s": _f(t[kmax]) if t.size else None,
            "p_gc_limit_bar": _f(np.nanmin(p_gc_max_set)) if t.size else None,
            "p_gc_abs_limit_bar": P_GC_ABS_LIMIT_BAR,
            "p_gc_over_limit_s": _f(np.sum((p_gc > p_gc_max_set) * row_seconds(tr, sc.step_s))),
            # the closest p_gc came to the p_gc_max_bar in force at the time (< 0: above)
            "p_gc_limit_margin_bar": _f(np.nanmin(p_gc_max_set - p_gc_hi)) if t.size else None,
            "p_rec_max_bar": _f(np.nanmax(p_rec)) if t.size else None,
            "p_rec_min_bar": _f(np.nanmin(p_rec)) if t.size else None,
            "p_rec_hi_bar": _f(st.get("p_rec_hi_bar")),
            "p_rec_design_bar": P_REC_DESIGN_BAR,
            "relief_open_s": _f(np.nansum(_col(tr, "plant.relief_open")
                                          * row_seconds(tr, sc.step_s))),
            "vented_kg": _f(_col(tr, "plant.vented_kg")[-1]) if t.size else None,
        },
        "heat": heat(tr, sc.step_s, pp, t_cond_min),
        "water": {
            "t_w_out_max_c": _f(np.nanmax(_col(tr, "plant.t_w_out_c"))) if t.size else None,
            "t_w_out_max_t_s": _f(t[int(np.nanargmax(_col(tr, "plant.t_w_out_c")))])
            if t.size else None,
            "t_tank_max_c": _f(np.nanmax(_col(tr, "plant.t_tank_c"))) if t.size else None,
            "limit_c": W_BOIL_LIMIT_C,
            "boiled": bool(np.nansum(_col(tr, "plant.water_boiling")) > 0),
        },
        "alarms": alarm_intervals(tr, [a[1] for a in ALARMS]),
        "hr_stages": stage_changes(tr),
        "switching": {
            "hr_pump": transitions(tr, "out.hr_pump_pct", lambda v: v > 0.5),
            "gc_bypass": transitions(tr, "out.gc_bypass"),
            "hr_raise": transitions(tr, "fw.hr_raise_bar", lambda v: v > 0.05),
            "fan_reduction": transitions(tr, "fw.fan_limit_pct", lambda v: v < 99.95),
            # the 3-way valve as the plant has it (open: any CO2 through the HRHX)
            "hr_valve": transitions(tr, "plant.hr_valve_pos_pct", lambda v: v > 0.05),
            "hr_valve_cmd": transitions(tr, "out.hr_valve_pct", lambda v: v > 0.05),
        },
        "ticks": int(np.nanmax(_col(tr, "fw.ticks"))) if t.size else 0,
        "overruns": int(np.nanmax(_col(tr, "fw.overruns"))) if t.size else 0,
        "reboots": loop.reboots,
        "events": loop.log,
        "settings": st,
        "modbus": {"requests": loop.fw.requests, "exceptions": loop.fw.exceptions,
                   "poll": loop.modbus_poll_stats},
    }
    if sc.quiet_step_s is not None or sc.record_s is not None:
        s["steps"] = {"quiet": loop.gate.long_steps, "normal": loop.gate.short_steps,
                      "quiet_step_s": sc.quiet_step_s, "record_s": sc.record_s}
    s["sensor_faults"] = sensor_faults(tr, loop.log, s["alarms"], st)
    s["low_ambient"] = low_ambient(tr, m["warmup_s"], sc.step_s, st, s["alarms"])
    if loop.reboots:
        s["reboot"] = loop.reboot_summary()
    if loop.evlog_cut:
        s["event_log_cut"] = loop.evlog_cut
    s["accounting"] = booked(tr)
    s["heat_book"] = heatbook.summary(tr, loop.log, sc.step_s, m["warmup_s"])
    s["tank"] = heatbook.tank(tr, st)
    if loop.calendar is not None:
        s["calendar"] = loop.calendar
        s["calendar"]["plant"] = heatbook.plant_calendar(tr, sc.step_s, loop.calendar, st)
    s["starts"] = comp_starts(tr, loop.log)
    s["inj_stop"] = inj_stop(tr, loop.log)
    return _jsonable(s)


INJ_SWITCH_LAG_ROWS = 2  # the HP switch contact reaches the relay through a tick or two


def inj_stop(tr: dict, log: list[dict] | None = None) -> dict:
    """The injection-stop relay as the simulated board received it (out.inj_stop) against
    the stops it must cover: each HP stop (the firmware's hp_stop_count rising above all it
    read before) from that row until the compressor enable as the plant received it
    (out.comp_enable) comes on again, and each row where the plant's own HP switch has
    been open for INJ_SWITCH_LAG_ROWS rows; and the rows where it was on while the
    compressors were enabled (the cases would starve a running pack), but while the HP
    switch cuts them (open, or within INJ_SWITCH_LAG_ROWS of it) and from a `di` event
    that forces the hp_ok terminal on (the firmware then sees a switch the plant has not)."""
    t = _col(tr, "t_s")
    inj = np.nan_to_num(_col(tr, "out.inj_stop")) > 0.5
    en = np.nan_to_num(_col(tr, "out.comp_enable")) > 0.5
    n = np.nan_to_num(_col(tr, "fw.hp_stop_count"), nan=-1.0)
    seen = np.maximum.accumulate(np.concatenate(([-1.0], n)))[:-1] if n.size else n
    starts = np.nonzero((n > seen) & (seen >= 0.0))[0]
    stops, uncovered = [], []
    for k in starts:
        on = np.nonzero(en[k:])[0]
        end = k + int(on[0]) if on.size else len(t)
        stops.append({"t_s": _f(float(t[k])), "held_s": _f(float(t[end - 1] - t[k]))})
        if not inj[k:end].all():
            uncovered.append(_f(float(t[k + int(np.nonzero(~inj[k:end])[0][0])])))
    sw = np.nan_to_num(_col(tr, "plant.hp_switch_ok"), nan=1.0) < 0.5
    lag = INJ_SWITCH_LAG_ROWS
    sw_held = sw.copy()
    for j in range(1, lag + 1):
        sw_held[j:] &= sw[:-j]
    sw_held[:lag] = False
    sw_near = sw.copy()
    for j in range(1, lag + 1):
        sw_near[j:] |= sw[:-j]
    forced = min((e["t_s"] for e in log or () if e.get("event") == "di"
                  and e.get("name") == "hp_ok"), default=math.inf)
    wrong = inj & en & ~sw_near & (t < forced)
    return {"hp_stops": stops, "uncovered_t_s": uncovered,
            "switch_open_rows": int(sw_held.sum()),
            "switch_uncovered_t_s": [_f(float(x)) for x in t[sw_held & ~inj][:10]],
            "on_while_enabled_t_s": [_f(float(x)) for x in t[wrong][:10]],
            "on_rows": int(inj.sum())}


# a row before a start further back than this (a long quiet step) is not the valve the
# enable found (the runner writes a row at each change of the enable)
START_ROW_GAP_S = 2.0


def comp_starts(tr: dict, log: list[dict]) -> list[dict]:
    """Each time the compressor enable came on (out.comp_enable rising, or on in the first
    row): the plant's true HPEV opening then (the lower of that row and the row before
    when that is one step away: the valve as the enable found it) and whether an HPEV
    valve_stuck fault was in force (no controller can move a stuck valve)."""
    t = _col(tr, "t_s")
    en = np.nan_to_num(_col(tr, "out.comp_enable")) > 0.5
    pos = _col(tr, "plant.hpev_pos_pct")
    stuck = []  # (from, to) of HPEV valve_stuck faults
    for e in log:
        if e.get("event") == "valve_stuck" and e.get("valve") == "hpev":
            if stuck and stuck[-1][1] is None:
                stuck[-1] = (stuck[-1][0], e["t_s"])
            if e.get("pct") is not None:
                stuck.append((e["t_s"], None))
    out = []
    for k in np.nonzero(en & ~np.concatenate(([False], en[:-1])))[0]:
        near = k > 0 and t[k] - t[k - 1] <= START_ROW_GAP_S
        p = float(np.nanmin(pos[k - 1:k + 1])) if near else float(pos[k])
        ts = float(t[k])
        out.append({"t_s": _f(ts), "hpev_pos_pct": _f(p),
                    "hpev_stuck": any(a <= ts and (b is None or ts < b) for a, b in stuck)})
    return out


BOOKED = ("run_refrig_s", "run_forced_s", "hr_refrig_wh", "hr_forced_wh", "comp_wh",
          "comp_refrig_wh", "comp_forced_wh", "comp_extra_wh")


def booked(tr: dict) -> dict:
    """What the firmware's counters booked over the run (last sample - first sample),
    by counter name (None where the counter was never read)."""
    out: dict = {}
    for c in BOOKED:
        y = _col(tr, "fw." + c)
        y = y[np.isfinite(y)] if y.size else y
        out[c] = _f(y[-1] - y[0]) if y.size else None
    return out


def paired(tr: dict, companion: dict, dt: float, dp_bar: float = 1.0) -> dict:
    """The plant's own figures for forcing, from this run and a companion run that is
    the same but without heat-recovery demand: the time where this run's p_gc is more
    than dp_bar above the companion's, and the integral of the compressor-power
    difference (kWh), step by step over the common length."""
    a_p, b_p = _col(tr, "plant.p_gc_bar"), _col(companion, "plant.p_gc_bar")
    a_w, b_w = _col(tr, "plant.w_comp_kw"), _col(companion, "plant.w_comp_kw")
    n = min(a_p.size, b_p.size)
    above = np.nan_to_num(a_p[:n] - b_p[:n], nan=-1e9) > dp_bar
    dw = np.nan_to_num(a_w[:n]) - np.nan_to_num(b_w[:n])
    per = max(1, int(round(60.0 / dt))) if dt > 0 else 1  # minute bins of compressor energy

    def bins(w):
        w = np.nan_to_num(w[:n])
        return [_f(float(np.sum(w[i:i + per])) * dt / 3600.0) for i in range(0, n, per)]

    return {"steps": int(n), "dp_bar": dp_bar, "bin_s": per * dt,
            "w_comp_kwh_bins": bins(a_w), "w_comp_kwh_bins_companion": bins(b_w),
            "forced_s": _f(float(np.sum(above[:-1])) * dt) if n > 1 else 0.0,
            "extra_kwh": _f(float(np.sum(dw[:-1])) * dt / 3600.0) if n > 1 else 0.0}


def low_ambient(tr: dict, warmup_s: float, dt: float, settings: dict,
                alarms: list[dict]) -> dict:
    """At very low ambient (the GC bypass, docs/control.md): the receiver pressure after
    warm-up against its limits, the low-ambient GC bypass (fw.gcb_rec == 1) openings and
    closings, and the CO2 that flowed backwards through the HPEV (receiver -> gas
    cooler) while the pack stood, in total and per standstill."""
    t = _col(tr, "t_s")
    if not t.size:
        return {}
    after = t >= warmup_s
    p_rec = _col(tr, "plant.p_rec_bar")
    gcb = np.nan_to_num(_col(tr, "fw.gcb_rec"))
    is_open = (gcb > 0.5) & (gcb < 1.5)  # 1 = bypass open for the receiver pressure
    d = np.diff(is_open.astype(np.int8))
    still = np.nan_to_num(_col(tr, "plant.comp_running")) < 0.5
    back = np.clip(-np.nan_to_num(_col(tr, "plant.m_dot_hpev_kg_s")), 0.0, None) * still
    per_stop = []
    k = 0
    while k < t.size:  # each standstill: the mass that flowed back during it
        if still[k]:
            j = k
            while j < t.size and still[j]:
                j += 1
            per_stop.append(float(back[k:j].sum() * dt))
            k = j
        else:
            k += 1
    low_s = 0.0
    t_end = float(t[-1])
    for a in alarms:
        if a["alarm"] == "p_rec_low":
            a0 = max(a["raised_s"], warmup_s)
            a1 = a["cleared_s"] if a["cleared_s"] is not None else t_end
            low_s += max(0.0, a1 - a0)
    return {
        "warmup_s": _f(warmup_s),
        "p_rec_min_bar": _f(np.nanmin(p_rec[after])) if after.any() else None,
        "p_rec_max_bar": _f(np.nanmax(p_rec[after])) if after.any() else None,
        "p_rec_lo_bar": _f(settings.get("p_rec_lo_bar")),
        "p_rec_hi_bar": _f(settings.get("p_rec_hi_bar")),
        "p_rec_low_alarm_s": _f(low_s),
        "gcb_rec_openings": int(np.sum(d == 1)),
        "gcb_rec_closings": int(np.sum(d == -1)),
        "gcb_rec_open_share": _f(is_open.mean()),
        "gcb_rec_open_at_end": bool(is_open[-1]),
        "standstills": len(per_stop),
        "backflow_kg": _f(back.sum() * dt),
        "backflow_max_per_standstill_kg": _f(max(per_stop) if per_stop else 0.0),
        "backflow_max_kg_s": _f(back.max()),
    }


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (bool, str)) or x is None:
        return x
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return _f(x)
    return str(x)


# -- sensor faults: what the firmware did while each input was broken ---------------------

_BEFORE = "before"  # a fallback expected at a column's mean over hold_s before the fault
_AT_LEAST = "at_least"  # a fallback expected at a setting or above it


def _fallbacks():
    """Per input: (alarm name, overrides bit, [(trace column, setting name or value)]) as
    the firmware declares them (alarm texts and status overrides bits of co2hr)."""
    from co2hr import status as S

    return {
        # p_gc invalid: the HPEV held at least at hpev_fail_pct (or the opening it had when
        # p_gc was lost, if larger: co2hr.hp_guard)
        "p_gc_bar": ("p_gc_sensor", S.OV_P_GC_FB, [("out.hpev_pct",
                                                    (_AT_LEAST, "hpev_fail_pct"))]),
        # p_rec invalid while the compressors run: the BEV fully open (co2hr.receiver;
        # bev_fail_pct only while they stand still)
        "p_rec_bar": ("p_rec_sensor", S.OV_P_REC_FB, [("out.bev_pct", 100.0)]),
        "p_suc_bar": ("p_suc_sensor", 0, []),
        # T3 invalid: the Max-COP reference from t_amb + the last measured approach + 1 K
        # (no heat-recovery raise on a substitute), i.e. close to the optimum the healthy
        # T3 gave just before (the 1 K margin is worth up to ~3 bar above the critical
        # point); not the fixed p_ref_fail_bar
        "t_gc_out_c": ("t3_sensor", S.OV_T3_FB, [("fw.p_gc_ref_bar",
                                                   (_BEFORE, 3.0, "fw.p_gc_opt_bar")),
                                                  ("out.fan_pct", 100.0)]),
        "t_amb_c": ("t_amb_sensor", 0, [("out.fan_pct", 100.0)]),
        "t_disch_c": ("t_disch_sensor", S.OV_W_FB, [("out.hr_valve_pct", 0.0)]),
        "t_w_in_c": ("t_w_in_sensor", S.OV_W_FB, [("out.hr_valve_pct", 0.0)]),
        "t_w_out_c": ("t_w_out_sensor", S.OV_W_FB, [("out.hr_valve_pct", 0.0)]),
        "t_tank_c": ("t_tank_sensor", 0, []),
        "demand_v": ("demand_sensor", S.OV_DEMAND_FB, [("out.hr_pump_pct", 0.0),
                                                        ("out.hr_valve_pct", 0.0)]),
    }


def sensor_faults(tr: dict, log: list[dict], alarms: list[dict], settings: dict,
                  hold_s: float = 60.0) -> list[dict]:
    t = _col(tr, "t_s")
    ov = _col(tr, "fw.overrides")
    fb = _fallbacks()
    out = []
    faults = [e for e in log if e["event"] == "fault"]
    for ev in faults:
        sig = ev["signal"]
        t0 = ev["t_s"]
        clears = [e["t_s"] for e in log if e["event"] == "clear" and e["signal"] == sig
                  and e["t_s"] > t0]
        t1 = min(clears) if clears else float(t[-1]) + 1.0
        alarm, bit, expect = fb.get(sig, ("?", 0, []))
        raised = [a for a in alarms if a["alarm"] == alarm and t0 <= a["raised_s"] <= t1]
        last = (t >= max(t0, t1 - hold_s)) & (t < t1)
        r = {"signal": sig, "kind": ev["kind"], "t_s": t0, "cleared_s": t1, "alarm": alarm,
             "alarm_raised_s": raised[0]["raised_s"] if raised else None}
        if bit:
            seen = np.nan_to_num(ov[last]).astype(np.int64) & bit
            r["fallback_flag_share"] = _f(np.mean(seen != 0)) if last.any() else None
        r["fallback"] = []
        for col, want in expect:
            tol = None
            at_least = isinstance(want, tuple) and want[0] == _AT_LEAST
            if at_least:
                want = want[1]
            if isinstance(want, tuple):  # (_BEFORE, its own tolerance, the column before)
                before = (t >= t0 - hold_s) & (t < t0)
                y0 = _col(tr, want[2])[before]
                target = float(np.nanmean(y0)) if y0.size else math.nan
                tol = want[1]
            elif isinstance(want, str):
                target = float(settings.get(want, math.nan))
            else:
                target = want
            y = _col(tr, col)[last]
            got = {"signal": col, "expected": _f(target),
                   "min": _f(np.nanmin(y)) if y.size else None,
                   "max": _f(np.nanmax(y)) if y.size else None}
            if tol is not None:
                got["tol"] = tol
            if at_least:
                got["at_least"] = True
            r["fallback"].append(got)
        out.append(r)
    return out
