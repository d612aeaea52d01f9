# The heat pump's supply loop: the setpoint in force (fixed, weather curve, boiler) and
# the pump's flow. The loop on the plant: host/tests/hil/test_hp_closed_loop.py.
from co2hr.hp_supply import HpSupply

SETTINGS = {
    "hp_supply_sp_c": 70.0, "hp_supply_boiler_c": 52.0, "hp_wc_on": 1,
    "hp_wc_t_lo_c": -12.0, "hp_wc_t_hi_c": 15.0, "hp_wc_sp_warm_c": 60.0,
    "hp_pump_fail_pct": 60.0, "hp_pump_min_pct": 10.0, "hp_pump_kp": 2.0,
    "hp_pump_ti_s": 60.0, "hp_pump_rate_pct_s": 2.0,
}


def make(**over):
    s = dict(SETTINGS)
    s.update(over)
    h = HpSupply()
    h.configure(s)
    return h


def test_the_weather_curve():
    h = make()
    assert h.setpoint(-20.0, True, False) == 70.0
    assert h.setpoint(20.0, True, False) == 60.0
    assert abs(h.setpoint(1.5, True, False) - 65.0) < 1e-9
    assert h.setpoint(20.0, False, False) == 70.0  # air invalid: the cold end
    assert make(hp_wc_on=0).setpoint(20.0, True, False) == 70.0


def test_the_boiler_lowers_it():
    assert make().setpoint(-5.0, True, True) == 52.0


def test_too_hot_means_more_flow():
    h = make()
    h.setpoint(-20.0, True, False)
    u0 = h.pi.u
    for _ in range(30):
        u = h.step(10.0, 75.0, True, True)
    assert u > u0
    for _ in range(300):
        u = h.step(10.0, 60.0, True, True)
    assert u == 10.0  # down to the minimum


def test_short_at_the_minimum_flow():
    h = make()
    h.setpoint(-20.0, True, False)
    n = 0
    while not h.short and n < 200:
        h.step(10.0, 60.0, True, True)
        n += 1
    assert h.short and h.pi.u == 10.0
    h.step(10.0, 69.5, True, True)  # within 1 K: no longer short
    assert not h.short


def test_a_failed_supply_sensor_holds_at_least_the_fail_flow():
    h = make()
    h.setpoint(-20.0, True, False)
    for _ in range(300):
        h.step(10.0, 60.0, True, True)
    assert h.step(10.0, 0.0, False, True) == 60.0 and h.fallback
    for _ in range(300):
        h.step(10.0, 80.0, True, True)
    assert h.step(10.0, 0.0, False, True) == 100.0  # higher: held where it was


def test_standing_waits_at_the_minimum():
    h = make()
    assert h.step(10.0, 40.0, True, False) == 10.0 and not h.short
