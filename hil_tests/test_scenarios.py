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
        "controller: the plant's one-step jump at the 35 -> 40 degC ambient step is fixed "
        "(coil inertia: p_gc now rises ~0.5 bar/s); the HPEV only opens once p_gc reaches "
        "the reference (104.6) and the limiter lets it pass 105 by 0.1-0.2 bar (105.12 bar "
        "at t = 3019 s of the test form, 105.21 in the full sweep)",
    ("hr_demand_ramp", "p_gc never above the configured maximum"):
        "controller: GC bypass switching is gradual in the plant now (at most 1.1 bar per "
        "step, no relief); with the bypass open and the fans at 0 the HRHX alone cannot take "
        "the heat and p_gc rises 0.3-1 bar/s while the HR raise lifts the reference to 104.5; "
        "it peaks at 105.36 bar (t = 1466 s)",
    ("hr_demand_ramp", "GC bypass closes falling past 9.3 V"):
        "controller: the HP fan safety (p_gc > p_gc_max - 2 bar) closes the GC bypass at "
        "9.92 V (t = 1292 s) as p_gc rises with the fans at 0 (above), before the demand "
        "falls past 9.3 V",
    ("fan_failure_hot_day", "p_gc never above the configured maximum"):
        "controller: the fan failure itself is gradual in the plant now (coil metal: p_gc "
        "96.2 -> 99.1 bar in the first 30 s, at most 0.5 bar per step); the firmware holds "
        "105.2-105.8 bar by opening the HPEV, but once it is at 100 % (t = 468 s of the test "
        "form) p_gc climbs ~0.7 bar/s and the 109 bar stop lands one step late (110.5 bar, "
        "t = 473 s); it then restarts the compressors twice with the fans still failed "
        "(t = 594 and 761 s, suction at 45-48 bar): p_gc rises ~2 bar/s to 110.4 and 111.0 "
        "bar before the next stop",
    ("fan_failure_hot_day", "p_gc never above 110 bar"): "see above (restart with failed fans)",
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
