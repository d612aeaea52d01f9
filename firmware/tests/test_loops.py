# BEV, fans and the heat-recovery staging, each on its own.
from co2hr.fans import Fans
from co2hr.hr_staging import HrStaging
from co2hr.receiver import Receiver
from co2hr.settings import Settings


def _cfg(obj, **kw):
    s = Settings()
    for k in kw:
        s.set(k, kw[k])
    obj.configure(s)
    return obj


def test_bev_pi_and_limits():
    r = _cfg(Receiver(), p_rec_sp_bar=35.0, p_rec_hi_bar=45.0, p_rec_lo_bar=28.0)
    for _ in range(20):
        r.step(38.0, 1, 1.0)
    up = r.out
    assert up > 0.0
    for _ in range(5):
        r.step(46.0, 1, 1.0)
    assert r.limit == 1 and r.out > up
    for _ in range(30):
        r.step(27.0, 1, 1.0)
    assert r.limit == -1 and r.out == 0.0


def test_bev_fallback():
    r = _cfg(Receiver(), bev_fail_pct=20.0)
    assert r.step(0.0, 0, 1.0) == 20.0 and r.fallback == 1


def _fan_step(f, t3, amb=20.0, sub=False, red=0.0, near=False, ovr=False, disch=90.0, n=1):
    for _ in range(n):
        f.step(t3, 1, amb, 1, sub, red, near, ovr, disch, 1, 1.0)
    return f.out


def test_fans_follow_approach():
    f = _cfg(Fans(), fan_approach_k=3.0)
    f.pi.track(50.0)
    hi = _fan_step(f, 30.0, n=5)
    assert hi > 50.0 and abs(f.sp - 23.0) < 1e-9
    lo = _fan_step(f, 16.0, n=5)
    assert lo < hi


def test_fans_min_condensing_floor():
    f = _cfg(Fans(), t_cond_min_c=10.0, fan_approach_k=3.0)
    _fan_step(f, 9.0, amb=-10.0, sub=True)
    assert abs(f.sp - 8.0) < 1e-9  # not ambient + approach (-7 degC)


def test_fans_cut_off_hysteresis_and_min_speed():
    f = _cfg(Fans(), fan_min_pct=15.0, fan_cut_pct=5.0, fan_kp=1.0, fan_ti_s=10.0)
    f.pi.track(20.0)
    assert _fan_step(f, 23.0) >= 15.0  # at setpoint: stays at min speed or above
    for _ in range(200):
        _fan_step(f, 10.0)
    assert f.out == 0.0 and f.running == 0
    f.pi.track(10.0)  # between cut and min: stays off
    _fan_step(f, 23.0)
    assert f.out == 0.0
    for _ in range(100):
        _fan_step(f, 30.0)
    assert f.running == 1 and f.out >= 15.0


def test_fan_cap_hr_reduction_and_safeties():
    f = _cfg(Fans(), fan_cap_pct=60.0, t_disch_max_c=130.0)
    assert _fan_step(f, 40.0, n=100) <= 60.0 and f.limit == 60.0
    _fan_step(f, 40.0, red=0.5, n=50)
    assert f.limit == 30.0 and f.out <= 30.0
    _fan_step(f, 40.0, red=1.0, n=50)
    assert f.out == 0.0
    _fan_step(f, 40.0, red=1.0, near=True)
    assert f.limit == 100.0 and f.safety == 1
    _fan_step(f, 40.0, red=1.0, disch=140.0)
    assert f.limit == 100.0
    _fan_step(f, 40.0, ovr=True, n=30)
    assert f.out == 100.0


def test_fans_fallback_full():
    f = _cfg(Fans())
    f.pi.track(30.0)
    for _ in range(30):
        f.step(0.0, 0, 20.0, 1, False, 0.0, False, False, 90.0, 1, 1.0)
    assert f.out == 100.0 and f.fallback == 1


def test_staging_thresholds():
    h = _cfg(HrStaging())
    assert h.staging(0.45, 2) == 0
    assert h.staging(0.55, 2) == 1
    assert h.staging(0.35, 2) == 1  # hysteresis: off only below 0.3 V
    assert h.staging(0.25, 2) == 0
    assert h.staging(4.5, 2) == 2 and abs(h.raise_frac - 0.5) < 1e-9
    assert h.staging(8.5, 2) == 3 and abs(h.fan_reduce - 0.5) < 1e-9
    assert h.raise_frac == 1.0
    assert h.staging(9.5, 2) == 3 and h.bypass == 0
    assert h.staging(9.7, 2) == 4 and h.bypass == 1
    assert h.staging(9.4, 2) == 4
    assert h.staging(9.2, 2) == 3 and h.bypass == 0


def test_staging_permissions():
    h = _cfg(HrStaging())
    assert h.staging(9.9, 1) == 1  # Max-COP: surplus heat only
    assert h.raise_frac == 0.0 and h.bypass == 0 and h.fan_reduce == 0.0
    assert h.staging(9.9, 0) == 0  # external enable off / mode: nothing
    assert h.staging(float("nan"), 2) == 0


def test_valve_modulates_on_water_outlet():
    h = _cfg(HrStaging(), t_w_out_sp_c=60.0, hr_pump_run_pct=80.0)
    h.staging(5.0, 2)
    for _ in range(10):
        h.water(100.0, 30.0, 50.0, 1, 1.0)
    assert h.pump == 80.0 and h.valve > 0.0
    v = h.valve
    for _ in range(10):
        h.water(100.0, 30.0, 70.0, 1, 1.0)
    assert h.valve < v


def test_valve_fully_open_while_the_gc_bypass_is_open():
    h = _cfg(HrStaging(), t_w_out_sp_c=60.0, t_w_max_c=90.0, hr_dt_min_k=3.0)
    h.staging(9.9, 2)
    h.valve_pi.track(40.0)
    h.water(110.0, 30.0, 70.0, 1, 1.0, 40.0, 0)  # GC in the path: the setpoint holds
    assert h.valve < 40.0
    h.water(110.0, 30.0, 70.0, 1, 1.0, 40.0, 1)  # GC bypassed: all CO2 through the HRHX
    assert h.valve == 100.0 and h.valve_pi.u == 100.0 and h.gc_bypass == 1
    h.water(110.0, 30.0, 91.0, 1, 1.0, 100.0, 1)  # boiling protection still wins
    assert h.w_hot == 1 and h.valve == 0.0 and h.gc_bypass == 0
    h.water(110.0, 30.0, 80.0, 1, 1.0, 0.0, 1)
    assert h.w_hot == 0 and h.valve == 100.0
    h.water(31.0, 30.0, 80.0, 1, 1.0, 100.0, 1)  # and no backwards heat
    assert h.no_backheat == 1 and h.valve == 0.0
    h.water(110.0, 30.0, 80.0, 0, 1.0, 100.0, 1)  # and a temperature invalid
    assert h.valve == 0.0
    g = _cfg(HrStaging(), t_w_out_sp_c=60.0)
    g.staging(9.9, 2)
    g.water(110.0, 30.0, 70.0, 1, 1.0, 100.0, 1)
    g.water(110.0, 30.0, 70.0, 1, 1.0, 100.0, 0)  # bypass shut: the PI continues from
    assert 90.0 <= g.valve < 100.0  # fully open, closing on 70 degC


def test_no_backwards_heat_and_overtemp():
    h = _cfg(HrStaging(), hr_dt_min_k=3.0, t_w_max_c=90.0)
    h.staging(5.0, 2)
    h.valve_pi.track(50.0)
    h.water(31.0, 30.0, 40.0, 1, 1.0)
    assert h.no_backheat == 1 and h.valve == 0.0 and h.pump > 0.0
    h.water(34.0, 30.0, 40.0, 1, 1.0)  # within the 2 K hysteresis
    assert h.no_backheat == 1
    h.water(36.0, 30.0, 40.0, 1, 1.0)
    assert h.no_backheat == 0
    h.water(120.0, 30.0, 91.0, 1, 1.0)
    assert h.w_hot == 1 and h.valve == 0.0
    h.water(120.0, 30.0, 86.0, 1, 1.0)
    assert h.w_hot == 1
    h.water(120.0, 30.0, 84.0, 1, 1.0)
    assert h.w_hot == 0
    h.water(120.0, 30.0, 50.0, 0, 1.0)  # a temperature invalid: HRHX bypassed
    assert h.valve == 0.0 and h.temp_fallback == 1


def test_fan_reduction_and_bypass_need_a_heat_sink():
    h = _cfg(HrStaging(), t_w_out_sp_c=60.0)
    h.staging(9.9, 2)
    assert h.fan_reduce == 1.0 and h.bypass == 1
    h.valve_pi.track(50.0)
    h.water(100.0, 30.0, 50.0, 1, 1.0, 50.0)  # valve open, water taking heat
    assert h.sink == 1 and h.fan_cut == 1.0 and h.gc_bypass == 1
    h.water(100.0, 30.0, 50.0, 1, 1.0, 15.0)  # inside the 10..20 % hysteresis
    assert h.sink == 1
    h.water(100.0, 30.0, 50.0, 1, 1.0, 5.0)  # valve (actual) nearly shut
    assert h.sink == 0 and h.fan_cut == 0.0 and h.gc_bypass == 0
    h.water(100.0, 30.0, 50.0, 1, 1.0, 15.0)
    assert h.sink == 0  # back only from 20 %
    h.water(100.0, 30.0, 50.0, 1, 1.0, 25.0)
    assert h.sink == 1
    for bad in ((100.0, 30.0, 92.0, 1), (31.0, 30.0, 50.0, 1), (100.0, 30.0, 50.0, 0)):
        g = _cfg(HrStaging(), t_w_out_sp_c=60.0)
        g.staging(9.9, 2)
        g.valve_pi.track(50.0)
        g.water(bad[0], bad[1], bad[2], bad[3], 1.0, 50.0)  # hot / backwards / invalid
        assert g.sink == 0 and g.fan_cut == 0.0 and g.gc_bypass == 0
    h.staging(0.0, 2)  # recovery off
    h.water(100.0, 30.0, 50.0, 1, 1.0, 50.0)
    assert h.sink == 0 and h.fan_cut == 0.0


def test_fans_ramp_to_full_near_max_pressure():
    # p_gc within 2 bar of its maximum: the fans go up at their rate limit (5 %/s),
    # whatever the T3 loop (at its setpoint here) asks for
    f = _cfg(Fans(), fan_approach_k=3.0)
    f.pi.track(20.0)
    _fan_step(f, 23.0, near=True)
    assert abs(f.out - 25.0) < 1e-9 and f.fallback == 0 and f.safety == 1
    _fan_step(f, 23.0, near=True, n=20)
    assert f.out == 100.0
