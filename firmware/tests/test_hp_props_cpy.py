# The heat pump's defrost and schedule under hypothesis searches (CPython): random
# sensor-validity, enable, demand, tank and price schedules never break the rules the
# modules promise (co2hr.defrost, co2hr.hp_schedule; docs/heatpump.md).
from hypothesis import given, settings
from hypothesis import strategies as st
from test_defrost import SETTINGS as DF_SETTINGS
from test_hp_schedule import SETTINGS as HS_SETTINGS

from co2hr.co2sat import p_sat_bar
from co2hr.defrost import DRIP, RUN, WHY_DEMAND, Defrost
from co2hr.hp_schedule import WHY_GRID, WHY_MIN_RUN, WHY_TANK_LOW, HpSchedule

DT_S = 10.0
_SEGMENT = st.tuples(
    st.integers(1, 400),  # ticks
    st.floats(-20.0, 15.0),  # air
    st.floats(0.0, 25.0),  # evaporator below the air, K
    st.floats(-25.0, 30.0),  # coil temperature
    st.booleans(), st.booleans(), st.booleans(),  # air, p_evap, coil valid
    st.floats(0.0, 100.0),  # load
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_SEGMENT, min_size=1, max_size=12))
def test_defrost_always_ends_and_never_demands_early(segments):
    d = Defrost()
    d.configure(DF_SETTINGS)
    in_state_s, run_s = 0.0, 0.0
    last = RUN
    for n, t_air, dt_k, t_coil, air_ok, p_ok, coil_ok, load in segments:
        p = p_sat_bar(t_air - dt_k)
        for _ in range(n):
            s = d.step(DT_S, t_air, air_ok, p, p_ok, t_coil, coil_ok, load, 100.0)
            if s != last:
                if last == RUN and d.why == WHY_DEMAND:  # this tick ran in RUN too
                    assert run_s + DT_S >= DF_SETTINGS["df_min_s"]  # not before df_min_s
                in_state_s, last = 0.0, s
                if s == RUN:
                    run_s = 0.0
            in_state_s += DT_S
            run_s += DT_S if s == RUN else 0.0
            if s == DRIP:
                assert in_state_s <= DF_SETTINGS["df_drip_s"] + DT_S
            elif s != RUN:  # hot gas or fans: ended by the coil or the maximum time
                assert in_state_s <= DF_SETTINGS["df_max_s"] + DT_S
            assert d.fans_pct(55.0) == (55.0 if s == RUN else d.fans_pct(0.0))


_TICKS = st.tuples(
    st.integers(1, 200),  # ticks of 10 s
    st.booleans(),  # enable
    st.booleans(),  # want
    st.floats(30.0, 80.0),  # tank
    st.booleans(),  # tank valid
)
_PRICES = st.lists(st.integers(-500, 3000), min_size=1, max_size=24)


@settings(max_examples=150, deadline=None)
@given(_PRICES, st.lists(_TICKS, min_size=1, max_size=20), st.integers(0, 23))
def test_schedule_rules_hold_whatever_happens(prices, segments, hour0):
    h = HpSchedule()
    h.configure(HS_SETTINGS)
    h0 = 490000
    assert h.set_prices(h0, prices)
    t = (h0 + hour0) * 3600
    enable_s, since_s, was = 0.0, 1e9, 0
    for n, enable, want, t_tank, tank_ok in segments:
        for _ in range(n):
            on = h.step(DT_S, t // 3600, enable, want, t_tank, tank_ok)
            enable_s = enable_s + DT_S if enable else 0.0
            since_s += DT_S
            if not enable:
                assert not on and h.why == WHY_GRID
            if on and not was:  # a start: after the delay and the minimum stop
                assert enable_s >= HS_SETTINGS["hp_start_delay_s"]
                assert since_s >= HS_SETTINGS["hp_min_stop_s"]
            if was and not on and enable:  # a stop other than the grid's
                assert since_s >= HS_SETTINGS["hp_min_run_s"]
            if on and tank_ok and h.cheap(t // 3600) == 0:  # a dear hour: only for a reason
                assert h.why in (WHY_TANK_LOW, WHY_MIN_RUN)
            if on != was:
                since_s = 0.0
            was = on
            t += int(DT_S)
