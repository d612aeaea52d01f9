"""Metrics on synthetic traces: known signals in, known figures out."""

from __future__ import annotations

import math

import numpy as np
import pytest

from co2hr.status import OV_P_GC_FB
from rig.hil import checks as C
from rig.hil import metrics as M
from rig.plant import PlantParams, cycle


def _trace(n, **cols):
    tr = {"t_s": [float(k) for k in range(n)], "plant.comp_running": [1.0] * n}
    for k, v in cols.items():
        tr[k] = list(v) if not np.isscalar(v) else [float(v)] * n
    return tr


def test_step_response_settling_peak_and_overshoot():
    n = 400
    t = np.arange(n, dtype=float)
    # setpoint 35; a load step at t=100 kicks p_rec up by 5 bar, decaying with 40 s and
    # undershooting by 0.5 bar before settling
    e = np.where(t < 100, 0.0, 5.0 * np.exp(-(t - 100) / 40.0) * np.cos((t - 100) / 60.0))
    tr = _trace(n, **{"plant.p_rec_bar": 35.0 + e})
    r = M.tracking(tr, "plant.p_rec_bar", np.full(n, 35.0), 0.0, [100.0], 2.0, 300.0, n - 1)
    s = r["steps"][0]
    assert s["peak_error_bar"] == pytest.approx(5.0)
    want = next(k for k in range(n - 1, 99, -1) if abs(e[k]) > 2.0) + 1 - 100
    assert s["settling_s"] == want
    assert 0.0 < s["overshoot_bar"] < 0.5
    assert r["max_error_bar"] == pytest.approx(5.0)
    assert r["rms_bar"] == pytest.approx(math.sqrt(np.mean(e**2)), rel=1e-3)


def test_step_that_never_settles_has_no_settling_time():
    n = 300
    tr = _trace(n, **{"plant.p_rec_bar": [35.0] * 100 + [40.0] * 200})
    r = M.tracking(tr, "plant.p_rec_bar", np.full(n, 35.0), 0.0, [100.0], 2.0, 300.0, n - 1)
    assert r["steps"][0]["settling_s"] is None and r["settling_s_max"] is None


def test_alarm_intervals_from_alarm_words():
    n = 100
    w0 = [0.0] * n
    for k in range(10, 30):
        w0[k] = float(1 << 4)  # alarm index 4
    for k in range(50, n):
        w0[k] = float((1 << 4) | 1)
    tr = _trace(n, **{"fw.alarm_word_0": w0})
    names = [f"a{i}" for i in range(20)]
    al = M.alarm_intervals(tr, names)
    assert al == [{"alarm": "a4", "raised_s": 10.0, "cleared_s": 30.0},
                  {"alarm": "a0", "raised_s": 50.0, "cleared_s": None},
                  {"alarm": "a4", "raised_s": 50.0, "cleared_s": None}]


def _ramp_summary(on_at=0.5, off_at=0.3):
    """A demand ramp 0->10->0 and ideal staging switches at the given thresholds."""
    up = np.linspace(0, 10, 1001)
    dem = np.concatenate([up, up[::-1], np.zeros(200)])  # (and the pump's post-run)
    n = dem.size
    rising = np.arange(n) < 1001
    on = np.where(rising, dem >= on_at, dem > off_at)
    k_on, k_off = int(np.argmax(on)), int(n - np.argmax(on[::-1]))  # first on, first off
    # the valve output opens 10 s after the pump started and closes in 20 s once the
    # staging is off, the valve motor follows 30 s later; the pump runs 60 s more + 5 s
    idx = np.arange(n)
    cmd = (idx >= k_on + 10) & (idx < k_off + 20)
    valve = (idx >= k_on + 11) & (idx < k_off + 50)
    pump = ((idx >= k_on) & (idx < k_off + 20 + 65)).astype(float) * 80.0
    byp = np.where(rising, dem >= 9.6, dem > 9.3).astype(float)
    raise_bar = np.clip((dem - 1.0) / 7.0, 0, 1) * 10.0
    fan_lim = 100.0 - np.clip(dem - 8.0, 0, 1) * 50.0
    stage = on.astype(float) + (raise_bar > 0) + (fan_lim < 100) + byp
    tr = _trace(n, **{"bnd.demand_v": dem, "out.hr_pump_pct": pump, "out.gc_bypass": byp,
                      "fw.hr_raise_bar": raise_bar, "fw.fan_limit_pct": fan_lim,
                      "fw.hr_stage": stage, "out.hr_valve_pct": cmd * 50.0,
                      "plant.hr_valve_pos_pct": valve * 50.0})
    return {"switching": {"hr_pump": M.transitions(tr, "out.hr_pump_pct"),
                          "gc_bypass": M.transitions(tr, "out.gc_bypass"),
                          "hr_raise": M.transitions(tr, "fw.hr_raise_bar", lambda v: v > 0.05),
                          "fan_reduction": M.transitions(tr, "fw.fan_limit_pct",
                                                         lambda v: v < 99.95),
                          "hr_valve": M.transitions(tr, "plant.hr_valve_pos_pct",
                                                    lambda v: v > 0.05),
                          "hr_valve_cmd": M.transitions(tr, "out.hr_valve_pct",
                                                        lambda v: v > 0.05)},
            "hr_stages": M.stage_changes(tr), "settings": {"hr_pump_post_s": 60}}


def test_stage_checks_pass_for_domain_thresholds_and_fail_for_wrong_ones():
    good = C.run_check(_ramp_summary(), "hr_stages", tol_v=0.15)
    assert all(ok for _n, ok, _d in good), good
    bad = C.run_check(_ramp_summary(on_at=1.5), "hr_stages", tol_v=0.15)
    failed = [n for n, ok, _d in bad if not ok]
    assert failed == ["HR pump starts rising past 0.5 V"]
    early = _ramp_summary()
    early["settings"]["hr_pump_post_s"] = 90  # the pump stopped 25 s short of its post-run
    failed = [n for n, ok, _d in C.run_check(early, "hr_stages") if not ok]
    assert failed == ["HR pump stops once the 3-way valve is shut, 90 s after the valve "
                      "output reached 0"]
    wet = _ramp_summary()  # the valve opened before the pump ran
    wet["switching"]["hr_valve"][0]["t_s"] = wet["switching"]["hr_pump"][0]["t_s"] - 1.0
    failed = [n for n, ok, _d in C.run_check(wet, "hr_stages") if not ok]
    assert failed == ["HR pump runs before the 3-way valve opens"]
    skipped = _ramp_summary()
    skipped["hr_stages"] = [c for c in skipped["hr_stages"] if c["to"] != 3]  # 2 -> 4 directly
    failed = [n for n, ok, _d in C.run_check(skipped, "hr_stages") if not ok]
    assert failed == ["HR stages in order up then down"]


def _steady_trace(p_gc_bar, t3=35.0, te=-10.0, p_rec=35.0, q=100.0, n=200):
    pp = PlantParams()
    r = cycle.solve(te, pp.pack.sh_k, pp.comp.eta_is, t3, p_gc_bar, p_rec, q)
    return _trace(n, **{"plant.cop": r["cop"], "plant.te_c": te, "plant.t_gc_out_c": t3,
                        "plant.p_rec_bar": p_rec, "plant.p_gc_bar": p_gc_bar,
                        "plant.q_evap_kw": q, "plant.w_comp_kw": r["w_comp_kw"],
                        "bnd.t_amb_c": t3 - 3.0})


def test_steady_cop_ratio_is_one_at_the_optimum_and_falls_beside_it():
    pp = PlantParams()
    p_opt = cycle.optimum_p_gc(35.0, -10.0, pp.pack.sh_k, pp.comp.eta_is, 35.0)
    at = M.steady_cop(_steady_trace(p_opt), [[100, 199]], pp, 10.0)[0]
    assert at["cop_ratio"] == pytest.approx(1.0, abs=1e-3)
    below = M.steady_cop(_steady_trace(p_opt - 12.0), [[100, 199]], pp, 10.0)[0]
    assert below["cop_ratio"] < 0.98  # near the critical point an undershoot costs a lot
    assert below["cop_ratio"] == pytest.approx(below["cop_ratio_cycle"], abs=1e-3)


def test_optimum_above_the_configured_maximum_is_taken_at_the_maximum():
    pp = PlantParams()
    free = cycle.optimum_p_gc(43.0, -10.0, pp.pack.sh_k, pp.comp.eta_is, 35.0)
    assert free > 105.0
    row = M.steady_cop(_steady_trace(105.0, t3=43.0), [[100, 199]], pp, 10.0, 105.0)[0]
    assert row["opt_limited"] and row["p_opt_bar"] == 105.0
    assert row["cop_ratio"] == pytest.approx(1.0, abs=1e-3)
    assert row["cop_ratio_free"] < 1.0


def test_steady_window_with_the_compressor_stopped_is_reported_not_scored():
    tr = _steady_trace(90.0)
    tr["plant.comp_running"] = [0.0] * 200
    row = M.steady_cop(tr, [[100, 199]], PlantParams(), 10.0)[0]
    assert "error" in row and "cop_ratio" not in row


def test_sensor_fault_summary_reads_alarm_flag_and_fallback_value():
    n = 300
    hpev = [30.0] * 100 + [40.0] * 100 + [30.0] * 100
    ov = [0.0] * 100 + [float(OV_P_GC_FB)] * 100 + [0.0] * 100
    tr = _trace(n, **{"out.hpev_pct": hpev, "fw.overrides": ov})
    log = [{"t_s": 100.0, "event": "fault", "signal": "p_gc_bar", "kind": "open"},
           {"t_s": 200.0, "event": "clear", "signal": "p_gc_bar"}]
    alarms = [{"alarm": "p_gc_sensor", "raised_s": 102.0, "cleared_s": 201.0}]
    f = M.sensor_faults(tr, log, alarms, {"hpev_fail_pct": 40.0})[0]
    assert f["alarm_raised_s"] == 102.0 and f["fallback_flag_share"] == 1.0
    assert f["fallback"] == [{"signal": "out.hpev_pct", "expected": 40.0, "min": 40.0,
                              "max": 40.0, "at_least": True}]


@pytest.mark.parametrize("held_pct,ok", [(40.0, True), (55.0, True), (30.0, False)])
def test_the_p_gc_fallback_holds_the_hpev_at_least_at_hpev_fail_pct(held_pct, ok):
    # (the guard keeps the opening it had when p_gc was lost if that was larger)
    hpev = [30.0] * 100 + [held_pct] * 100 + [30.0] * 100
    ov = [0.0] * 100 + [float(OV_P_GC_FB)] * 100 + [0.0] * 100
    tr = _trace(300, **{"out.hpev_pct": hpev, "fw.overrides": ov})
    log = [{"t_s": 100.0, "event": "fault", "signal": "p_gc_bar", "kind": "open"},
           {"t_s": 200.0, "event": "clear", "signal": "p_gc_bar"}]
    alarms = [{"alarm": "p_gc_sensor", "raised_s": 102.0, "cleared_s": 201.0}]
    s = {"sensor_faults": M.sensor_faults(tr, log, alarms, {"hpev_fail_pct": 40.0})}
    res = {n: r for n, r, _d in C.TABLE["sensor_fallbacks"].run(s, tol=1.0, min_flag_share=0.99)}
    assert res["p_gc_bar: out.hpev_pct at its fallback"] is ok


def test_checks_flag_pressure_water_and_overrun_violations():
    s = {"scenario": "x", "complete": True, "error": None, "duration_s": 10.0,
         "limits": {"p_gc_max_bar": 108.0, "p_gc_max_t_s": 5.0, "p_gc_limit_bar": 105.0},
         "water": {"t_w_out_max_c": 96.0, "t_w_out_max_t_s": 7.0}, "overruns": 2, "ticks": 10}
    res = {n: ok for n, ok, _d in C.evaluate(s, [])}
    assert res == {"run complete": True, "p_gc never above the configured maximum": False,
                   "p_gc never above 110 bar": True, "nothing vented": True,
                   "HR water never above 95 degC": False,
                   "no tick overruns": False,
                   "no compressor enable before the HPEV's start opening": True,
                   "no HPEV lockout without an HPEV or pressure fault": True,
                   "no deviation alarm without a plant fault": True,
                   "injection stop on through every HP stop": True,
                   "no storage alarm at boot": True}


def _inj_trace(inj, en, stops, sw=None):
    n = len(inj)
    return {"t_s": [float(k) for k in range(n)], "out.inj_stop": [float(x) for x in inj],
            "out.comp_enable": [float(x) for x in en], "fw.hp_stop_count": stops,
            "plant.hp_switch_ok": sw if sw is not None else [1.0] * n}


def test_injection_stop_against_the_hp_stops_and_the_plants_switch():
    # boot (held, relay on), released at 2; an HP stop at 4 holds the enable off to 8
    en = [0, 0, 1, 1, 0, 0, 0, 0, 1, 1]
    stops = [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    good = [1, 1, 0, 0, 1, 1, 1, 1, 0, 0]
    x = M.inj_stop(_inj_trace(good, en, stops))
    assert x["hp_stops"] == [{"t_s": 4.0, "held_s": 3.0}] and not x["uncovered_t_s"]
    (_n, ok, _d), = C.run_check({"inj_stop": x}, "inj_stop_during_hp_stops")
    assert ok
    late = [1, 1, 0, 0, 0, 1, 1, 1, 0, 0]  # one tick late
    x = M.inj_stop(_inj_trace(late, en, stops))
    (_n, ok, d), = C.run_check({"inj_stop": x}, "inj_stop_during_hp_stops")
    assert not ok and x["uncovered_t_s"] == [4.0] and "relay off at [4.0]" in d
    early = [1, 1, 0, 0, 1, 1, 1, 1, 1, 0]  # still on with the enable back
    x = M.inj_stop(_inj_trace(early, en, stops))
    assert x["on_while_enabled_t_s"] == [8.0]
    # a NaN (unread) counter and a reboot that reads the restored, lower count are no stop
    x = M.inj_stop(_inj_trace(good, en, [float("nan"), 2.0, 2.0, 2.0, 1.0, 1.0, 2.0, 2.0,
                                         2.0, 2.0]))
    assert x["hp_stops"] == []
    # the plant's HP switch open for 5 rows (2 rows of lag allowed): the relay must be on
    sw = [1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0]
    en2 = [0, 0, 1, 1, 1, 1, 1, 1, 1, 1]
    inj = [1, 1, 0, 0, 0, 1, 1, 0, 0, 0]
    x = M.inj_stop(_inj_trace(inj, en2, [0.0] * 10, sw))
    assert x["switch_open_rows"] == 3 and x["switch_uncovered_t_s"] == [7.0]
    assert x["on_while_enabled_t_s"] == []  # (the switch cuts an enabled pack)
    x = M.inj_stop(_inj_trace(early, en, stops), [{"t_s": 5.0, "event": "di", "name": "hp_ok"}])
    assert x["on_while_enabled_t_s"] == []  # a forced hp_ok terminal from 5 s


def test_heat_and_ehr_from_forced_operation():
    pp = PlantParams()
    p_opt = cycle.optimum_p_gc(30.0, -10.0, pp.pack.sh_k, pp.comp.eta_is, 35.0)
    tr = _steady_trace(p_opt + 10.0, t3=30.0, n=3600)
    tr["plant.q_hr_kw"] = [40.0] * 3600
    tr["fw.op_state"] = [2.0] * 3600
    h = M.heat(tr, 1.0, pp, 10.0)
    assert h["q_hr_kwh"] == pytest.approx(40.0)
    assert h["forced_s"] == 3600.0
    r_opt = cycle.solve(-10.0, pp.pack.sh_k, pp.comp.eta_is, 30.0, p_opt, 35.0, 100.0)
    r_hi = cycle.solve(-10.0, pp.pack.sh_k, pp.comp.eta_is, 30.0, p_opt + 10.0, 35.0, 100.0)
    assert h["ehr"] == pytest.approx(40.0 / (r_hi["w_comp_kw"] - r_opt["w_comp_kw"]), rel=0.02)


def test_low_ambient_backflow_per_standstill_and_bypass_cycles():
    # 100 s: the pack stands 20..39 (1 kg/s back for 3 s, then 0.1 kg/s forward) and
    # 70..79 (0.05 kg/s back for 10 s); the receiver bypass is open 30..44 and 60..64;
    # p_rec dips to 27 bar before the warm-up ends and to 29 bar after it
    n = 100
    run = np.ones(n)
    run[20:40] = 0.0
    run[70:80] = 0.0
    m = np.full(n, 0.2)
    m[20:40] = 0.1
    m[20:23] = -1.0
    m[70:80] = -0.05
    m[50] = -5.0  # running: a restart transient is not a standstill's backflow
    gcb = np.zeros(n)
    gcb[30:45] = 1.0
    gcb[60:65] = 1.0
    gcb[80:90] = 2.0  # HPEV shut against backflow: not the bypass
    p_rec = np.full(n, 33.0)
    p_rec[5] = 27.0
    p_rec[55] = 29.0
    tr = _trace(n, **{"plant.comp_running": run, "plant.m_dot_hpev_kg_s": m,
                      "fw.gcb_rec": gcb, "plant.p_rec_bar": p_rec})
    alarms = [{"alarm": "p_rec_low", "raised_s": 5.0, "cleared_s": 12.0},
              {"alarm": "p_rec_low", "raised_s": 90.0, "cleared_s": None}]
    la = M.low_ambient(tr, 10.0, 1.0, {"p_rec_lo_bar": 28, "p_rec_hi_bar": 45}, alarms)
    assert la["standstills"] == 2
    assert la["backflow_max_per_standstill_kg"] == pytest.approx(3.0)
    assert la["backflow_kg"] == pytest.approx(3.5)
    assert la["backflow_max_kg_s"] == pytest.approx(1.0)
    assert la["gcb_rec_openings"] == 2 and la["gcb_rec_closings"] == 2
    assert la["gcb_rec_open_share"] == pytest.approx(0.2)
    assert la["p_rec_min_bar"] == 29.0 and la["p_rec_low_alarm_s"] == pytest.approx(2.0 + 9.0)
    s = {"low_ambient": la}
    res = {name: ok for name, ok, _d in C.run_check(s, "low_ambient_receiver",
                                                   max_backflow_kg=1.0)}
    assert res == {"p_rec within its low/high limits after warm-up": True,
                   "no p_rec_low alarm after warm-up": False,
                   "GC bypass opens for the receiver pressure and closes again": True,
                   "no backflow drains the receiver while the pack stands": False}
