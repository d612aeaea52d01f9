# HPEV reference in its three regimes, the HR raise, limits, HP override/stop, fallback.
# The loop reads a signal layer; the tests set its values and validity as the signal
# layer leaves them (a last good value held, a rate fault's newer sample, not wired).
from co2hr.co2sat import p_sat_bar
from co2hr.gc_pressure import (
    REF_MARGIN_BAR,
    REG_SUB,
    REG_TC,
    REG_TRANS,
    GcPressure,
    cop_reference_bar,
)
from co2hr.io import AI_P_GC, AI_P_REC, AI_T_GC_OUT, DI_FAN_OK, DI_HP_OK
from co2hr.settings import Settings
from co2hr.signals import F_OPEN, F_RATE, K_MA420, Signals


def _gc(**kw):
    s = Settings()
    s.set_many(kw.items())  # as one block: the order between them holds at the end
    g = GcPressure()
    g.configure(s)
    return g


def _t3(t3_c, ok=1):
    s = Signals({})
    s.value[AI_T_GC_OUT] = t3_c
    s.valid[AI_T_GC_OUT] = ok
    return s


def _p(p_gc, ok=1, fault=F_OPEN, sample=None, wired=1, p_rec=None, hp_ok=1, fan_ok=1):
    """p_gc as the signal layer leaves it: valid, or invalid with its fault (the value
    then is the last good one, sample the newest), or not wired; p_rec (None: invalid),
    the HP safety switch and the fan alarm contact."""
    s = Signals({})
    s.kind[AI_P_GC] = K_MA420 if wired else 0
    s.value[AI_P_GC] = p_gc
    s.valid[AI_P_GC] = ok
    s.fault[AI_P_GC] = 0 if ok else fault
    s.sample[AI_P_GC] = p_gc if sample is None else sample
    if p_rec is not None:
        s.value[AI_P_REC] = p_rec
        s.valid[AI_P_REC] = 1
    s.value[DI_HP_OK] = hp_ok
    s.valid[DI_HP_OK] = 1
    s.value[DI_FAN_OK] = fan_ok
    s.valid[DI_FAN_OK] = 1
    return s


def test_subcritical_is_saturation_plus_subcooling():
    p, reg = cop_reference_bar(20.0, 0.4, 27.0, 10.0)
    assert reg == REG_SUB
    assert abs(p - p_sat_bar(20.4)) < 1e-9


def test_never_below_min_condensing():
    for t3 in (-20.0, 0.0, 5.0, 9.0):
        p, reg = cop_reference_bar(t3, 0.4, 27.0, 10.0)
        assert abs(p - p_sat_bar(10.0)) < 1e-9
        assert 44.5 < p < 45.5


def test_transition_is_continuous_and_rising():
    prev = 0.0
    t = 15.0
    while t < 45.0:
        p, reg = cop_reference_bar(t, 0.4, 27.0, 10.0)
        assert p >= prev
        if prev:
            assert p - prev < 1.7, (t, p, prev)  # 0.05 K steps: no jump anywhere
        prev = p
        t += 0.05
    assert cop_reference_bar(28.0, 0.4, 27.0, 10.0)[1] == REG_TRANS
    assert cop_reference_bar(35.0, 0.4, 27.0, 10.0)[1] == REG_TC


def test_transcritical_near_100_bar_at_40():
    p, reg = cop_reference_bar(40.0, 0.4, 27.0, 10.0)
    assert reg == REG_TC
    assert 98.0 < p < 106.0


def test_hr_raise_limits_and_rate():
    g = _gc(p_hr_max_bar=95.0, p_gc_max_bar=100.0, p_ref_rate_bar_s=1.0)
    g.reference(_t3(15.0), 0.0, 1.0)
    base = g.ref
    assert abs(base - p_sat_bar(15.2)) < 1e-6
    g.reference(_t3(15.0), 1.0, 1.0)
    assert abs(g.ref - (base + 1.0)) < 1e-6  # rate-limited
    for _ in range(100):
        g.reference(_t3(15.0), 1.0, 1.0)
    assert abs(g.ref - 95.0) < 1e-6
    assert abs(g.raise_bar - (95.0 - base)) < 1e-6
    for _ in range(100):
        g.reference(_t3(15.0), 0.5, 1.0)
    assert abs(g.ref - (base + 0.5 * (95.0 - base))) < 1e-6
    for _ in range(100):
        g.reference(_t3(48.0), 0.0, 1.0)
    assert g.ref == 100.0 - REF_MARGIN_BAR  # capped a margin below p_gc_max


def test_t3_invalid_uses_fixed_reference():
    g = _gc(p_ref_fail_bar=85.0)
    g.reference(_t3(float("nan"), 0), 0.0, 1.0)
    assert g.ref == 85.0 and g.t3_fallback == 1


def test_t3_invalid_no_hr_raise():
    # forced operation stops while the regime is unknown: the declared reference only
    g = _gc(p_ref_fail_bar=85.0, p_hr_max_bar=100.0)
    for _ in range(100):
        g.reference(_t3(35.0), 0.6, 1.0)
    assert g.raise_bar > 1.0
    for _ in range(100):
        g.reference(_t3(35.0, 0), 0.6, 1.0)
    assert g.ref == 85.0 and g.raise_bar == 0.0 and g.p_opt == 85.0


def test_default_hp_ladder_below_110_bar():
    g = _gc()
    assert g.p_max == 105.0 and g.p_lim == 105.0 - REF_MARGIN_BAR
    assert g.p_lim < g.p_max < g.p_ovr < g.p_stop < 110.0
    assert g.p_ovr <= 106.5 and g.p_stop <= 109.0


def test_max_pressure_limiter_opens_harder():
    # the same error opens the HPEV more when p_gc is above the limiter threshold
    lo = _gc()
    hi = _gc()
    lo.reference(_t3(35.0), 0.0, 1.0)  # ~ 90 bar
    for _ in range(100):
        hi.reference(_t3(48.0), 0.0, 1.0)  # at the ceiling
    assert hi.ref == hi.p_lim
    lo.pi.track(50.0)
    hi.pi.track(50.0)
    for k in range(9):  # the pressure rises through the reference, 0.25 bar a tick
        d = -1.0 + 0.25 * k
        u_lo = lo.step(_p(lo.ref + d), 1.0, 0.0)
        u_hi = hi.step(_p(hi.ref + d), 1.0, 0.0)
    assert hi.limiting == 1 and lo.limiting == 0
    assert u_hi - 50.0 > 3.0 * (u_lo - 50.0) > 0.0
    assert hi.override == 0  # below the override level


def test_pi_opens_on_high_pressure():
    g = _gc()
    g.reference(_t3(35.0), 0.0, 1.0)
    u0 = g.pi.u
    for _ in range(5):
        g.step(_p(g.ref + 5.0), 1.0, 0.0)
    assert g.out > u0
    for _ in range(50):
        g.step(_p(g.ref - 5.0), 1.0, 0.0)
    assert g.out < u0


def test_hp_override_then_comp_stop_and_restart():
    g = _gc(p_gc_max_bar=104.0, p_hp_ovr_bar=107.0, p_hp_stop_bar=109.0, comp_restart_s=60)
    g.reference(_t3(35.0), 0.0, 1.0)
    g.pi.track(20.0)
    t = 0.0
    g.step(_p(109.0), 1.0, t)
    assert g.override == 1 and g.comp_stop == 0
    assert abs(g.out - 30.0) < 1e-9  # driven open at the rate limit (10 %/s)
    t += 1.0
    g.step(_p(114.0), 1.0, t)
    assert g.comp_stop == 1 and g.stops == 1
    t += 1.0
    g.step(_p(107.0), 1.0, t)  # still override (hysteresis 2 bar)
    assert g.override == 1
    t += 1.0
    g.step(_p(100.0), 1.0, t)
    assert g.override == 0 and g.comp_stop == 1
    while t < 61.0:
        t += 1.0
        g.step(_p(100.0), 1.0, t)
    assert g.comp_stop == 1
    t += 2.0
    g.step(_p(100.0), 1.0, t)
    assert g.comp_stop == 0


def test_rate_fault_keeps_hp_protection():
    # p_gc invalid (its sample rose too fast): the protections act on p_prot
    g = _gc()
    g.reference(_t3(35.0), 0.0, 1.0)
    g.pi.track(20.0)
    u = g.step(_p(95.0, 0, F_RATE, 108.0), 1.0, 0.0)
    assert g.fallback == 1 and g.override == 1 and abs(u - 30.0) < 1e-9
    u = g.step(_p(95.0, 0, F_RATE, 110.0), 1.0, 1.0)
    assert g.comp_stop == 1 and abs(u - 40.0) < 1e-9
    # a low last good value and no rise: the fixed fallback opening
    g2 = _gc(hpev_fail_pct=40.0)
    g2.reference(_t3(35.0), 0.0, 1.0)
    assert g2.step(_p(90.0, 0), 1.0, 0.0) == 40.0 and g2.override == 0


def test_hp_switch_forces_override():
    g = _gc()
    g.reference(_t3(35.0), 0.0, 1.0)
    g.pi.track(20.0)
    g.step(_p(90.0, hp_ok=0), 1.0, 0.0)
    assert g.override == 1 and abs(g.out - 30.0) < 1e-9
    g.step(_p(float("nan"), 0, wired=0, hp_ok=0), 1.0, 1.0)  # with p_gc unknown too
    assert g.override == 1 and abs(g.out - 40.0) < 1e-9
    g.step(_p(90.0), 1.0, 2.0)
    assert g.override == 0


def test_p_gc_invalid_fixed_opening():
    g = _gc(hpev_fail_pct=40.0)
    g.reference(_t3(35.0), 0.0, 1.0)
    assert g.step(_p(float("nan"), 0, wired=0), 1.0, 0.0) == 40.0
    assert g.fallback == 1
    u = g.step(_p(g.ref), 1.0, 1.0)  # sensor back: continues from 40 %
    assert abs(u - 40.0) < 1.0 and g.fallback == 0


def _at_ceiling():
    g = _gc()
    for _ in range(100):
        g.reference(_t3(48.0), 0.0, 1.0)  # the reference at the ceiling p_lim
    g.pi.track(50.0)
    return g


def test_limiter_leads_a_rising_pressure():
    # p_gc follows the reference up to the ceiling at 0.5 bar/s, still below p_lim:
    # the limiter acts on the pressure 3 s ahead, so the HPEV opens before p_lim
    g = _at_ceiling()
    p = g.p_lim - 3.0
    for _ in range(5):
        g.step(_p(p), 1.0, 0.0)
        p += 0.5
    assert p - 0.5 < g.p_lim and g.limiting == 1
    assert g.out > 60.0
    # steady just below the ceiling: no rate, no limiter, no offset in the PI
    h = _at_ceiling()
    for _ in range(10):
        h.step(_p(h.p_lim - 0.1), 1.0, 0.0)
    assert h.limiting == 0 and h.dpdt == 0.0


def test_comp_stop_leads_a_fast_rise():
    g = _gc()  # stop at 109
    g.reference(_t3(35.0), 0.0, 1.0)
    t = 0.0
    for p in (104.0, 105.5, 107.0, 108.5):  # 1.5 bar/s, the next tick would pass 109
        t += 1.0
        g.step(_p(p), 1.0, t)
    assert g.comp_stop == 1 and g.stops == 1


def test_failed_fans_stop_compressors_below_p_gc_max():
    g = _gc()
    g.reference(_t3(35.0), 0.0, 1.0)
    g.step(_p(104.6, fan_ok=0), 1.0, 1.0)
    assert g.comp_stop == 0
    g.step(_p(104.65, fan_ok=0), 1.0, 2.0)  # fans failed: stop at p_gc_max - 0.3
    assert g.comp_stop == 1 and g.p_stop_early < g.p_max
    # it restarts comp_restart_s after p fell low (the next run meets the same stop)
    t = 2.0
    while t < 70.0:
        t += 1.0
        g.step(_p(50.0, fan_ok=0), 1.0, t, 1)
    assert g.comp_stop == 0


def test_fans_full_and_hpev_open_stop_compressors_below_p_gc_max():
    g = _gc()
    g.reference(_t3(35.0), 0.0, 1.0)
    g.pi.track(60.0)  # the HPEV still has authority: no early stop
    g.step(_p(104.9), 1.0, 1.0, 0, 1)
    assert g.comp_stop == 0
    g.pi.track(100.0)  # fully open and the fans at full speed: nothing else is left
    g.step(_p(104.9), 1.0, 2.0, 0, 1)
    assert g.comp_stop == 1
    h = _gc()
    h.reference(_t3(35.0), 0.0, 1.0)
    h.pi.track(100.0)  # fans not at full speed: the normal ladder (109)
    h.step(_p(104.9), 1.0, 1.0, 0, 0)
    assert h.comp_stop == 0


def test_gc_bypass_keeps_reference_at_hr_max():
    # T3 of 45 degC behind an open GC bypass would ask for the ceiling; the reference
    # stays at p_hr_max instead
    g = _gc(p_hr_max_bar=95.0)
    for _ in range(100):
        g.reference(_t3(45.0), 1.0, 1.0, 1)
    assert abs(g.ref - 95.0) < 1e-9 and g.raise_bar == 0.0
    h = _gc(p_hr_max_bar=95.0)
    for _ in range(100):
        h.reference(_t3(45.0), 1.0, 1.0, 0)
    assert h.ref == h.p_lim


def _still(g, p_gc, p_rec, t, still=1):
    return g.step(_p(p_gc, p_rec=p_rec if p_rec >= 0.0 else None), 1.0, t, still)


def test_standing_still_no_backflow_from_the_receiver():
    # -25 degC: the stopped gas cooler cools below the receiver pressure. The restart
    # opening is held while p_gc is not more than 0.5 bar below p_rec (an ordinary
    # standstill only equalises them); further below the HPEV shuts (the receiver
    # would drain backwards), and it opens again 2 bar above p_rec.
    g = _gc(hpev_fail_pct=40.0)
    g.reference(_t3(-20.0), 0.0, 1.0)
    assert _still(g, 40.0, 35.0, 0.0) == 40.0 and g.no_back == 0
    assert _still(g, 34.6, 35.0, 0.5) == 40.0 and g.no_back == 0  # equalising
    assert _still(g, 34.4, 35.0, 1.0) == 0.0 and g.no_back == 1
    assert _still(g, 20.0, 35.0, 2.0) == 0.0
    assert _still(g, 36.5, 35.0, 3.0) == 0.0  # within the 2 bar hysteresis
    assert _still(g, 37.5, 35.0, 4.0) == 40.0 and g.no_back == 0  # restart opening again
    # p_rec unknown: the rule is off, the restart opening holds
    assert _still(g, 20.0, -1.0, 5.0) == 40.0 and g.no_back == 0


def test_no_backflow_while_running_and_resuming_from_shut():
    # a restart from a cold, low high side: the PI alone would sit at hpev_min_pct with
    # p_gc below p_rec; the valve stays shut until p_gc is 2 bar above p_rec, then the
    # PI resumes from the restart opening (no compressing against a shut valve on)
    g = _gc(hpev_fail_pct=40.0, hpev_min_pct=5.0)
    g.reference(_t3(-20.0), 0.0, 1.0)
    g.pi.track(5.0)
    assert _still(g, 25.0, 35.0, 0.0, still=0) == 0.0 and g.no_back == 1
    assert _still(g, 36.5, 35.0, 1.0, still=0) == 0.0
    u = _still(g, 37.5, 35.0, 2.0, still=0)
    assert g.no_back == 0 and 35.0 < u <= 40.0, u


def test_hp_override_beats_the_no_backflow_rule():
    g = _gc(hpev_fail_pct=40.0)
    g.reference(_t3(-20.0), 0.0, 1.0)
    _still(g, 20.0, 35.0, 0.0)
    assert g.no_back == 1
    u = g.step(_p(20.0, hp_ok=0, p_rec=35.0), 1.0, 1.0, 1)  # HP switch open
    assert g.override == 1 and g.no_back == 0 and u > 0.0


def test_low_ambient_bypass_holds_the_reference_at_its_floor():
    # bypass open: T3 is hot gas that missed the coil (it would read transcritical)
    g = _gc()
    g.reference(_t3(-20.0), 0.0, 1.0)
    p_floor = g.ref
    for _ in range(30):
        g.reference(_t3(66.0), 0.0, 1.0, 0, 1)
    assert g.ref == p_floor and g.regime == REG_SUB
    g.reference(_t3(66.0, 0), 0.0, 1.0, 0, 1)  # a T3 rate fault meanwhile: no fallback
    assert g.ref == p_floor and g.t3_fallback == 0
    g.reference(_t3(66.0), 0.0, 1.0, 0, 0)  # closed: T3 counts again
    assert g.ref > p_floor and g.regime == REG_TC


def test_protection_pressure_while_p_gc_is_invalid():
    # the protections use the last good value, or the newer sample when it is higher and
    # only failed the rate or stuck check; a lower sample or a hard fault changes nothing
    from co2hr.signals import F_STUCK

    for fault, sample, p_prot in ((F_RATE, 108.0, 108.0), (F_RATE, 80.0, 95.0),
                                  (F_STUCK, 101.0, 101.0), (F_OPEN, 120.0, 95.0)):
        g = _gc()
        g.reference(_t3(35.0), 0.0, 1.0)
        g.step(_p(95.0, 0, fault, sample), 1.0, 0.0)
        assert g.p_prot == p_prot and g.fallback == 1, (fault, sample, g.p_prot)
    g = _gc()
    g.step(_p(float("nan"), 0, wired=0), 1.0, 0.0)  # not wired: unknown
    assert g.p_prot < 0.0 and g.override == 0
