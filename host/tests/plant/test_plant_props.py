"""CO2 properties: the tabulated backend agrees with CoolProp's full HEOS equation."""

import math

import CoolProp.CoolProp as CP
import pytest

from rig.plant import props as P


@pytest.mark.parametrize("p_bar", [15.0, 26.5, 35.0, 45.0, 60.0, 72.0, 75.0, 90.0, 110.0, 140.0])
@pytest.mark.parametrize("t_c", [-30.0, 0.0, 20.0, 35.0, 50.0, 90.0, 140.0])
def test_tabulated_points_match_heos(p_bar, t_c):
    try:
        h_ref = CP.PropsSI("H", "P", p_bar * 1e5, "T", t_c + 273.15, "CO2")
        rho_ref = CP.PropsSI("D", "P", p_bar * 1e5, "T", t_c + 273.15, "CO2")
    except ValueError:
        pytest.skip("not a single-phase point")
    if abs(p_bar - P.P_CRIT_BAR) < 3 and abs(t_c - P.T_CRIT_C) < 6:
        pytest.skip("near-critical: covered by the guard test")
    assert P.h_pt(p_bar, t_c) == pytest.approx(h_ref, rel=2e-4, abs=50.0)
    t, rho, cp, q = P.state_ph(p_bar, h_ref)
    assert t == pytest.approx(t_c, abs=0.03)
    assert rho == pytest.approx(rho_ref, rel=2e-3)
    assert q == -1.0


def test_saturation_and_critical_constants():
    assert P.P_CRIT_BAR == pytest.approx(73.773, abs=1e-3)
    assert P.T_CRIT_C == pytest.approx(30.978, abs=1e-3)
    assert P.T_TRIPLE_C == pytest.approx(-56.558, abs=1e-3)
    for t_c in (-40.0, -10.0, 0.0, 20.0, 28.0):
        p_ref = CP.PropsSI("P", "T", t_c + 273.15, "Q", 0, "CO2") / 1e5
        assert P.p_sat_bar(t_c) == pytest.approx(p_ref, rel=1e-4)
        t, hl, hv, rl, rv = P.sat_p(p_ref)
        assert t == pytest.approx(t_c, abs=0.01)
        assert hl == pytest.approx(CP.PropsSI("H", "T", t_c + 273.15, "Q", 0, "CO2"), rel=1e-3)
        assert hv == pytest.approx(CP.PropsSI("H", "T", t_c + 273.15, "Q", 1, "CO2"), rel=1e-3)
        assert rl > rv


def test_two_phase_quality_and_isentrope():
    _, hl, hv, _, _ = P.sat_p(35.0)
    t, rho, cp, q = P.state_ph(35.0, 0.5 * (hl + hv))
    assert q == pytest.approx(0.5, abs=1e-3) and cp == math.inf
    s = P.s_ph(26.5, 450e3)
    h2s = P.h_ps(100.0, s)
    ref = CP.PropsSI("H", "P", 100e5, "S", s, "CO2")
    assert h2s == pytest.approx(ref, rel=1e-4)


def test_guard_band_around_critical_pressure_is_finite_and_continuous():
    h = 330e3  # right at the pseudo-critical enthalpy where flashes misbehave
    prev = None
    for i in range(41):
        p = P.P_CRIT_BAR - 0.4 + 0.02 * i
        t, rho, cp, _ = P.state_ph(p, h)
        assert math.isfinite(t) and math.isfinite(rho) and rho > 0
        if prev is not None:
            assert abs(t - prev) < 0.5
        prev = t
    t_lo, _ = P.heos_state(P.P_CRIT_BAR - 0.3, h)
    t_hi, _ = P.heos_state(P.P_CRIT_BAR + 0.3, h)
    assert min(t_lo, t_hi) - 0.05 <= P.t_ph(P.P_CRIT_BAR, h) <= max(t_lo, t_hi) + 0.05


def test_out_of_range_raises_props_error():
    with pytest.raises(P.PropsError):
        P.p_sat_bar(-80.0)
    with pytest.raises(P.PropsError):
        P.sat_p(3.0)


def test_the_march_reader_gives_state_ph_s_numbers():
    """props.ph_reader (the HX marches' fixed-pressure path) is state_ph, not a new fit:
    the same (t, rho, cp) below, inside and above the critical guard, in the dome too."""
    for p in (20.0, 45.0, 60.0, 73.7, 73.8, 74.5, 91.0, 130.0):
        read = P.ph_reader(p)
        bare = P.ph_reader(p, rho=False)
        for h in (120e3, 200e3, 260e3, 300e3, 350e3, 420e3, 520e3):
            t, rho, cp, _ = P.state_ph(p, h)
            assert read(h) == (t, rho, cp)
            assert bare(h)[0] == t and bare(h)[2] == cp
