"""Compound faults closed loop (rig.hil.faultsearch): a pressure-sensor fault with a fan
failure, a stuck HPEV or a failed T3; the truth is the plant's, every always-check
(true p_gc below the configured maximum and 110 bar, nothing vented, no compressor start
into a closed HPEV, ...) must hold.

The named cases are the ones that broke the plant before the p_gc trust guard
(co2hr.hp_guard; docs/control.md, "When p_gc cannot be trusted"): they run on every
target. A hypothesis search over further cases runs on sil (CI time; `make hil` and
tools/search_faults.py search wider).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from rig.hil import faultsearch as FS
from rig.targets import open_target

NAMED = {
    # p_gc open with the fans failed on a hot day: 119.5 bar, 8 HP switch trips
    "open_fans_35": FS.Case(35.0, 90.0, "p_gc_bar", "open", 600.0, "fan_failure", 600.0),
    # a frozen p_gc on a hot day (the stuck check was off): 116.8 bar
    "stuck_35": FS.Case(35.0, 90.0, "p_gc_bar", "stuck", 400.0, "none", 400.0),
    # p_gc drifting low at 0.05 bar/s, then the fans fail: 117.3 bar
    "drift_low_fans_25": FS.Case(25.0, 100.0, "p_gc_bar", "drift_down", 400.0,
                                 "fan_failure", 700.0),
    # p_rec and T3 failed at 35 degC: the true p_rec 68.6 bar against a 45 bar limit
    "p_rec_t3_35": FS.Case(35.0, 90.0, "p_rec_bar", "open", 400.0, "t3_open", 400.0),
    # p_gc frozen in the second the HPEV sticks at 5 % at 45 degC: 118 bar before the
    # frozen-while-the-plant-moves check
    "stuck_with_hpev_45": FS.Case(45.0, 100.0, "p_gc_bar", "stuck", 400.0, "hpev_stuck",
                                  400.0, 5.0),
    # p_gc shorted, the HPEV sticking later: 115 bar while running on the substitute
    "short_then_hpev_40": FS.Case(40.0, 90.0, "p_gc_bar", "short", 400.0, "hpev_stuck",
                                  700.0),
    # p_gc drifting low, then the HPEV sticks at 5 %: every restart a runaway to the HP
    # stop, each higher on the drifting reading (107.5, 112.2, 117.2 bar; up to the 120 bar
    # relief at other loads) before the HPEV flow test after an HP stop
    "drift_low_hpev5_20": FS.Case(20.0, 100.0, "p_gc_bar", "drift_down", 200.0, "hpev_stuck",
                                  260.0, 5.0),
    # p_gc drifting low alone while the plant runs at the ceiling: the reading held at
    # 104.6 bar, the true p_gc 112.8 bar before the discharge residual latched (now the
    # guard's p_hint opens the HPEV first)
    "drift_low_ceiling_40": FS.Case(40.0, 100.0, "p_gc_bar", "drift_down", 200.0, "none",
                                    895.0),
}
MPY_CASES = ("open_fans_35", "drift_low_fans_25", "drift_low_hpev5_20")  # the rest on sil (CI time)
P_REC_LIMIT_BAR = 50.0  # p_rec_hi_bar 45 + the 5 bar the BEV's rate limit needs to act


# A valve that sticks at once far below its opening on a hot day passes p_gc_max (105
# bar) by up to ~1.5 bar before the early HP stop takes hold (docs/control.md, the HP
# ladder); the design limit, 110 bar, is the invariant here, the others must all hold.
OVER_MAX = "p_gc never above the configured maximum"


def _assert_safe(r):
    failed = [n for n in r["failed"] if n != OVER_MAX]
    assert not failed, f"{r['name']}: {failed} (p_gc {r['p_gc_max_bar']} bar)"
    assert r["p_gc_max_bar"] <= 110.0 and r["vented_kg"] == 0.0, r


@pytest.mark.parametrize("name", sorted(NAMED))
def test_named_compound_faults_stay_safe(name, target_name, target, board):
    if target_name != "sil" and name not in MPY_CASES:
        pytest.skip("on sil only (CI time); make hil runs every case on every target")
    r = FS.run_case(NAMED[name], target, board)
    _assert_safe(r)
    if NAMED[name].sensor == "p_rec_bar":
        assert r["p_rec_max_bar"] <= P_REC_LIMIT_BAR, r


def test_hypothesis_search_over_compound_faults(target_name, board):
    if target_name != "sil":
        pytest.skip("the search runs on sil (CI time); the named cases run on every target")
    worst = []

    @settings(max_examples=12, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(FS.cases())
    def one(case):
        with open_target("sil", board) as t:
            r = FS.run_case(case, t, board)
        worst.append(r["p_gc_max_bar"])
        _assert_safe(r)

    one()
    assert len(worst) == 12
