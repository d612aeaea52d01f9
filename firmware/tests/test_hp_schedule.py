# When the heat pump may run: the grid's enable, the cheapest hours with the tank, and
# minimum run and stop times. The day against a buffer tank:
# host/tests/hil/test_price_day.py.
from co2hr.hp_schedule import (
    WHY_CHEAP,
    WHY_DEAR,
    WHY_DEMAND,
    WHY_GRID,
    WHY_MIN_RUN,
    WHY_MIN_STOP,
    WHY_START_DELAY,
    WHY_TANK_LOW,
    HpSchedule,
)

DT_S = 10.0
H0 = 490000  # a unix hour
T0 = H0 * 3600
SETTINGS = {
    "hp_price_on": 1, "hp_price_hours": 12, "hp_tank_min_c": 45.0, "hp_tank_max_c": 70.0,
    "hp_start_delay_s": 120.0, "hp_min_run_s": 600.0, "hp_min_stop_s": 300.0,
}
# a day of prices: dear in the morning and evening, cheap at night and at noon
PRICES = [30, 25, 20, 18, 20, 35, 60, 90, 80, 55, 40, 22,
          15, 12, 20, 45, 70, 110, 120, 95, 60, 45, 38, 33]


def make(**over):
    s = dict(SETTINGS)
    s.update(over)
    h = HpSchedule()
    h.configure(s)
    return h


def hold(h, seconds, t0, enable=1, want=1, t_tank=55.0, tank_ok=1):
    """Step for `seconds` from unix time t0; the seconds with the compressor allowed."""
    t, on_s = 0.0, 0.0
    while t < seconds:
        on_s += DT_S * h.step(DT_S, int(t0 + t) // 3600, enable, want, t_tank, tank_ok)
        t += DT_S
    return on_s


def test_a_boot_waits_the_start_delay():
    h = make(hp_price_on=0)
    on_s = hold(h, 300.0, T0)
    assert abs(on_s - 180.0) <= DT_S and h.starts == 1


def test_the_grid_stops_it_at_once_and_it_restarts_cleanly():
    h = make(hp_price_on=0)
    hold(h, 400.0, T0)
    assert h.on and h.state_s < 600.0  # inside the minimum run time
    assert h.step(DT_S, (T0 + 400) // 3600, 0, 1, 55.0, 1) == 0 and h.why == WHY_GRID
    hold(h, 60.0, T0 + 410, enable=0)
    on_s = hold(h, 60.0, T0 + 470)  # enable back: the start delay first
    assert on_s == 0.0 and h.why == WHY_START_DELAY
    hold(h, 60.0, T0 + 530)
    assert not h.on and h.why == WHY_MIN_STOP  # the delay is over, the stop time not
    on_s = hold(h, 540.0, T0 + 590)
    # stopped at 400 s: the 300 s minimum stop ends at 700 s
    assert abs(on_s - (1130.0 - 700.0)) <= DT_S and h.starts == 2


def test_minimum_stop_after_a_short_grid_stop():
    h = make(hp_price_on=0, hp_start_delay_s=0.0)
    hold(h, 700.0, T0)
    hold(h, 20.0, T0 + 700, enable=0)
    on_s = hold(h, 400.0, T0 + 720)
    assert h.why in (WHY_DEMAND, WHY_MIN_STOP)
    assert abs(on_s - (400.0 - 280.0)) <= DT_S  # 300 s stopped in all


def test_minimum_run_holds_it_on():
    h = make(hp_price_on=0, hp_start_delay_s=0.0)
    hold(h, 100.0, T0)
    assert h.on
    on_s = hold(h, 900.0, T0 + 100, want=0)
    assert abs(on_s - 500.0) <= DT_S and not h.on
    h2 = make(hp_price_on=0, hp_start_delay_s=0.0)
    hold(h2, 100.0, T0)
    h2.step(DT_S, (T0 + 100) // 3600, 1, 0, 55.0, 1)
    assert h2.on and h2.why == WHY_MIN_RUN


def test_it_runs_in_the_cheapest_hours_and_the_tank_carries_the_rest():
    h = make(hp_start_delay_s=0.0, hp_min_run_s=0.0, hp_min_stop_s=0.0)
    assert h.set_prices(H0, PRICES)
    cheapest = sorted(sorted(range(24), key=lambda k: (PRICES[k], k))[:12])
    assert cheapest == [0, 1, 2, 3, 4, 5, 11, 12, 13, 14, 22, 23]
    for hour in range(24):
        on_s = hold(h, 3600.0, T0 + hour * 3600, want=0)
        cheap = hour in cheapest
        assert on_s == (3600.0 if cheap else 0.0), hour
        assert h.why == (WHY_CHEAP if cheap else WHY_DEAR)


def test_a_shorter_vector_has_proportionally_fewer_cheap_hours():
    h = make()
    h.set_prices(H0, PRICES[:8])  # 8 hours: the 4 cheapest of them
    cheap = [h.cheap((T0 + k * 3600) // 3600) for k in range(8)]
    assert cheap == [0, 1, 1, 1, 1, 0, 0, 0]


def test_the_tank_overrides_the_price():
    h = make(hp_start_delay_s=0.0, hp_min_run_s=0.0, hp_min_stop_s=0.0)
    h.set_prices(H0, PRICES)
    t_dear = T0 + 18 * 3600  # the dearest hour
    assert hold(h, 60.0, t_dear, t_tank=44.0) == 60.0 and h.why == WHY_TANK_LOW
    t_cheap = T0 + 13 * 3600
    assert hold(h, 60.0, t_cheap, t_tank=70.0) == 0.0 and h.why == WHY_CHEAP


def test_without_a_price_or_a_tank_the_demand_decides():
    h = make(hp_start_delay_s=0.0, hp_min_run_s=0.0, hp_min_stop_s=0.0)
    h.set_prices(H0, PRICES)
    t_dear = T0 + 18 * 3600
    assert hold(h, 60.0, t_dear, tank_ok=0) == 60.0 and h.why == WHY_DEMAND
    assert hold(h, 60.0, T0 + 30 * 3600) == 60.0 and h.why == WHY_DEMAND  # expired
    assert hold(h, 60.0, T0 - 3600) == 60.0  # before the vector
    assert h.cheap((T0 + 24 * 3600) // 3600) == -1 and h.cheap((T0) // 3600) in (0, 1)


def test_bad_vectors_are_refused_and_the_old_one_kept():
    h = make()
    assert h.set_prices(H0, PRICES)
    for bad in ([], list(range(25)), [0, 40000], [1.5, 2], [0, -40000]):
        assert not h.set_prices(H0 + 1, bad)
    assert not h.set_prices(-1, [1])
    assert h.price_h0 == H0 and h.price_n == 24 and h.prices[17] == 110


def test_ties_go_to_the_sooner_hour():
    h = make(hp_price_hours=1)
    h.set_prices(H0, [5] * 24)
    assert h.cheap((T0) // 3600) == 1
    assert h.cheap((T0 + 3600) // 3600) == 0
    h.set_prices(H0 + 1, [5] * 24)  # written again an hour later
    assert h.cheap((T0 + 3600) // 3600) == 1


def test_a_new_vector_or_n_is_ranked_again_within_the_hour():
    h = make(hp_price_hours=1)
    h.set_prices(H0, PRICES)
    assert h.cheap((T0) // 3600) == 0  # 30 is not the cheapest
    h.configure(dict(SETTINGS, hp_price_hours=24))
    assert h.cheap((T0) // 3600) == 1
    h.set_prices(H0, [0] + PRICES[1:])
    h.configure(dict(SETTINGS, hp_price_hours=1))
    assert h.cheap((T0) // 3600) == 1
    h.set_prices(H0, PRICES)
    assert h.cheap((T0) // 3600) == 0
