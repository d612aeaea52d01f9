"""The firmware's CO2 correlations against CoolProp and the host cycle calculator.

p_sat_bar must match CoolProp's saturation pressure; the reference curve of
co2hr.gc_pressure (what the HPEV controls to, without heat-recovery raise) must give a
cooling COP within 1.5 % of the true optimum (rig.plant.cycle.optimum_p_gc, a brute-force
search with CoolProp) from T3 = 0 to 46 degC, and lie on the high side of the optimum
near the critical point where undershoot is expensive.
"""

import CoolProp.CoolProp as CP
import pytest

import rig.fw  # noqa: F401  (firmware importable)
from co2hr import co2sat
from co2hr.gc_pressure import cop_reference_bar
from co2hr.settings import Settings
from rig.plant import cycle


def test_p_sat_matches_coolprop():
    t = -50.0
    while t <= 30.9:
        ref = CP.PropsSI("P", "T", t + 273.15, "Q", 0, "CO2") / 1e5
        assert abs(co2sat.p_sat_bar(t) - ref) / ref < 3e-4, t
        t += 0.7


def _ref(t3):
    s = Settings()
    return cop_reference_bar(t3, s.get("subcool_k"), s.get("t_trans_c"), s.get("t_cond_min_c"))[0]


@pytest.mark.parametrize("t3", [0.0, 5.0, 10.0, 10.5, 15.0, 20.0, 25.0, 28.0, 29.0, 29.5, 30.0,
                                30.2, 30.5, 31.0, 31.5, 32.0,
                                34.0, 37.0, 40.0, 43.0, 46.0])
def test_reference_cop_within_1p5_percent_of_optimum(t3):
    p_opt = cycle.optimum_p_gc(t3)
    cop_opt = cycle._cop_at(p_opt, -7.0, 10.0, 0.65, t3, 35.0)
    p = _ref(t3)
    cop = cycle._cop_at(p, -7.0, 10.0, 0.65, t3, 35.0)
    assert cop >= 0.985 * cop_opt, (t3, p, p_opt, cop / cop_opt)


@pytest.mark.parametrize("t3", [30.5, 31.5, 32.0, 33.0, 35.0, 37.0])
def test_biased_above_optimum_near_critical(t3):
    assert _ref(t3) >= cycle.optimum_p_gc(t3)
