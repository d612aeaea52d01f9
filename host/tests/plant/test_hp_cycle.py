"""The heat pump's cycle calculator against an independent CoolProp calculation.

The reference below shares no code with rig.plant: it calls CoolProp's full equation of
state (HEOS, not the tabulated backend props.py uses), scans the gas cooler pressure on a
0.1 bar grid instead of a golden-section search, and finds the lowest pressure that heats
the water to the supply by its own bisection over a finer pinch check."""

import pytest
from CoolProp.CoolProp import PropsSI

from rig.plant import hp_cycle as H

K = 273.15
CP_W = 4186.0


def _ref_states(t_amb, t_ret, eta=0.7, sh=5.0, dt_evap=8.0, approach=3.0):
    te = t_amb - dt_evap
    pe = PropsSI("P", "T", te + K, "Q", 1, "HEOS::CO2")
    h1 = PropsSI("H", "T", te + sh + K, "P", pe, "HEOS::CO2")
    s1 = PropsSI("S", "T", te + sh + K, "P", pe, "HEOS::CO2")
    t3 = t_ret + approach

    def at(p_bar):
        h2s = PropsSI("H", "P", p_bar * 1e5, "S", s1, "HEOS::CO2")
        h2 = h1 + (h2s - h1) / eta
        h3 = PropsSI("H", "P", p_bar * 1e5, "T", t3 + K, "HEOS::CO2")
        return h1, h2, h3

    return at


def _ref_reaches(at, p_bar, t_ret, t_sup, approach=3.0, n=200):
    _, h2, h3 = at(p_bar)
    for i in range(n + 1):
        f = i / n
        t_co2 = PropsSI("T", "P", p_bar * 1e5, "H", h3 + f * (h2 - h3), "HEOS::CO2") - K
        if t_co2 - (t_ret + f * (t_sup - t_ret)) < approach - 1e-3:
            return False
    return True


def reference_optimum(t_amb, t_ret, t_sup):
    """(p_opt_bar, cop_heating) by brute force with HEOS."""
    at = _ref_states(t_amb, t_ret)
    grid = [74.2 + 0.1 * i for i in range(int((150.0 - 74.2) / 0.1) + 1)]

    def cop(p):
        h1, h2, h3 = at(p)
        return (h2 - h3) / (h2 - h1)

    lo, hi = 74.2, 150.0
    if not _ref_reaches(at, lo, t_ret, t_sup):
        while hi - lo > 0.05:
            mid = 0.5 * (lo + hi)
            lo, hi = (lo, mid) if _ref_reaches(at, mid, t_ret, t_sup) else (mid, hi)
    p_min = hi if lo > 74.2 else lo
    best = max((p for p in grid if p >= p_min), key=cop)
    return best, cop(best)


@pytest.mark.parametrize("t_amb", [-10.0, 0.0, 15.0])
@pytest.mark.parametrize("t_ret,t_sup", [(30.0, 65.0), (38.0, 70.0), (45.0, 75.0)])
def test_optimum_cop_agrees_with_an_independent_coolprop_calculation(t_amb, t_ret, t_sup):
    p_ref, cop_ref = reference_optimum(t_amb, t_ret, t_sup)
    r = H.solve(t_amb, t_ret, t_sup, eta_is=0.7, superheat_k=5.0, dt_evap_k=8.0,
                approach_k=3.0)
    # the limit is 3 %; the two agree far closer than that
    assert r["cop_heating"] == pytest.approx(cop_ref, rel=0.03)
    assert r["cop_heating"] == pytest.approx(cop_ref, rel=0.005)
    # COP(p) is flat at its optimum: the pressures agree to within a bar or two
    assert abs(r["p_gc_bar"] - p_ref) < 2.0


def test_the_energy_balance_closes_and_the_states_are_the_named_ones():
    r = H.solve(0.0, 40.0, 70.0, q_heat_kw=1200.0)
    assert abs(r["energy_residual_kw"]) < 1e-6 * r["q_heat_kw"]
    assert r["q_heat_kw"] == pytest.approx(r["q_evap_kw"] + r["w_comp_kw"])
    assert r["t3_c"] == 43.0 and r["te_c"] == -8.0
    p = r["p_gc_bar"] * 1e5
    t2 = PropsSI("T", "P", p, "H", r["h2_j_kg"], "HEOS::CO2") - K
    assert r["t_disch_c"] == pytest.approx(t2, abs=0.2)
    assert r["m_water_kg_s"] * CP_W * 30.0 == pytest.approx(1200e3)


def test_a_hot_supply_lifts_the_pressure_above_the_cop_optimum():
    """At a 34 degC return the COP-best pressure (~95 bar) cannot heat the water to 64 degC:
    the CO2 curve meets the water's inside the gas cooler, so the supply sets the pressure."""
    r = H.solve(0.0, 34.0, 64.0)
    assert r["p_min_supply_bar"] > r["p_opt_free_bar"]
    assert r["p_gc_bar"] == pytest.approx(r["p_min_supply_bar"])
    # the first pressure the reference admits is the same, to its bisection's resolution
    at = _ref_states(0.0, 34.0)
    assert _ref_reaches(at, r["p_gc_bar"] + 0.1, 34.0, 64.0)
    assert not _ref_reaches(at, r["p_gc_bar"] - 0.3, 34.0, 64.0)
    # a boiler top-up lowers the supply: the COP optimum is free again and the COP no lower
    low = H.solve(0.0, 34.0, 52.0)
    assert low["p_gc_bar"] == pytest.approx(low["p_opt_free_bar"])
    assert low["cop_heating"] > r["cop_heating"]


def test_a_higher_return_costs_cop_and_raises_the_optimum_pressure():
    rows = [H.solve(0.0, t, 75.0, return_cost=False) for t in (30.0, 35.0, 40.0, 45.0)]
    cops = [r["cop_heating"] for r in rows]
    p_free = [r["p_opt_free_bar"] for r in rows]
    assert all(b < a for a, b in zip(cops, cops[1:], strict=False))
    assert all(b > a for a, b in zip(p_free, p_free[1:], strict=False))
    r = H.solve(0.0, 40.0, 75.0)
    warmer = H.solve(0.0, 41.0, 75.0, return_cost=False)
    assert r["cop_loss_per_k_return"] == pytest.approx(
        1.0 - warmer["cop_heating"] / r["cop_heating"], rel=1e-6)
    assert 0.005 < r["cop_loss_per_k_return"] < 0.05


def test_the_cop_stays_below_the_lorenz_bound_by_a_plausible_margin():
    for t_amb, t_ret, t_sup in ((-10.0, 30.0, 65.0), (0.0, 40.0, 70.0), (12.0, 34.0, 63.0)):
        r = H.solve(t_amb, t_ret, t_sup)
        eff = r["cop_heating"] / r["cop_lorenz"]
        assert 0.3 < eff < 0.7, (t_amb, t_ret, eff)


def test_a_design_pressure_caps_the_optimum_or_is_refused_when_the_supply_needs_more():
    free = H.solve(-10.0, 45.0, 70.0)
    assert free["p_gc_bar"] > 120.0
    capped = H.solve(-10.0, 45.0, 70.0, p_max_bar=120.0)
    assert capped["p_gc_bar"] <= 120.0 and capped["cop_heating"] < free["cop_heating"]
    with pytest.raises(ValueError, match="cannot be reached at 100 bar"):
        H.solve(0.0, 40.0, 70.0, p_max_bar=100.0)


@pytest.mark.parametrize("kw,needle", [
    (dict(t_amb_c=float("nan")), "finite"),
    (dict(t_amb_c=-60.0), "outdoor air"),
    (dict(t_supply_c=40.5), "above the return"),
    (dict(eta_is=0.0), "isentropic"),
    (dict(q_heat_kw=-1.0), "positive"),
    (dict(p_gc_bar=90.0), "cannot heat the water"),
    (dict(p_gc_bar="max"), "'opt'"),
    (dict(p_gc_bar=180.0), "outside"),
    (dict(p_max_bar=60.0), "design pressure"),
])
def test_inputs_that_describe_no_cycle_are_refused_with_the_reason(kw, needle):
    args = dict(t_amb_c=0.0, t_return_c=40.0, t_supply_c=70.0)
    args.update(kw)
    with pytest.raises(ValueError, match=needle):
        H.solve(**args)
