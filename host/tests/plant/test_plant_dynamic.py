"""Dynamic plant: conservation, agreement with the steady-state calculator, responses,
protections and numerical robustness."""

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rig.plant import Actuators, Boundary, Plant, PlantParams, cycle
from rig.plant import gas_cooler as gcm
from rig.plant import props as P

SUMMER = Boundary(t_amb_c=30.0, q_load_kw=90.0, q_heat_use_kw=0.0)


def run(plant, act, bnd, seconds):
    for _ in range(int(seconds)):
        plant.step(1.0, act, bnd)
    return plant.state


def settled(act, bnd, seconds=1500, params=None):
    p = Plant(params or PlantParams())
    run(p, act, bnd, seconds)
    return p


def test_mass_is_conserved_through_valve_moves_and_a_stop():
    p = Plant()
    m0 = p.total_mass_kg
    seq = [(Actuators(hpev_pct=40, fan_pct=80), 300), (Actuators(hpev_pct=70, bev_pct=60), 200),
           (Actuators(comp_enable=0), 300), (Actuators(hpev_pct=30, hr_valve_pct=100,
                                                       hr_pump_pct=50), 300)]
    for act, sec in seq:
        run(p, act, SUMMER, sec)
        assert p.total_mass_kg + p.vented_kg == pytest.approx(m0, rel=1e-12)
    assert p.vented_kg == 0.0


def test_steady_state_energy_balance_closes():
    p = settled(Actuators(hpev_pct=40, fan_pct=100, hr_valve_pct=100, hr_pump_pct=40), SUMMER)
    s = p.state
    assert s.comp_running and s.q_hr_kw > 10.0
    assert abs(s.q_evap_kw + s.w_comp_kw - s.q_gc_kw) < 0.005 * s.q_gc_kw
    assert s.m_dot_hpev_kg_s == pytest.approx(s.m_dot_hp_kg_s, rel=2e-3)


def test_dynamic_steady_state_matches_cycle_calculator():
    p = settled(Actuators(hpev_pct=40, fan_pct=100), SUMMER)
    s = p.state
    assert s.p_gc_bar > P.P_CRIT_BAR + 1  # transcritical operating point
    r = cycle.solve(te_c=s.te_c, sh_k=p.params.pack.sh_k, eta_is=p.params.comp.eta_is,
                    t3_c=s.t_gc_out_c, p_gc_bar=s.p_gc_bar, p_rec_bar=s.p_rec_bar,
                    q_evap_kw=s.q_evap_kw)
    assert s.cop == pytest.approx(r["cop"], rel=0.01)
    assert s.w_comp_kw == pytest.approx(r["w_comp_kw"], rel=0.01)
    assert s.m_dot_hp_kg_s == pytest.approx(r["m_hp_kg_s"], rel=0.01)
    assert s.q_gc_kw == pytest.approx(r["q_gc_kw"], rel=0.01)


def test_closed_loop_settles_to_the_cop_optimal_pressure():
    """A plain PI on the HPEV (as the firmware will do) drives p_gc to the calculator's
    optimum for the measured T3; pressure and COP then agree within 1 %."""
    p = Plant()
    act = Actuators(hpev_pct=40, fan_pct=100)
    integ = 40.0
    for _ in range(2400):
        s = p.state
        p_ref = cycle.optimum_p_gc(s.t_gc_out_c, te_c=-10.0, p_rec_bar=s.p_rec_bar)
        e = s.p_gc_bar - p_ref
        integ = min(100.0, max(0.0, integ + 0.02 * e))
        act.hpev_pct = min(100.0, max(0.0, integ + 1.5 * e))
        p.step(1.0, act, SUMMER)
    s = p.state
    r = cycle.solve(te_c=s.te_c, sh_k=10.0, eta_is=0.65, t3_c=s.t_gc_out_c, p_gc_bar="opt",
                    p_rec_bar=s.p_rec_bar, q_evap_kw=s.q_evap_kw)
    assert s.p_gc_bar == pytest.approx(r["p_gc_bar"], rel=0.01)
    assert s.cop == pytest.approx(r["cop"], rel=0.01)


def test_hpev_opening_lowers_pressure_with_a_realistic_time_constant():
    p = settled(Actuators(hpev_pct=25, fan_pct=100), SUMMER, 900)
    p0 = p.state.p_gc_bar
    trace = []
    for _ in range(150):
        p.step(1.0, Actuators(hpev_pct=35, fan_pct=100), SUMMER)
        trace.append(p.state.p_gc_bar)
    p_end = min(trace)
    assert p_end < p0 - 10.0
    # time to 63 % of the change: seconds to tens of seconds, not instant, not hours
    t63 = next(i for i, x in enumerate(trace) if x <= p0 + 0.63 * (p_end - p0)) + 1
    assert 3 <= t63 <= 120


def test_bypass_valve_opening_lowers_receiver_pressure():
    a = settled(Actuators(hpev_pct=40, bev_pct=20, fan_pct=100), SUMMER, 1200).state
    b = settled(Actuators(hpev_pct=40, bev_pct=60, fan_pct=100), SUMMER, 1200).state
    assert b.p_rec_bar < a.p_rec_bar - 1.0


def test_water_outlet_follows_valve_and_pump_and_can_boil():
    pp = PlantParams(t_tank0_c=85.0)
    act = Actuators(hpev_pct=25, fan_pct=100, hr_valve_pct=100, hr_pump_pct=10)
    p = settled(act, Boundary(t_amb_c=30.0, q_load_kw=90.0, q_heat_use_kw=0.0), 900, pp)
    s = p.state
    assert s.p_gc_bar > 100.0 and s.t_w_out_c > 100.0 and s.water_boiling
    # bypassing the CO2 around the HRHX is the protection: the outlet falls
    run(p, Actuators(hpev_pct=25, fan_pct=100, hr_valve_pct=0, hr_pump_pct=10),
        Boundary(t_amb_c=30.0, q_load_kw=90.0, q_heat_use_kw=0.0), 400)
    assert p.state.t_w_out_c < 95.0 and p.state.q_hr_kw == 0.0


def test_hp_switch_trips_latches_and_resets_below_100_bar():
    p = Plant()
    tripped, p_before = False, p.state.p_gc_bar
    for _ in range(900):
        p_before = p.state.p_gc_bar
        p.step(1.0, Actuators(hpev_pct=3, fan_pct=100), SUMMER)
        s = p.state
        assert s.p_gc_bar <= p.params.p_relief_hs_bar + 1e-9
        if not s.hp_switch_ok:
            if not tripped:
                assert p_before > p.params.p_hp_trip_bar
            tripped = True
            assert not s.comp_running
        elif tripped:
            break
    assert tripped and p.state.hp_switch_ok
    assert p_before < p.params.p_hp_reset_bar  # latched until the pressure fell below 100


def test_stop_equalises_slowly_without_nan():
    p = settled(Actuators(hpev_pct=40, fan_pct=100), SUMMER, 600)
    run(p, Actuators(comp_enable=0), SUMMER, 30)
    s = p.state
    assert not s.comp_running and s.w_comp_kw == 0.0 and s.q_evap_kw == 0.0
    assert s.p_gc_bar - s.p_suc_bar > 5.0  # 30 s after the stop: not equal yet
    run(p, Actuators(comp_enable=0), SUMMER, 1800)
    s = p.state
    assert abs(s.p_gc_bar - s.p_suc_bar) < 1.0


def test_failed_fan_raises_t3_and_stuck_hpev_ignores_command():
    a = settled(Actuators(hpev_pct=40, fan_pct=100), SUMMER, 600)
    t3_ok = a.state.t_gc_out_c
    a.faults.fan_failed = True
    # the coil metal warms over minutes, and with the HPEV fixed the HP switch may stop the
    # pack on the way (the pack then stays off for its minimum off time): take the peak
    t3_max = 0.0
    for _ in range(300):
        a.step(1.0, Actuators(hpev_pct=40, fan_pct=100), SUMMER)
        t3_max = max(t3_max, a.state.t_gc_out_c)
    assert t3_max > t3_ok + 5.0
    a.faults.hpev_stuck_pct = 40.0
    run(a, Actuators(hpev_pct=90, fan_pct=100), SUMMER, 60)
    assert a.state.hpev_pos_pct == 40.0


@pytest.mark.parametrize("bad", [
    dict(t_amb_c=float("nan")), dict(q_load_kw=-1.0), dict(t_amb_c=90.0),
])
def test_impossible_boundaries_raise(bad):
    with pytest.raises(ValueError):
        Plant().step(1.0, Actuators(), Boundary(**bad))


def test_bad_step_and_actuator_raise():
    with pytest.raises(ValueError):
        Plant().step(0.0, Actuators(), Boundary())
    with pytest.raises(ValueError):
        Plant().step(1.0, Actuators(hpev_pct=float("inf")), Boundary())


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hpev=st.floats(5, 100), bev=st.floats(0, 100), fan=st.floats(0, 100),
       hr=st.floats(0, 100), pump=st.floats(0, 100), amb=st.floats(-15, 38),
       byp=st.integers(0, 1))
def test_fixed_actuators_stay_finite_and_in_range(hpev, bev, fan, hr, pump, amb, byp):
    p = Plant()
    act = Actuators(hpev_pct=hpev, bev_pct=bev, fan_pct=fan, hr_valve_pct=hr,
                    hr_pump_pct=pump, gc_bypass=byp)
    bnd = Boundary(t_amb_c=amb, q_load_kw=70.0, q_heat_use_kw=20.0)
    for _ in range(400):
        p.step(1.0, act, bnd)
        s = p.state
        for v in (s.p_gc_bar, s.p_rec_bar, s.p_suc_bar, s.t_gc_out_c, s.t_w_out_c, s.cop):
            assert math.isfinite(v)
        assert P.P_TRIPLE_BAR < s.p_suc_bar <= s.p_rec_bar + 1.0
        assert s.p_gc_bar <= p.params.p_relief_hs_bar + 1e-6
        assert 0.0 <= s.rec_level_pct <= 100.0


@settings(max_examples=40, deadline=None)
@given(p=st.floats(45, 130), t_in=st.floats(40, 140), amb=st.floats(-20, 40),
       m=st.floats(0.2, 1.2), f1=st.floats(0, 100), f2=st.floats(0, 100))
def test_more_fan_never_raises_t3(p, t_in, amb, m, f1, f2):
    if abs(p - P.P_CRIT_BAR) < 0.3:
        p += 0.6
    if p < P.P_CRIT_BAR:
        t_in = max(t_in, P.t_sat_c(p) + 5.0)
    gp = gcm.GasCoolerParams()
    h_in = P.h_pt(p, t_in)
    lo, hi = sorted((f1, f2))
    h_lo, _, _ = gcm.solve(p, h_in, m, amb, gcm.air_flow_kg_s(lo, False, gp), gp)
    h_hi, _, _ = gcm.solve(p, h_in, m, amb, gcm.air_flow_kg_s(hi, False, gp), gp)
    # T3 rises with h at fixed pressure; near ambient the march's last segment stops a few
    # J/kg (~1 mK) short of h_amb or is clamped onto it, so allow that much
    assert h_hi <= h_lo + 10.0
    assert P.t_ph(p, h_hi) <= P.t_ph(p, h_lo) + 0.01  # (table noise in the dome)


_BASE = {}


def _steady_p_gc(hpev):
    p = Plant()
    run(p, Actuators(hpev_pct=hpev, fan_pct=100), SUMMER, 1200)
    return p.state.p_gc_bar


@settings(max_examples=5, deadline=None)
@given(a=st.floats(25, 60), d=st.floats(3, 15))
def test_more_hpev_opening_never_raises_steady_p_gc(a, d):
    # Above ~75 % the valve has lost its authority and p_gc is flat (79.27 bar at 79 and
    # 87 %): there it moves by +-0.01 bar with the pack's speed (79.267 bar at 79 %,
    # 79.278 at 88 % after 3000 s), so the law is checked where the valve acts (<= 75 %).
    # The high-side pressure is solved to an inventory tolerance of ~0.004 bar
    # (tol / dM/dp), so two runs can differ by twice that. Below ~23 % there is no steady
    # state: p_gc reaches the HP switch (115 bar) and the pack cycles on it (so at 20 %
    # the pressure after 1200 s depends on the phase of that cycle)
    assert _steady_p_gc(a + d) <= _steady_p_gc(a) + 0.01
