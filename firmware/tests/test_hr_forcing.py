# Forcing only while it recovers heat, and the pump/3-way valve sequencing
# (co2hr.hr_staging), on the staging itself with the real signal layer.
from co2hr.hr_staging import ALLOW_FULL, HrStaging
from co2hr.io import AI_T_DISCH, AI_T_W_IN, AI_T_W_OUT
from co2hr.settings import Settings
from co2hr.signals import Signals


def _hr(**kw):
    s = Settings()
    s.set("hr_proof_s", 100)
    s.set("hr_retry_s", 1000)
    s.set("hr_pump_post_s", 30)
    for k in kw:
        s.set(k, kw[k])
    h = HrStaging()
    h.configure(s)
    return h


def _w(t_disch, t_w_in, t_w_out):
    s = Signals({})
    for i, v in ((AI_T_DISCH, t_disch), (AI_T_W_IN, t_w_in), (AI_T_W_OUT, t_w_out)):
        s.value[i] = v
        s.valid[i] = 1
    return s


def _tick(h, demand_v, sig, now_s, valve_pct=-1.0, pump_out=-1.0):
    h.staging(demand_v, ALLOW_FULL)
    h.water(sig, 1.0, valve_pct, 0, pump_out, now_s)
    return h.raise_frac


def test_raise_kept_while_the_hrhx_takes_heat():
    h = _hr()
    taking = _w(110.0, 30.0, 50.0)  # water warming 20 K across the HRHX
    for t in range(500):
        assert _tick(h, 4.5, taking, float(t), 60.0) == 0.5 or t == 0
    assert h.sink == 1 and h.proving == 0 and h.held == 0


def test_raise_without_heat_taken_is_dropped_after_the_proof_time_and_held_off():
    h = _hr()
    cold = _w(31.0, 30.0, 30.2)  # CO2 too cold for the water: valve shut, nothing taken
    assert _tick(h, 4.5, cold, 0.0, 0.0) == 0.5 and h.proving == 1
    assert _tick(h, 4.5, cold, 99.0, 0.0) == 0.5
    assert _tick(h, 4.5, cold, 100.0, 0.0) == 0.0 and h.held == 1  # proof time over
    assert _tick(h, 4.5, cold, 900.0, 0.0) == 0.0 and h.proving == 0
    assert _tick(h, 5.0, cold, 950.0, 0.0) == 0.0  # a small demand change: still held
    assert _tick(h, 4.5, cold, 1101.0, 0.0) == 0.5 and h.proving == 1  # hold-off over
    assert _tick(h, 4.5, cold, 1201.0, 0.0) == 0.0 and h.held == 1
    assert _tick(h, 6.0, cold, 1202.0, 0.0) > 0.7 and h.proving == 1  # demand +1.5 V


def test_a_raise_that_finds_heat_is_kept():
    h = _hr()
    assert _tick(h, 4.5, _w(31.0, 30.0, 30.2), 0.0, 0.0) == 0.5  # on trial
    for t in range(1, 50):  # the hotter discharge lets the valve open, the water warms
        _tick(h, 4.5, _w(60.0, 30.0, 45.0), float(t), 50.0)
    assert h.sink == 1 and h.proving == 0
    assert _tick(h, 4.5, _w(60.0, 30.0, 45.0), 5000.0, 50.0) == 0.5


def test_no_raise_with_the_water_at_its_setpoint():
    # a full tank: the 3-way valve keeps the CO2 out of the HRHX, the water stands still
    # across it, and a raise could not make the tank take heat
    h = _hr(t_w_out_sp_c=60)
    full = _w(110.0, 70.0, 70.0)
    for t in range(300):
        assert _tick(h, 9.0, full, float(t), 0.0) == 0.0
    assert h.fan_cut == 0.0 and h.sink == 0 and h.proving == 0


def test_an_open_valve_with_no_warming_is_no_sink():
    h = _hr()
    for t in range(10):
        _tick(h, 9.0, _w(110.0, 40.0, 40.2), float(t), 80.0)
    assert h.sink == 0 and h.fan_cut == 0.0 and h.warm == 0


def test_pump_starts_before_the_valve_opens():
    h = _hr(hr_pump_run_pct=80)
    sig = _w(110.0, 30.0, 30.0)
    _tick(h, 2.0, sig, 0.0, 0.0, 0.0)
    assert h.pump == 80.0 and h.valve == 0.0
    _tick(h, 2.0, sig, 1.0, 0.0, 50.0)  # the pump still running up
    assert h.valve == 0.0
    for t in range(2, 20):
        _tick(h, 2.0, sig, float(t), 0.0, 80.0)
    assert h.valve > 0.0


def test_pump_runs_until_the_valve_is_shut_and_the_post_run_time():
    h = _hr(hr_pump_run_pct=80)
    sig = _w(110.0, 30.0, 50.0)
    for t in range(30):
        _tick(h, 5.0, sig, float(t), 60.0, 80.0)
    _tick(h, 0.0, sig, 100.0, 40.0, 80.0)  # switched off: the valve closes first
    assert h.on == 0 and h.valve == 0.0 and h.pump == 80.0
    _tick(h, 0.0, sig, 107.0, 5.0, 80.0)
    assert h.pump == 80.0
    _tick(h, 0.0, sig, 108.0, 0.0, 80.0)  # shut: the post-run begins
    assert h.pump == 80.0
    _tick(h, 0.0, sig, 137.0, 0.0, 80.0)
    assert h.pump == 80.0
    _tick(h, 0.0, sig, 138.0, 0.0, 80.0)
    assert h.pump == 0.0
    _tick(h, 0.0, sig, 139.0, 0.0, 70.0)  # (ramping down)
    assert h.pump == 0.0
