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
        "plant: when the ambient steps 35 -> 40 degC the plant's p_gc jumps 97.5 -> 105.4 bar "
        "within one 1 s step (t = 3002 s of the test form) with every output unchanged (no "
        "coil inertia). The controller's creep over the maximum is fixed (reference 0.4 bar "
        "below p_gc_max plus a limiter): outside that step p_gc peaks at 104.86 bar",
    ("hr_demand_ramp", "p_gc never above the configured maximum"):
        "plant: GC bypass switching steps the plant's p_gc by tens of bar within 1-4 s (bypass "
        "opening at 9.6 V: 104.7 -> 45.0 bar; closing again with the fans at 0: 103.2 -> 120 "
        "bar in one 1 s step, t = 1296 s); the controller's rate-check fault is fixed",
    ("hr_demand_ramp", "p_gc never above 110 bar"): "see above (GC bypass switching)",
    ("hr_demand_ramp", "GC bypass closes falling past 9.3 V"):
        "follows from the plant's pressure runaway above: the HP fan safety (p_gc > p_gc_max "
        "- 2 bar) closes the GC bypass at 9.95 V before the demand falls past 9.3 V",
    ("fan_failure_hot_day", "p_gc never above the configured maximum"):
        "plant: a total fan failure raises p_gc 96.5 -> 120 bar within one 1 s step (T3 37 -> "
        "70 degC; no coil inertia), before any controller can act; the firmware ladder is "
        "now 105 max (reference 104.6) / 106 alarm / 106.5 override / 109 stop",
    ("fan_failure_hot_day", "p_gc never above 110 bar"): "see above (fan failure)",
    ("sensor_faults", "p_gc never above the configured maximum"):
        "plant: at 25 degC near the critical point the plant's p_gc alternates every 1 s step "
        "(65 <-> 116 bar at t = 2831 s, T3 25 <-> 28 degC) while the HPEV moves +-5 %; the old "
        "20 bar/s rate check hid it by freezing the HPEV at its fallback",
    ("sensor_faults", "p_gc never above 110 bar"): "see above (plant oscillation)",
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
