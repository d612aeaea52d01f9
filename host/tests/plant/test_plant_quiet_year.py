"""The projected quiet step against ordinary 1 s steps, and the synthetic reference year
against the statistics it is built from."""

import copy
import statistics

import pytest

from rig.plant import Actuators, Boundary, Plant, year

WINTER = Boundary(t_amb_c=2.0, q_load_kw=80.0, q_heat_use_kw=40.0, t_w_return_c=30.0)
HR = Actuators(hpev_pct=40, bev_pct=30, fan_pct=40, hr_valve_pct=100, hr_pump_pct=60)


@pytest.fixture(scope="module")
def settled_plant():
    p = Plant()
    for _ in range(1500):
        p.step(1.0, HR, WINTER)
    return p


def test_a_projected_hour_matches_an_hour_of_1s_steps(settled_plant):
    """Where the plant is settled the tank moves slowly and linearly: 360 quiet steps of
    10 s land where 3600 ordinary steps do; the charge is conserved exactly."""
    ref, quiet = copy.deepcopy(settled_plant), copy.deepcopy(settled_plant)
    m0 = quiet.total_mass_kg
    for _ in range(3600):
        ref.step(1.0, HR, WINTER)
    for _ in range(360):
        quiet.step_quiet(10.0, HR, WINTER, 1.0)
    a, b = ref.state, quiet.state
    assert b.t_s == pytest.approx(a.t_s)
    e0, h0 = settled_plant.state.energy_kwh, settled_plant.state.heat_kwh
    assert b.energy_kwh - e0 == pytest.approx(a.energy_kwh - e0, rel=2e-3)
    assert b.heat_kwh - h0 == pytest.approx(a.heat_kwh - h0, rel=2e-3)
    assert b.t_tank_c == pytest.approx(a.t_tank_c, abs=0.05)
    assert abs(a.t_tank_c - settled_plant.state.t_tank_c) > 0.5  # the tank did move
    assert b.p_gc_bar == pytest.approx(a.p_gc_bar, abs=0.2)
    assert quiet.total_mass_kg == pytest.approx(m0, rel=1e-12)


def test_a_short_quiet_step_is_an_ordinary_step(settled_plant):
    a, b = copy.deepcopy(settled_plant), copy.deepcopy(settled_plant)
    a.step(1.0, HR, WINTER)
    b.step_quiet(1.0, HR, WINTER, 1.0)
    assert a.state == b.state


def test_a_quiet_step_moves_the_actuators_at_their_rate_not_past_their_command(
        settled_plant):
    """The valves and fans are fast next to a 10 s step: extrapolating their 1 s travel
    would carry them past the command (or below 0 %), which kicks the pressures. They go
    where 10 ordinary steps take them."""
    act = copy.copy(HR)
    act.hpev_pct = HR.hpev_pct + 3.0  # a small correction, done in ~1 s of travel
    act.fan_pct = HR.fan_pct + 5.0
    ref, quiet = copy.deepcopy(settled_plant), copy.deepcopy(settled_plant)
    for _ in range(10):
        ref.step(1.0, act, WINTER)
    quiet.step_quiet(10.0, act, WINTER, 1.0)
    assert quiet.state.hpev_pos_pct == pytest.approx(ref.state.hpev_pos_pct, abs=1e-9)
    assert quiet.state.hpev_pos_pct == pytest.approx(act.hpev_pct)
    assert quiet.state.fan_speed_pct == pytest.approx(ref.state.fan_speed_pct, abs=0.5)
    assert quiet.state.p_gc_bar == pytest.approx(ref.state.p_gc_bar, abs=1.0)


def test_the_year_keeps_the_monthly_normals_and_its_seed():
    y = year.reference_year()
    months: list[list[float]] = [[] for _ in range(12)]
    for h, t in enumerate(y.t_amb_c):
        months[year.month_of_hour(h)].append(t)
    for m, vals in enumerate(months):
        assert len(vals) == 24 * year.MONTH_DAYS[m]
        assert statistics.mean(vals) == pytest.approx(year.DK_MONTHLY_MEAN_C[m], abs=0.1)
    # the weather varies day to day, more in winter than in summer
    jan = [statistics.mean(months[0][d * 24:(d + 1) * 24]) for d in range(31)]
    jul = [statistics.mean(months[6][d * 24:(d + 1) * 24]) for d in range(31)]
    assert statistics.pstdev(jan) > statistics.pstdev(jul) > 0.5
    again, other = year.Year(2025), year.Year(7)
    assert again.t_amb_c == y.t_amb_c and other.t_amb_c != y.t_amb_c


def test_heat_use_and_demand_follow_the_cold():
    y = year.reference_year()
    cold = [h for h, t in enumerate(y.t_amb_c) if t < 0]
    warm = [h for h, t in enumerate(y.t_amb_c) if t > 18]
    assert cold and warm
    assert min(y.q_heat_use_kw[h] for h in cold) > max(y.q_heat_use_kw[h] for h in warm)
    assert all(0.0 <= v <= 10.0 for v in y.demand_v)
    assert sum(year.EN14825_AVERAGE_BINS.values()) == 4910
