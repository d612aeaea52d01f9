"""The heat pump's evaporating side: the balance of coil and compressor, checked against
CoolProp's HEOS directly and against the coil's own heat."""

import CoolProp.CoolProp as CP
import pytest

from rig.plant.air_coil import AirCoil
from rig.plant.compressor import volumetric_efficiency
from rig.plant.hp_evaporator import HpEvaporator

KELVIN = 273.15


@pytest.fixture(scope="module")
def evap():
    return HpEvaporator()


def _duty_heos(e, t_evap_c, speed_hz):
    """m * dh from HEOS, sharing nothing with the tables but the compressor law."""
    p = e.p
    p_pa = CP.PropsSI("P", "T", t_evap_c + KELVIN, "Q", 1, "CO2")
    t_suc_k = t_evap_c + p.superheat_k + KELVIN
    rho = CP.PropsSI("D", "P", p_pa, "T", t_suc_k, "CO2")
    h_suc = CP.PropsSI("H", "P", p_pa, "T", t_suc_k, "CO2")
    h_in = CP.PropsSI("H", "P", p.p_gc_bar * 1e5, "T", p.t_gc_out_c + KELVIN, "CO2")
    cp = p.compressor
    vol = cp.swept_m3_h_at_50hz / 3600.0 * speed_hz / 50.0
    m = rho * vol * volumetric_efficiency(p_pa / 1e5, p.p_gc_bar, cp)
    return m * (h_suc - h_in), p_pa / 1e5


@pytest.mark.parametrize("t_evap_c", [-30.0, -15.3, -7.0, -1.1, 4.0])
def test_compressor_duty_against_heos(evap, t_evap_c):
    q, p_bar = _duty_heos(evap, t_evap_c, 55.0)
    assert evap.duty_w(t_evap_c, 55.0) == pytest.approx(q, rel=0.005)
    r = evap._result(t_evap_c, 55.0, evap.p.p_gc_bar, evap.h_in_design, None)
    assert r.p_evap_bar == pytest.approx(p_bar, rel=0.002)


@pytest.mark.parametrize("t_air_c,rh,hz", [(0.0, 0.9, 70.0), (-10.0, 0.85, 35.0),
                                           (7.0, 0.8, 50.0), (-15.0, 0.7, 20.0)])
def test_the_balance_closes(evap, t_air_c, rh, hz):
    coil = AirCoil()
    r = evap.balance(coil, t_air_c, rh, 100.0, hz)
    assert r.coil.q_w == pytest.approx(evap.duty_w(r.t_evap_c, hz), rel=0.005)
    assert r.q_evap_w == pytest.approx(r.coil.q_w, rel=0.005)
    # the reports' plants cool the air 3-5 K; this coil at full speed in 0 degC air
    if hz == 70.0:
        assert 3.0 <= t_air_c - r.coil.t_air_out_c <= 5.0


def test_frost_lowers_the_evaporating_temperature_and_the_duty(evap):
    coil = AirCoil()
    first = evap.run(coil, 10.0, -2.0, 0.93, 100.0, 58.0)
    last = first
    for _ in range(359):  # an hour
        r = evap.run(coil, 10.0, -2.0, 0.93, 100.0, 58.0)
        assert r.t_evap_c <= last.t_evap_c + 1e-9 and r.q_evap_w <= last.q_evap_w + 1e-6
        last = r
    assert coil.frost_kg > 100.0
    assert first.t_evap_c - last.t_evap_c > 0.5
    clean = evap.balance(AirCoil(), -2.0, 0.93, 100.0, 58.0)
    assert clean.t_evap_c == pytest.approx(first.t_evap_c, abs=0.02)


def test_a_standing_compressor_takes_nothing(evap):
    coil = AirCoil()
    r = evap.balance(coil, -3.0, 0.9, 100.0, 0.0)
    assert r.q_evap_w == 0.0 and r.m_co2_kg_s == 0.0
    assert r.t_evap_c < -3.0 and r.coil.water_kg_s == 0.0
