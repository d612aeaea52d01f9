"""The acceptance criteria of issue 7 as pass/fail checks, closed loop on each target.

Each test runs a shipped scenario (hil_tests/scenarios/) in its shortened `test` form
through rig.closed_loop on the target given on the command line (sil, mpy, serial with
--port) and asserts the checks of rig.metrics.checks: the same code that marks the
HTML report of `make hil`, which runs the full-length scenarios. On mpy and serial the
slower runs use a subset (fewer sweep points, fewer faulted sensors) to stay inside
the CI time budget; dt is 1 s everywhere.
"""

from __future__ import annotations

import pytest

from rig import scenario
from rig.cli_sim import run_one

SCEN = scenario.shipped_dir()


def _run(target, board, tmp_path, name, overrides=None):
    files = [p for p in scenario.shipped() if p.stem == name]
    assert files, f"no shipped scenario {name}"
    r = run_one(files[0], target, board, tmp_path / name, variant="test", overrides=overrides,
                progress=False, plots=False)
    return r["summary"], r["checks"]


# Checks that fail because of the controller or the plant (not this suite), found when
# the suite first ran against them; reported to the lead for routing. A run whose ONLY
# failures are listed here is an xfail naming them; any other failing check fails the
# test, and a fixed behaviour shows up as XPASS. Thresholds are never loosened here.
KNOWN = {
    ("ambient_sweep", "p_gc never above the configured maximum"):
        "controller: at 40 degC the reference sits at p_gc_max_bar (105) and p_gc overshoots "
        "it by ~1 bar (105.9 bar in the test form, 106.2 bar full length)",
    ("hr_demand_ramp", "p_gc never above the configured maximum"):
        "controller: at ~9.2 V (fans reduced) the p_gc rate check marks a real rise invalid; "
        "the HPEV sits at its 40 % fallback and p_gc reaches the 120 bar relief",
    ("hr_demand_ramp", "p_gc never above 110 bar"): "see above (p_gc rate check)",
    ("fan_failure_hot_day", "p_gc never above the configured maximum"):
        "plant: a total fan failure raises p_gc by ~16 bar within one 1 s step (no coil "
        "inertia); firmware: p_hp_stop_bar default 113 is above the 110 bar criterion",
    ("fan_failure_hot_day", "p_gc never above 110 bar"): "see above (fan failure)",
    ("summer_no_heat_use", "p_gc never above the configured maximum"):
        "controller: the 8-9 V fan reduction keeps fans at 0-25 % while the HRHX is bypassed "
        "(hot water / no backwards heat): no heat sink, p_gc reaches the 120 bar relief",
    ("summer_no_heat_use", "p_gc never above 110 bar"): "see above (fan reduction)",
    ("sensor_faults", "t_gc_out_c: fw.p_gc_ref_bar at its fallback"):
        "controller: with T3 invalid the reference is p_ref_fail_bar plus the HR raise "
        "(90.7 bar at 5 V), not the declared 85 bar",
    ("winter_day", "cooling delivered >= 95 % of the cases' load"):
        "plant: the pack cuts out on low suction pressure at the start and never restarts "
        "(stopped evaporators take no load, so p_suc never reaches cut-in): 0.5 % of the "
        "load delivered; the day's 51-83 kW is below the pack's minimum-speed capacity",
    ("summer_day", "cooling delivered >= 95 % of the cases' load"):
        "plant: loads below the pack's minimum-speed capacity make it short-cycle (672 "
        "starts in the full day, 64 % of the load delivered; 12 % before the crash below)",
    ("summer_day", "run complete"):
        "plant: PropsError (enthalpy above the table) at t = 1344 s of the shortened day",
}


def _assert_checks(summary, checks, only=None):
    sel = [c for c in checks if only is None or any(k in c[0] for k in only)]
    assert sel, f"no checks matched {only}"
    bad = [(n, d) for n, ok, d in sel if not ok]
    if not bad:
        return
    msg = (f"{summary['scenario']} on {summary['target']}: {len(bad)} of {len(sel)} checks "
           "fail:\n  " + "\n  ".join(f"{n}: {d}" for n, d in bad))
    known = [KNOWN.get((summary["scenario"], n)) for n, _d in bad]
    if all(known):
        pytest.xfail("known controller/plant issue: " + " | ".join(known) + "\n" + msg)
    raise AssertionError(msg)


def _fast(target):
    return target.name == "sil"


def test_ambient_sweep_cop_near_optimum(target, board, tmp_path):
    """COP >= 0.98 of the calculator's optimum at every sweep point in steady state."""
    over = None
    if not _fast(target):
        over = {"profiles": {"t_amb_c": {"sweep": [-10, 20, 35]}}}
    s, checks = _run(target, board, tmp_path, "ambient_sweep", over)
    npts = 11 if _fast(target) else 3
    assert len(s["cop"]) == npts
    _assert_checks(s, checks)


def test_receiver_back_within_2_bar_after_load_steps(target, board, tmp_path):
    s, checks = _run(target, board, tmp_path, "cooling_load_step")
    assert len(s["p_rec_tracking"]["steps"]) == 3
    _assert_checks(s, checks)


def test_hr_stages_order_and_thresholds(target, board, tmp_path):
    s, checks = _run(target, board, tmp_path, "hr_demand_ramp")
    _assert_checks(s, checks)


def test_summer_little_heat_use_water_does_not_boil(target, board, tmp_path):
    s, checks = _run(target, board, tmp_path, "summer_no_heat_use")
    assert not s["water"]["boiled"]
    _assert_checks(s, checks)


def test_fan_failure_on_hot_day_keeps_pressure_limits(target, board, tmp_path):
    s, checks = _run(target, board, tmp_path, "fan_failure_hot_day")
    _assert_checks(s, checks)


MPY_FAULTS = ("p_gc_bar", "t_gc_out_c", "demand_v")


def test_each_sensor_fault_raises_alarm_and_fallback(target, board, tmp_path):
    over = None
    if not _fast(target):  # a subset: one per loop kind (HPEV, reference, staging)
        import json

        data = json.loads((SCEN / "sensor_faults.json").read_text())
        ev, t = [], 300
        for e in data["events"]:
            sig = e.get("fault") or e.get("clear")
            if sig in MPY_FAULTS:
                ev.append(dict(e))
        for i in range(0, len(ev), 2):  # re-space them 600 s apart from t = 300 s
            ev[i]["at_s"], ev[i + 1]["at_s"] = t, t + 300
            t += 600
        over = {"events": ev, "duration_s": t}
    s, checks = _run(target, board, tmp_path, "sensor_faults", over)
    assert len(s["sensor_faults"]) == (10 if over is None else len(MPY_FAULTS))
    _assert_checks(s, checks)


def test_power_cut_keeps_settings_and_counters(target, board, tmp_path):
    s, checks = _run(target, board, tmp_path, "power_cut_reboot")
    assert s["reboots"] == 1
    _assert_checks(s, checks)


def test_modbus_master_at_full_speed(target, board, tmp_path):
    s, checks = _run(target, board, tmp_path, "modbus_full_speed")
    assert s["modbus"]["poll"]["requests"] > 1000
    _assert_checks(s, checks)


@pytest.mark.parametrize("day", ["winter_day", "summer_day"])
def test_danish_days_stay_inside_limits(target, board, tmp_path, day):
    if not _fast(target):
        pytest.skip("day scenarios run on sil in CI; `make hil` runs them full length")
    s, checks = _run(target, board, tmp_path, day)
    _assert_checks(s, checks)
