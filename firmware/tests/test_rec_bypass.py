# Low-ambient GC bypass for the receiver pressure (co2hr.receiver.RecBypass): opening
# conditions and delay, closing with hysteresis, blocking by the safeties, hold time.
from co2hr.receiver import HOLD_S, RecBypass
from co2hr.settings import Settings


def _rb(**kw):
    s = Settings()
    for k in kw:
        s.set(k, kw[k])
    b = RecBypass()
    b.configure(s, s.get("p_rec_sp_bar"))
    return b


def _run(b, p_rec, t0, n, bev=0.0, sub=1, fans_off=1, blocked=0, p_ok=1):
    for k in range(n):
        b.step(p_rec, p_ok, bev, sub, fans_off, blocked, t0 + k)
    return b.open


def test_opens_after_the_delay_and_closes_near_the_setpoint():
    b = _rb(p_rec_sp_bar=35, gcb_rec_dp_bar=3, gcb_rec_delay_s=60)
    assert _run(b, 31.0, 0.0, 60) == 0  # below 32 bar, but not yet 60 s
    assert _run(b, 31.0, 60.0, 1) == 1
    assert _run(b, 33.5, 61.0, 10) == 1  # hysteresis: still below 34 bar
    assert _run(b, 34.2, 71.0, 1) == 0
    assert b.hold == 1  # the coil outlet still mixes for HOLD_S
    _run(b, 34.2, 72.0 + HOLD_S, 1)
    assert b.hold == 0


def test_a_broken_condition_restarts_the_delay():
    b = _rb(p_rec_sp_bar=35, gcb_rec_dp_bar=3, gcb_rec_delay_s=60)
    _run(b, 31.0, 0.0, 50)
    _run(b, 32.5, 50.0, 1)  # back above sp - dp for a tick
    assert _run(b, 31.0, 51.0, 59) == 0
    assert _run(b, 31.0, 110.0, 2) == 1


def test_needs_fans_stopped_bev_shut_and_subcritical():
    for kw in ({"fans_off": 0}, {"bev": 5.0}, {"sub": 0}):
        b = _rb(gcb_rec_delay_s=10)
        assert _run(b, 25.0, 0.0, 100, **kw) == 0, kw
    b = _rb(gcb_rec_delay_s=10)
    assert _run(b, 25.0, 0.0, 100, bev=0.5) == 1  # "shut" includes a residual 0.5 %


def test_once_open_fans_and_regime_do_not_close_it():
    # while open the fans are held and T3 is bypassed gas: they are no close reason
    b = _rb(gcb_rec_delay_s=10)
    assert _run(b, 30.0, 0.0, 11) == 1
    assert _run(b, 30.0, 11.0, 5, fans_off=0, sub=0, bev=20.0) == 1


def test_safeties_and_p_rec_invalid_close_it_and_the_delay_runs_again():
    for kw in ({"blocked": 1}, {"p_ok": 0}):
        b = _rb(gcb_rec_delay_s=10)
        assert _run(b, 30.0, 0.0, 11) == 1
        assert _run(b, 30.0, 11.0, 1, **kw) == 0, kw
        assert _run(b, 30.0, 12.0, 10) == 0  # the delay starts over
        assert _run(b, 30.0, 22.0, 1) == 1


def test_off_when_dp_is_zero():
    b = _rb(gcb_rec_dp_bar=0, gcb_rec_delay_s=0)
    assert _run(b, 20.0, 0.0, 100) == 0
