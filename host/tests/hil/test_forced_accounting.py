"""The paired check of the operating-state counters: metrics.paired() on two traces and
the forced_accounting check on what it and the counters give."""

from __future__ import annotations

from pathlib import Path

import pytest

from rig.hil import checks, metrics, scenario


def _trace(p_gc, w_kw):
    return {"plant.p_gc_bar": list(p_gc), "plant.w_comp_kw": list(w_kw)}


def test_paired_counts_time_above_by_more_than_a_bar_and_the_power_difference():
    a = _trace([50, 52.5, 53, 60, 60, 51], [10, 12, 12, 20, 20, 10])
    b = _trace([50, 52, 51.9, 51, 51, 51], [10, 10, 10, 10, 10, 10])
    pr = metrics.paired(a, b, 2.0)
    # above by > 1 bar at steps 2, 3, 4 (the last row is not integrated)
    assert pr["forced_s"] == 6.0
    assert pr["extra_kwh"] == pytest.approx((2 + 2 + 10 + 10) * 2.0 / 3600.0, abs=1e-4)


def _summary(forced_s, extra_wh, plant_s, plant_kwh):
    return {"paired": {"forced_s": plant_s, "extra_kwh": plant_kwh, "dp_bar": 1.0},
            "accounting": {"run_forced_s": forced_s, "comp_extra_wh": extra_wh}}


def _ok(s, **kw):
    return [ok for _n, ok, _d in checks.run_check(s, "forced_accounting", **kw)]


def test_forced_accounting_tolerances():
    assert _ok(_summary(1990, 6900, 1811, 6.108)) == [True, True]
    assert _ok(_summary(2000, 5000, 1811, 6.108)) == [False, False]  # 10.4 %, 18 %
    assert _ok(_summary(50, 0, 0, 0.001)) == [True, True]  # within 60 s and 0.05 kWh
    assert _ok(_summary(61, 60, 0, 0.001)) == [False, False]
    # the summer figures before forcing was tied to a heat sink
    assert _ok(_summary(7200, 11919, 7182, 4.497), max_forced_s=60, max_extra_kwh=0.3) == [
        True, False, False, False]


def test_no_companion_fails():
    assert _ok({"accounting": {"run_forced_s": 0, "comp_extra_wh": 0}}) == [False]


@pytest.mark.parametrize("name", ["hr_demand_ramp", "summer_no_heat_use", "winter_day"])
def test_scenarios_declare_the_paired_check(name):
    f = next(p for p in scenario.shipped() if p.stem == name)
    sc = scenario.load(Path(f))
    assert checks.companion(sc.checks) == {"profiles": {"demand_v": 0}}
