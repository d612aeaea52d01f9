# BEV, fans and the heat-recovery staging, each on its own (their inputs: a signal
# layer with the values set, and the stage objects they read).
from co2hr.fans import Fans
from co2hr.gc_bypass import GcBypass
from co2hr.gc_pressure import REG_SUB, REG_TC, GcPressure
from co2hr.hr_staging import ALLOW_FULL, ALLOW_NONE, ALLOW_SURPLUS, HrStaging
from co2hr.io import AI_P_REC, AI_T_AMB, AI_T_DISCH, AI_T_GC_OUT, AI_T_W_IN, AI_T_W_OUT
from co2hr.receiver import Receiver
from co2hr.settings import Settings
from co2hr.signals import Signals


def _cfg(obj, **kw):
    s = Settings()
    for k in kw:
        s.set(k, kw[k])
    obj.configure(s)
    return obj


def _sig(values):
    """A signal layer with the inputs in values (index: value) valid, the rest invalid."""
    s = Signals({})
    for i in values:
        s.value[i] = values[i]
        s.valid[i] = 1
    return s


def _w(t_disch, t_w_in, t_w_out, ok=1):
    """The HRHX temperatures; ok=0: the water outlet sensor invalid."""
    s = _sig({AI_T_DISCH: t_disch, AI_T_W_IN: t_w_in, AI_T_W_OUT: t_w_out})
    s.valid[AI_T_W_OUT] = ok
    return s


def _bypass_wanted(h):
    """The GC bypass as the HR rule asks for it after this staging and valve."""
    b = GcBypass()
    b.request(h)
    return b.hr_want


def test_bev_pi_and_limits():
    r = _cfg(Receiver(), p_rec_sp_bar=35.0, p_rec_hi_bar=45.0, p_rec_lo_bar=28.0)
    for _ in range(20):
        r.step(_sig({AI_P_REC: 38.0}), 1.0)
    up = r.out
    assert up > 0.0
    for _ in range(5):
        r.step(_sig({AI_P_REC: 46.0}), 1.0)
    assert r.limit == 1 and r.out > up
    for _ in range(30):
        r.step(_sig({AI_P_REC: 27.0}), 1.0)
    assert r.limit == -1 and r.out == 0.0


def test_bev_fallback():
    r = _cfg(Receiver(), bev_fail_pct=20.0)
    assert r.step(_sig({}), 1.0) == 20.0 and r.fallback == 1


def _fans(**kw):
    s = Settings()
    for k in kw:
        s.set(k, kw[k])
    f = Fans()
    f.configure(s, s.get("p_gc_max_bar"))
    return f


def _gc(p_gc=90.0, ref=90.0, sub=False, ovr=False, stop=False):
    """The pressure loop's state the fans read (default: p_gc at its 90 bar reference)."""
    g = _cfg(GcPressure())
    g.p_prot = p_gc
    g.ref = ref
    g.regime = REG_SUB if sub else REG_TC
    g.override = 1 if ovr else 0
    g.comp_stop = 1 if stop else 0
    return g


def _fan_step(f, t3, amb=20.0, sub=False, red=0.0, near=False, ovr=False, disch=90.0, n=1,
              t0=0.0):
    # near: p_gc within 2 bar of p_gc_max (105 bar)
    g = _gc(p_gc=104.0 if near else 90.0, sub=sub, ovr=ovr)
    sig = _sig({AI_T_GC_OUT: t3, AI_T_AMB: amb, AI_T_DISCH: disch})
    for k in range(n):
        f.step(sig, g, red, 0, t0 + k, 1.0)
    return f.out


def test_fans_follow_approach():
    f = _fans(fan_approach_k=3.0)
    f.pi.track(50.0)
    hi = _fan_step(f, 30.0, n=5)
    assert hi > 50.0 and abs(f.sp - 23.0) < 1e-9
    lo = _fan_step(f, 16.0, n=5)
    assert lo < hi


def test_fans_min_condensing_floor():
    f = _fans(t_cond_min_c=10.0, fan_approach_k=3.0)
    _fan_step(f, 9.0, amb=-10.0, sub=True)
    assert abs(f.sp - 8.0) < 1e-9  # not ambient + approach (-7 degC)


def test_fans_cut_off_hysteresis_and_min_speed():
    f = _fans(fan_min_pct=15.0, fan_cut_pct=5.0, fan_kp=1.0, fan_ti_s=10.0)
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
    f = _fans(fan_cap_pct=60.0, t_disch_max_c=130.0)
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
    f = _fans()
    f.pi.track(30.0)
    sig = _sig({AI_T_AMB: 20.0, AI_T_DISCH: 90.0})  # T3 invalid
    for k in range(30):
        f.step(sig, _gc(), 0.0, 0, float(k), 1.0)
    assert f.out == 100.0 and f.fallback == 1


def test_staging_thresholds():
    h = _cfg(HrStaging())
    assert h.staging(0.45, ALLOW_FULL) == 0
    assert h.staging(0.55, ALLOW_FULL) == 1
    assert h.staging(0.35, ALLOW_FULL) == 1  # hysteresis: off only below 0.3 V
    assert h.staging(0.25, ALLOW_FULL) == 0
    assert h.staging(4.5, ALLOW_FULL) == 2 and abs(h.raise_frac - 0.5) < 1e-9
    assert h.staging(8.5, ALLOW_FULL) == 3 and abs(h.fan_reduce - 0.5) < 1e-9
    assert h.raise_frac == 1.0
    assert h.staging(9.5, ALLOW_FULL) == 3 and h.bypass == 0
    assert h.staging(9.7, ALLOW_FULL) == 4 and h.bypass == 1
    assert h.staging(9.4, ALLOW_FULL) == 4
    assert h.staging(9.2, ALLOW_FULL) == 3 and h.bypass == 0


def test_staging_permissions():
    h = _cfg(HrStaging())
    assert h.staging(9.9, ALLOW_SURPLUS) == 1  # Max-COP: surplus heat only
    assert h.raise_frac == 0.0 and h.bypass == 0 and h.fan_reduce == 0.0
    assert h.staging(9.9, ALLOW_NONE) == 0  # external enable off / mode: nothing
    assert h.staging(float("nan"), ALLOW_FULL) == 0


def test_valve_modulates_on_water_outlet():
    h = _cfg(HrStaging(), t_w_out_sp_c=60.0, hr_pump_run_pct=80.0)
    h.staging(5.0, ALLOW_FULL)
    for _ in range(10):
        h.water(_w(100.0, 30.0, 50.0), 1.0)
    assert h.pump == 80.0 and h.valve > 0.0
    v = h.valve
    for _ in range(10):
        h.water(_w(100.0, 30.0, 70.0), 1.0)
    assert h.valve < v


def test_valve_fully_open_while_the_gc_bypass_is_open():
    h = _cfg(HrStaging(), t_w_out_sp_c=60.0, t_w_max_c=90.0, hr_dt_min_k=3.0)
    h.staging(9.9, ALLOW_FULL)
    h.valve_pi.track(40.0)
    h.water(_w(110.0, 30.0, 70.0), 1.0, 40.0, 0)  # GC in the path: the setpoint holds
    assert h.valve < 40.0
    h.water(_w(110.0, 30.0, 70.0), 1.0, 40.0, 1)  # GC bypassed: all CO2 through the HRHX
    assert h.valve == 100.0 and h.valve_pi.u == 100.0 and _bypass_wanted(h) == 1
    h.water(_w(110.0, 30.0, 91.0), 1.0, 100.0, 1)  # boiling protection still wins
    assert h.w_hot == 1 and h.valve == 0.0 and _bypass_wanted(h) == 0
    h.water(_w(110.0, 30.0, 80.0), 1.0, 0.0, 1)
    assert h.w_hot == 0 and h.valve == 100.0
    h.water(_w(31.0, 30.0, 80.0), 1.0, 100.0, 1)  # and no backwards heat
    assert h.no_backheat == 1 and h.valve == 0.0
    h.water(_w(110.0, 30.0, 80.0, 0), 1.0, 100.0, 1)  # and a temperature invalid
    assert h.valve == 0.0
    g = _cfg(HrStaging(), t_w_out_sp_c=60.0)
    g.staging(9.9, ALLOW_FULL)
    g.water(_w(110.0, 30.0, 70.0), 1.0, 100.0, 1)
    g.water(_w(110.0, 30.0, 70.0), 1.0, 100.0, 0)  # bypass shut: the PI continues from
    assert 90.0 <= g.valve < 100.0  # fully open, closing on 70 degC


def test_no_backwards_heat_and_overtemp():
    h = _cfg(HrStaging(), hr_dt_min_k=3.0, t_w_max_c=90.0)
    h.staging(5.0, ALLOW_FULL)
    h.valve_pi.track(50.0)
    h.water(_w(31.0, 30.0, 40.0), 1.0)
    assert h.no_backheat == 1 and h.valve == 0.0 and h.pump > 0.0
    h.water(_w(34.0, 30.0, 40.0), 1.0)  # within the 2 K hysteresis
    assert h.no_backheat == 1
    h.water(_w(36.0, 30.0, 40.0), 1.0)
    assert h.no_backheat == 0
    h.water(_w(120.0, 30.0, 91.0), 1.0)
    assert h.w_hot == 1 and h.valve == 0.0
    h.water(_w(120.0, 30.0, 86.0), 1.0)
    assert h.w_hot == 1
    h.water(_w(120.0, 30.0, 84.0), 1.0)
    assert h.w_hot == 0
    h.water(_w(120.0, 30.0, 50.0, 0), 1.0)  # a temperature invalid: HRHX bypassed
    assert h.valve == 0.0 and h.temp_fallback == 1


def test_fan_reduction_and_bypass_need_a_heat_sink():
    h = _cfg(HrStaging(), t_w_out_sp_c=60.0)
    h.staging(9.9, ALLOW_FULL)
    assert h.fan_reduce == 1.0 and h.bypass == 1
    h.valve_pi.track(50.0)
    h.water(_w(100.0, 30.0, 50.0), 1.0, 50.0)  # valve open, water taking heat
    assert h.sink == 1 and h.fan_cut == 1.0 and _bypass_wanted(h) == 1
    h.water(_w(100.0, 30.0, 50.0), 1.0, 15.0)  # inside the 10..20 % hysteresis
    assert h.sink == 1
    h.water(_w(100.0, 30.0, 50.0), 1.0, 5.0)  # valve (actual) nearly shut
    assert h.sink == 0 and h.fan_cut == 0.0 and _bypass_wanted(h) == 0
    h.water(_w(100.0, 30.0, 50.0), 1.0, 15.0)
    assert h.sink == 0  # back only from 20 %
    h.water(_w(100.0, 30.0, 50.0), 1.0, 25.0)
    assert h.sink == 1
    for bad in ((100.0, 30.0, 92.0, 1), (31.0, 30.0, 50.0, 1), (100.0, 30.0, 50.0, 0)):
        g = _cfg(HrStaging(), t_w_out_sp_c=60.0)
        g.staging(9.9, ALLOW_FULL)
        g.valve_pi.track(50.0)
        g.water(_w(bad[0], bad[1], bad[2], bad[3]), 1.0, 50.0)  # hot / backwards / invalid
        assert g.sink == 0 and g.fan_cut == 0.0 and _bypass_wanted(g) == 0
    h.staging(0.0, ALLOW_FULL)  # recovery off
    h.water(_w(100.0, 30.0, 50.0), 1.0, 50.0)
    assert h.sink == 0 and h.fan_cut == 0.0


def test_fans_ramp_to_full_near_max_pressure():
    # p_gc within 2 bar of its maximum: the fans go up at their rate limit (5 %/s),
    # whatever the T3 loop (at its setpoint here) asks for
    f = _fans(fan_approach_k=3.0)
    f.pi.track(20.0)
    _fan_step(f, 23.0, near=True)
    assert abs(f.out - 25.0) < 1e-9 and f.fallback == 0 and f.safety == 1
    _fan_step(f, 23.0, near=True, n=20)
    assert f.out == 100.0


def test_hp_fan_safety_hysteresis():
    # on within 2 bar of p_gc_max (105) or 5 bar above the reference; off only once p_gc
    # is below both p_gc_max - 5 and ref + 1
    f = _fans()
    sig = _sig({AI_T_GC_OUT: 30.0, AI_T_AMB: 25.0, AI_T_DISCH: 90.0})
    for p, ref, on in ((95.0, 90.0, 0), (95.5, 90.0, 1), (92.0, 90.0, 1), (90.5, 90.0, 0),
                       (103.5, 103.0, 1), (101.0, 103.0, 1), (99.5, 103.0, 0)):
        f.step(sig, _gc(p_gc=p, ref=ref), 0.0, 0, 0.0, 1.0)
        assert f.hp_guard == on and f.safety == on, (p, ref, f.hp_guard)


def test_hp_fan_safety_holds_after_an_hp_stop():
    f = _fans()
    sig = _sig({AI_T_GC_OUT: 30.0, AI_T_AMB: 25.0, AI_T_DISCH: 90.0})
    f.step(sig, _gc(stop=True), 0.0, 0, 10.0, 1.0)  # the HP stop at 10 s ...
    assert f.safety == 1
    f.step(sig, _gc(), 0.0, 0, 129.0, 1.0)  # ... holds the fans 120 s after it
    assert f.safety == 1 and f.limit == 100.0
    f.step(sig, _gc(), 0.0, 0, 130.5, 1.0)
    assert f.safety == 0


def test_fans_stopped_while_the_low_ambient_bypass_holds():
    # the coil gets no CO2: full reduction, a T3 fault (bypassed gas) is no reason to run,
    # and p_gc 5 bar above its floor is not the fans' business
    f = _fans(fan_cap_pct=100.0)
    f.pi.track(0.0)
    f.running = 0
    sig = _sig({AI_T_AMB: -25.0, AI_T_DISCH: 60.0})  # T3 invalid
    for k in range(20):
        f.step(sig, _gc(p_gc=52.0, ref=45.0, sub=True), 0.0, 1, float(k), 1.0)
    assert f.out == 0.0 and f.limit == 0.0 and f.safety == 0 and f.fallback == 0
    f.step(sig, _gc(p_gc=52.0, ref=45.0, sub=True), 0.0, 0, 20.0, 1.0)  # released
    assert f.hp_guard == 1 and f.fallback == 0 and f.out > 0.0


def test_permission_by_mode_external_enable_and_demand():
    from co2hr.io import AI_DEMAND, DI_EXT_ENABLE
    from co2hr.modes import HEAT_RECOVERY, MANUAL, MAX_COP, OFF, STANDBY

    h = _cfg(HrStaging())
    ok = _sig({AI_DEMAND: 5.0, DI_EXT_ENABLE: 1})
    expect = ((OFF, ALLOW_NONE), (STANDBY, ALLOW_NONE), (MAX_COP, ALLOW_SURPLUS),
              (HEAT_RECOVERY, ALLOW_FULL), (MANUAL, ALLOW_SURPLUS))
    for mode, allow in expect:
        assert h.permit(mode, ok) == allow, mode
    assert h.ext_ok and h.demand_ok
    off = _sig({AI_DEMAND: 5.0, DI_EXT_ENABLE: 0})
    assert h.permit(HEAT_RECOVERY, off) == ALLOW_NONE and not h.ext_ok
    unread = _sig({AI_DEMAND: 5.0})  # external enable not read: off
    assert h.permit(HEAT_RECOVERY, unread) == ALLOW_NONE
    no_demand = _sig({DI_EXT_ENABLE: 1})
    assert h.permit(HEAT_RECOVERY, no_demand) == ALLOW_NONE and not h.demand_ok
