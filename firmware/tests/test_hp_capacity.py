# The heat pump's compressor demand and speed (co2hr.hp_capacity): the 0-10 V demand,
# the SCADA's, the tank's and the fixed fallback; the supply-long limit.
from co2hr.hp_capacity import SRC_BMS, SRC_FIXED, SRC_INPUT, SRC_TANK, HpCapacity
from co2hr.io import AI_DEMAND, AI_T_TANK, N_IN
from co2hr.settings import Settings


class Sig:
    def __init__(self, demand_v=5.0, t_tank_c=60.0):
        self.value = [0.0] * N_IN
        self.valid = [1] * N_IN
        self.value[AI_DEMAND] = demand_v
        self.value[AI_T_TANK] = t_tank_c


def make():
    c = HpCapacity()
    c.configure(Settings())  # on at 0.5 V, 20 % least, 50 % fallback, tank 70 degC
    return c


def near(a, b):
    return abs(a - b) < 1e-6


def test_the_demand_input_sets_the_speed_linearly():
    c = make()
    c.step(Sig(0.4), 0.0, 0)
    assert c.want == 0 and c.src == SRC_INPUT
    c.step(Sig(0.5 + 9.5 / 2), 0.0, 0)
    assert c.want == 1 and near(c.want_pct, 60.0)
    c.step(Sig(10.0), 0.0, 0)
    assert near(c.want_pct, 100.0)
    c.step(Sig(10.0), 0.0, 1)  # the HP override: the least speed
    assert near(c.want_pct, 20.0)


def test_an_invalid_input_falls_back_to_the_scada_then_the_tank_then_fixed():
    c = make()
    s = Sig()
    s.valid[AI_DEMAND] = 0
    c.bms_write(10.0, 100.0)
    c.step(s, 200.0, 0)
    assert c.src == SRC_BMS and near(c.want_pct, 100.0)
    c.step(s, 100.0 + 601.0, 0)  # the SCADA's value is stale (hr_bms_timeout_s 600 s)
    assert c.src == SRC_TANK and c.want == 1 and near(c.want_pct, 50.0)
    s.value[AI_T_TANK] = 70.5  # the tank full: stop
    c.step(s, 800.0, 0)
    assert c.want == 0
    s.value[AI_T_TANK] = 68.0  # within the 3 K hysteresis: still off
    c.step(s, 801.0, 0)
    assert c.want == 0
    s.value[AI_T_TANK] = 66.9
    c.step(s, 802.0, 0)
    assert c.want == 1
    s.valid[AI_T_TANK] = 0
    c.step(s, 803.0, 0)
    assert c.src == SRC_FIXED and c.want == 1 and near(c.want_pct, 50.0)


def test_the_supply_long_limit_trims_and_releases():
    c = make()
    lim = c.limit(1.0, 100.0, 72.5, 1, 70.0)  # the pump full, 2 K over the 0.5 K band
    assert near(lim, 100.0 - 0.05 * 2.0)
    for _ in range(2000):
        lim = c.limit(1.0, 100.0, 72.5, 1, 70.0)
    assert near(lim, 20.0)  # never below the least speed
    assert near(c.limit(1.0, 100.0, 70.2, 1, 70.0), 20.0)  # in the band: it holds
    assert near(c.limit(1.0, 90.0, 72.5, 1, 70.0), 20.02)  # the pump has room: release
    assert near(c.limit(1.0, 100.0, 72.5, 0, 70.0), 20.04)  # the supply invalid: release
