# The heat pump's defrost: demand from the coil's driving difference against the clean
# coil's, a timed fallback when it cannot be read, the method, the end and the drip.
# The closed loop against the frosting coil model is in
# host/tests/plant/test_defrost_closed_loop.py.
from co2hr.co2sat import p_sat_bar
from co2hr.defrost import (
    DRIP,
    END_COIL,
    END_TIME,
    FANS_ONLY,
    HOT_GAS,
    MODE_TIMED,
    RUN,
    WHY_BACKSTOP,
    WHY_DEMAND,
    WHY_TIMED,
    Defrost,
)

DT_S = 10.0
SETTINGS = {
    "df_mode": 1, "df_t_air_max_c": 7.0, "df_rise_pct": 15.0, "df_interval_s": 3600.0,
    "df_min_s": 1200.0, "df_backstop_s": 14400.0, "df_t_end_c": 10.0, "df_max_s": 900.0,
    "df_drip_s": 120.0, "df_fans_t_air_c": 3.0, "df_settle_s": 300.0,
}


def make(**over):
    s = dict(SETTINGS)
    s.update(over)
    d = Defrost()
    d.configure(s)
    return d


def run(d, seconds, t_air=-5.0, dt_k=8.0, load=80.0, fan=100.0, air_ok=True, p_ok=True,
        t_coil=-12.0, coil_ok=True):
    """Run `seconds` of ticks with the evaporator dt_k below the air; the time at which
    the state left RUN (or -1)."""
    p = p_sat_bar(t_air - dt_k)
    t = 0.0
    while t < seconds:
        t += DT_S
        if d.step(DT_S, t_air, air_ok, p, p_ok, t_coil, coil_ok, load, fan) != RUN:
            return t
    return -1.0


def test_a_clean_coil_waits_for_the_backstop():
    d = make()
    t = run(d, 5 * 3600.0)
    assert d.f0 > 0.0
    assert abs(t - 14400.0) <= DT_S
    assert d.why == WHY_BACKSTOP and d.state == HOT_GAS and d.count == 1


def test_a_start_after_a_long_stop_is_learnt_once_settled():
    """The compressor stood still for an hour; its start ramps the driving difference
    from 2 K to the coil's settled 8 K within df_settle_s: the ramp is not frost."""
    d = make()
    assert run(d, 3600.0, load=0.0) == -1.0 and d.f0 == 0.0
    for dt_k in (2.0, 4.0, 6.0, 7.5):
        assert run(d, 60.0, dt_k=dt_k) == -1.0
    assert d.f0 == 0.0  # still settling
    assert run(d, 3600.0, dt_k=8.0) == -1.0
    assert abs(d.f0 - 8.0 * 100.0 / 80.0) < 1e-6 and d.count == 0
    assert run(d, 60.0, load=0.0) == -1.0  # a stop and a restart: f is not read ...
    assert run(d, 120.0, dt_k=3.0) == -1.0  # ... in its transient either
    assert abs(d.f - d.f0) < 1e-6


def test_a_rising_driving_difference_demands_a_defrost():
    d = make()
    assert run(d, 1800.0, dt_k=8.0) == -1.0
    assert abs(d.f0 - 8.0 * 100.0 / 80.0) < 1e-6
    assert run(d, 1800.0, dt_k=9.0) == -1.0  # +12.5 %: below the 15 % rise
    t = run(d, 1800.0, dt_k=9.6)  # +20 %: through the 60 s filter
    assert 0.0 < t <= 180.0
    assert d.why == WHY_DEMAND and d.state == HOT_GAS


def test_no_demand_before_the_minimum_interval():
    d = make()
    assert run(d, 600.0, dt_k=8.0) == -1.0  # f0 learned at 420 s
    t = run(d, 3600.0, dt_k=12.0)
    assert abs((600.0 + t) - 1200.0) <= DT_S
    assert d.why == WHY_DEMAND


def test_the_load_and_fans_are_normalised_away():
    d = make()
    run(d, 600.0, dt_k=8.0, load=80.0, fan=100.0)
    assert run(d, 3000.0, dt_k=4.0, load=40.0) == -1.0  # half the duty, half the dt
    # the fans at 50 %: UA ~ 0.5^0.6 = 0.66 of it, so the same duty needs 1.52x the dt
    assert run(d, 3000.0, dt_k=8.0 / 0.5 ** 0.6, fan=50.0) == -1.0
    assert d.state == RUN


def test_low_load_is_not_read():
    d = make()
    run(d, 600.0, dt_k=8.0)
    assert run(d, 3000.0, dt_k=12.0, load=10.0) == -1.0


def test_timed_fallback_when_the_evaporating_pressure_fails():
    d = make()
    run(d, 600.0)
    t = run(d, 7200.0, dt_k=30.0, p_ok=False)  # the dt is not read
    assert d.fallback == 1
    assert abs((600.0 + t) - 3600.0) <= DT_S
    assert d.why == WHY_TIMED


def test_timed_fallback_when_the_air_sensor_fails_assumes_frost():
    d = make()
    t = run(d, 7200.0, t_air=20.0, dt_k=33.0, air_ok=False)  # evaporating at -13 degC
    assert abs(t - 3600.0) <= DT_S
    assert d.why == WHY_TIMED and d.state == HOT_GAS  # no air reading: never fans-only


def test_timed_mode_ignores_the_demand():
    d = make(df_mode=MODE_TIMED)
    run(d, 600.0)
    t = run(d, 7200.0, dt_k=20.0)
    assert abs((600.0 + t) - 3600.0) <= DT_S and d.why == WHY_TIMED


def test_no_frosting_time_in_warm_air_or_standstill():
    d = make(df_mode=MODE_TIMED)
    assert run(d, 7200.0, t_air=8.0) == -1.0  # above df_t_air_max_c
    assert run(d, 7200.0, load=0.0) == -1.0  # compressor stopped
    assert run(d, 7200.0, t_air=6.0, dt_k=5.0) == -1.0  # evaporating at +1 degC
    assert d.frost_s == 0.0


def test_fans_only_in_air_above_freezing():
    d = make(df_mode=MODE_TIMED)
    assert run(d, 4000.0, t_air=4.0, dt_k=8.0) > 0.0
    assert d.state == FANS_ONLY
    assert d.fans_pct(35.0) == 100.0 and not d.evaporating()


def test_hot_gas_ends_on_the_coil_then_drips_and_relearns():
    d = make(df_mode=MODE_TIMED)
    run(d, 4000.0)
    assert d.state == HOT_GAS and d.fans_pct(60.0) == 0.0
    for _ in range(30):
        d.step(DT_S, -5.0, True, 20.0, True, 9.5, True, 80.0, 0.0)
    assert d.state == HOT_GAS
    d.step(DT_S, -5.0, True, 20.0, True, 10.5, True, 80.0, 0.0)
    assert d.state == DRIP and d.end == END_COIL
    for _ in range(11):
        d.step(DT_S, -5.0, True, 20.0, True, 10.5, True, 80.0, 0.0)
    assert d.state == DRIP
    d.step(DT_S, -5.0, True, 20.0, True, 10.5, True, 80.0, 0.0)
    assert d.state == RUN and d.f0 == 0.0 and d.frost_s == 0.0
    assert d.fans_pct(60.0) == 60.0 and d.evaporating()


def test_a_failed_coil_sensor_ends_at_the_maximum_time():
    d = make(df_mode=MODE_TIMED)
    run(d, 4000.0)
    n = 0
    while d.state == HOT_GAS:
        d.step(DT_S, -5.0, True, 20.0, True, 50.0, False, 80.0, 0.0)
        n += 1
    assert d.coil_fallback == 1 and d.end == END_TIME
    assert abs(n * DT_S - 900.0) <= DT_S


def test_fans_only_ends_near_the_air_not_at_the_hot_gas_end():
    d = make(df_mode=MODE_TIMED)
    run(d, 4000.0, t_air=5.0)
    assert d.state == FANS_ONLY
    d.step(DT_S, 5.0, True, 20.0, True, 0.0, True, 0.0, 100.0)  # frost melting at 0
    assert d.state == FANS_ONLY
    d.step(DT_S, 5.0, True, 20.0, True, 4.1, True, 0.0, 100.0)
    assert d.state == DRIP and d.end == END_COIL


def test_defrost_time_is_counted():
    d = make(df_mode=MODE_TIMED)
    run(d, 4000.0)
    for _ in range(30):
        d.step(DT_S, -5.0, True, 20.0, True, 12.0, True, 80.0, 0.0)
    assert d.state == RUN
    assert d.defrost_s == DT_S + 120.0 and d.count == 1
