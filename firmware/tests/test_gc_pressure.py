# HPEV reference in its three regimes, the HR raise, limits, HP override/stop, fallback.
from co2hr.co2sat import p_sat_bar
from co2hr.gc_pressure import REG_SUB, REG_TC, REG_TRANS, GcPressure, cop_reference_bar
from co2hr.settings import Settings


def _gc(**kw):
    s = Settings()
    for k in kw:
        s.set(k, kw[k])
    g = GcPressure()
    g.configure(s)
    return g


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
    g.reference(15.0, 1, 0.0, 1.0)
    base = g.ref
    assert abs(base - p_sat_bar(15.2)) < 1e-6
    g.reference(15.0, 1, 1.0, 1.0)
    assert abs(g.ref - (base + 1.0)) < 1e-6  # rate-limited
    for _ in range(100):
        g.reference(15.0, 1, 1.0, 1.0)
    assert abs(g.ref - 95.0) < 1e-6
    assert abs(g.raise_bar - (95.0 - base)) < 1e-6
    for _ in range(100):
        g.reference(15.0, 1, 0.5, 1.0)
    assert abs(g.ref - (base + 0.5 * (95.0 - base))) < 1e-6
    for _ in range(100):
        g.reference(48.0, 1, 0.0, 1.0)
    assert g.ref == 100.0  # capped by p_gc_max


def test_t3_invalid_uses_fixed_reference():
    g = _gc(p_ref_fail_bar=85.0)
    g.reference(float("nan"), 0, 0.0, 1.0)
    assert g.ref == 85.0 and g.t3_fallback == 1


def test_pi_opens_on_high_pressure():
    g = _gc()
    g.reference(35.0, 1, 0.0, 1.0)
    u0 = g.pi.u
    for _ in range(5):
        g.step(g.ref + 5.0, 1, 1.0, 0.0)
    assert g.out > u0
    for _ in range(50):
        g.step(g.ref - 5.0, 1, 1.0, 0.0)
    assert g.out < u0


def test_hp_override_then_comp_stop_and_restart():
    g = _gc(p_gc_max_bar=105.0, p_hp_ovr_bar=108.0, p_hp_stop_bar=113.0, comp_restart_s=60)
    g.reference(35.0, 1, 0.0, 1.0)
    g.pi.track(20.0)
    t = 0.0
    g.step(109.0, 1, 1.0, t)
    assert g.override == 1 and g.comp_stop == 0
    assert abs(g.out - 30.0) < 1e-9  # driven open at the rate limit (10 %/s)
    t += 1.0
    g.step(114.0, 1, 1.0, t)
    assert g.comp_stop == 1 and g.stops == 1
    t += 1.0
    g.step(107.0, 1, 1.0, t)  # still override (hysteresis 2 bar)
    assert g.override == 1
    t += 1.0
    g.step(100.0, 1, 1.0, t)
    assert g.override == 0 and g.comp_stop == 1
    while t < 61.0:
        t += 1.0
        g.step(100.0, 1, 1.0, t)
    assert g.comp_stop == 1
    t += 2.0
    g.step(100.0, 1, 1.0, t)
    assert g.comp_stop == 0


def test_p_gc_invalid_fixed_opening():
    g = _gc(hpev_fail_pct=40.0)
    g.reference(35.0, 1, 0.0, 1.0)
    assert g.step(float("nan"), 0, 1.0, 0.0) == 40.0
    assert g.fallback == 1
    u = g.step(g.ref, 1, 1.0, 1.0)  # sensor back: continues from 40 %
    assert abs(u - 40.0) < 1.0 and g.fallback == 0
