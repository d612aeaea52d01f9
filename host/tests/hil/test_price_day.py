"""The firmware's price rule and grid enable (co2hr.hp_schedule) over a day against a
buffer tank (rig.plant.buffer_tank): it runs in the cheapest hours when the tank can
carry the demand, the tank keeps the supply when it cannot, and a grid interruption
stops and restarts it cleanly."""

import pytest

from co2hr.hp_schedule import WHY_GRID, WHY_START_DELAY, WHY_TANK_LOW
from rig.hil.price_day import PRICES, SETTINGS, run_day
from rig.plant.buffer_tank import BufferTank, BufferTankParams

N_CHEAP = SETTINGS["hp_price_hours"]
CHEAPEST = set(sorted(range(24), key=lambda k: (PRICES[k], k))[:N_CHEAP])
T_MIN = SETTINGS["hp_tank_min_c"]
MIN_RUN_S = SETTINGS["hp_min_run_s"]
MIN_STOP_S = SETTINGS["hp_min_stop_s"]


@pytest.fixture(scope="module")
def demand_only():
    return run_day({"hp_price_on": 0})


def test_a_tank_that_carries_the_demand_runs_only_in_the_cheapest_hours(demand_only):
    # the longest dear stretch (15:00-22:00) draws ~4 MWh; 200 m3 hold 5.7 MWh in 45-70 K
    assert BufferTank(BufferTankParams(volume_m3=200.0)).heat_between_kwh(45.0, 70.0) > 5000
    day = run_day()
    for hour in range(24):
        if hour not in CHEAPEST:
            assert day.on_s[hour] == 0.0, hour
    assert sum(day.on_s) > 9 * 3600.0
    assert day.t_tank_min_c >= T_MIN - 0.1 and day.t_tank_max_c <= 70.5
    assert day.starts <= 4  # one per cheap stretch
    assert day.cost < 0.6 * demand_only.cost


def test_a_small_tank_keeps_the_supply_by_running_in_dear_hours(demand_only):
    day = run_day(tank_m3=100.0)
    dear_on = [h for h in range(24) if h not in CHEAPEST and day.on_s[h] > MIN_RUN_S]
    assert dear_on
    assert all(WHY_TANK_LOW in day.why[h] for h in dear_on)
    assert day.t_tank_min_c >= T_MIN - 0.5  # the demand is always met from the tank
    assert day.cost < demand_only.cost


@pytest.mark.parametrize("tank_m3", [20.0, 100.0, 200.0])
def test_no_short_cycling(tank_m3):
    day = run_day(tank_m3=tank_m3)
    on = day.on_s[0] > 0.0
    # periods alternate; the first is the boot's stop (the start delay)
    for i, period in enumerate(day.periods_s[1:]):
        running = (i % 2 == 0)
        assert period >= (MIN_RUN_S if running else MIN_STOP_S) - 1e-6, (i, period)
    assert on
    assert day.starts <= 86400.0 / (MIN_RUN_S + MIN_STOP_S) + 1


def test_a_grid_interruption_stops_at_once_and_restarts_after_the_delay():
    t_off, t_on = 12 * 3600.0 + 600.0, 12 * 3600.0 + 2400.0  # in a cheap hour
    day = run_day(enable=lambda t: not (t_off <= t < t_on))
    assert WHY_GRID in day.why[12] and WHY_START_DELAY in day.why[12]
    # 12:00-12:10 on, off for the 30 min interruption and the 120 s start delay
    assert day.on_s[12] == pytest.approx(3600.0 - 1800.0 - 120.0, abs=20.0)
    assert day.on_s[13] == 3600.0
