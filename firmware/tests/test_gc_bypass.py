# The gas cooler bypass (co2hr.gc_bypass) on its own. Its inputs are the other stages'
# results, so the tests set them on real stage objects as those stages leave them:
# rule 1 (full heat recovery): the demand's request, the heat sink, the HP fan safety
# and the block it leaves; rule 2 (low ambient, receiver pressure): opening conditions
# and delay, closing with hysteresis, blocking by the safeties, hold time.
from co2hr.fans import Fans
from co2hr.gc_bypass import HOLD_S, GcBypass
from co2hr.gc_pressure import REG_SUB, REG_TC, GcPressure
from co2hr.hr_staging import HrStaging
from co2hr.io import AI_P_REC, AO_BEV, AO_FAN, SAFE_OUTPUTS
from co2hr.settings import Settings
from co2hr.signals import Signals


class _Plant:
    """A GcBypass and what it reads: signals (p_rec), the last outputs, the HR staging,
    the pressure loop (at its subcritical floor, p_gc on its reference), the fans."""

    def __init__(self, **kw):
        s = Settings()
        for k in kw:
            s.set(k, kw[k])
        self.b = GcBypass()
        self.b.configure(s, s.get("p_rec_sp_bar"))
        self.sig = Signals({})
        self.prev = list(SAFE_OUTPUTS)
        self.hr = HrStaging()
        self.hr.configure(s)
        self.gc = GcPressure()
        self.gc.configure(s)
        self.gc.regime = REG_SUB
        self.gc.ref = self.gc.p_min
        self.gc.p_prot = self.gc.p_min
        self.fans = Fans()
        self.fans.configure(s, self.gc.p_max)
        self.still = 0

    def step(self, now_s):
        self.b.request(self.hr)
        return self.b.step(self.sig, self.prev, self.hr, self.gc, self.fans, self.still,
                           now_s)


def _run(pl, p_rec, t0, n, bev=0.0, sub=1, fans_off=1, blocked=0, p_ok=1):
    """Rule 2 for n seconds from t0: p_rec (p_ok: valid), the BEV opening, the plant at
    its subcritical floor (sub) or raised, the fans stopped, blocked (compressors still)."""
    pl.sig.value[AI_P_REC] = p_rec
    pl.sig.valid[AI_P_REC] = p_ok
    pl.prev[AO_BEV] = bev
    pl.prev[AO_FAN] = 0.0 if fans_off else 40.0
    pl.gc.regime = REG_SUB if sub else REG_TC
    pl.gc.ref = pl.gc.p_min if sub else 90.0
    pl.gc.p_prot = pl.gc.ref
    pl.still = blocked
    for k in range(n):
        pl.step(t0 + k)
    return pl.b.rec_open


def test_opens_after_the_delay_and_closes_near_the_setpoint():
    b = _Plant(p_rec_sp_bar=35, gcb_rec_dp_bar=3, gcb_rec_delay_s=60)
    assert _run(b, 31.0, 0.0, 60) == 0  # below 32 bar, but not yet 60 s
    assert _run(b, 31.0, 60.0, 1) == 1 and b.b.out == 1.0
    assert _run(b, 33.5, 61.0, 10) == 1  # hysteresis: still below 34 bar
    assert _run(b, 34.2, 71.0, 1) == 0 and b.b.out == 0.0
    assert b.b.hold == 1  # the coil outlet still mixes for HOLD_S
    _run(b, 34.2, 72.0 + HOLD_S, 1)
    assert b.b.hold == 0


def test_a_broken_condition_restarts_the_delay():
    b = _Plant(p_rec_sp_bar=35, gcb_rec_dp_bar=3, gcb_rec_delay_s=60)
    _run(b, 31.0, 0.0, 50)
    _run(b, 32.5, 50.0, 1)  # back above sp - dp for a tick
    assert _run(b, 31.0, 51.0, 59) == 0
    assert _run(b, 31.0, 110.0, 2) == 1


def test_needs_fans_stopped_bev_shut_and_subcritical():
    for kw in ({"fans_off": 0}, {"bev": 5.0}, {"sub": 0}):
        b = _Plant(gcb_rec_delay_s=10)
        assert _run(b, 25.0, 0.0, 100, **kw) == 0, kw
    b = _Plant(gcb_rec_delay_s=10)
    assert _run(b, 25.0, 0.0, 100, bev=0.5) == 1  # "shut" includes a residual 0.5 %


def test_once_open_fans_and_regime_do_not_close_it():
    # while open the fans are held and T3 is bypassed gas: they are no close reason
    b = _Plant(gcb_rec_delay_s=10)
    assert _run(b, 30.0, 0.0, 11) == 1
    assert _run(b, 30.0, 11.0, 5, fans_off=0, sub=0, bev=20.0) == 1


def test_safeties_and_p_rec_invalid_close_it_and_the_delay_runs_again():
    for kw in ({"blocked": 1}, {"p_ok": 0}):
        b = _Plant(gcb_rec_delay_s=10)
        assert _run(b, 30.0, 0.0, 11) == 1
        assert _run(b, 30.0, 11.0, 1, **kw) == 0, kw
        assert _run(b, 30.0, 12.0, 10) == 0  # the delay starts over
        assert _run(b, 30.0, 22.0, 1) == 1


def _open_then(setup):
    """Rule 2 open, then one tick after setup(plant): the valve."""
    b = _Plant(gcb_rec_delay_s=10)
    assert _run(b, 30.0, 0.0, 11) == 1
    setup(b)
    b.step(11.0)
    return b.b.out


def _set(obj, name, value):
    setattr(obj, name, value)


def test_every_block_closes_rule_2():
    # compressors still (above), HP override, HP stop, the HP fan safety, p_gc more than
    # 10 bar above its reference
    assert _open_then(lambda b: None) == 1.0
    assert _open_then(lambda b: _set(b.gc, "override", 1)) == 0.0
    assert _open_then(lambda b: _set(b.gc, "comp_stop", 1)) == 0.0
    assert _open_then(lambda b: _set(b.fans, "safety", 1)) == 0.0
    assert _open_then(lambda b: _set(b.gc, "p_prot", b.gc.ref + 10.5)) == 0.0
    assert _open_then(lambda b: _set(b.gc, "p_prot", b.gc.ref + 9.5)) == 1.0


def test_off_when_dp_is_zero():
    b = _Plant(gcb_rec_dp_bar=0, gcb_rec_delay_s=0)
    assert _run(b, 20.0, 0.0, 100) == 0


def test_rule_1_needs_the_demand_and_a_heat_sink():
    b = _Plant()
    b.sig.value[AI_P_REC] = 35.0  # rule 2 stays shut
    b.sig.valid[AI_P_REC] = 1
    b.hr.bypass = 1  # demand stage 4, but no heat sink
    assert b.step(0.0) == 0.0 and b.b.hr_want == 0
    b.hr.sink = 1
    assert b.step(1.0) == 1.0 and b.b.hr_open == 1 and b.b.rec_open == 0
    b.hr.bypass = 0  # the demand fell past 9.3 V
    assert b.step(2.0) == 0.0


def test_rule_1_stays_shut_after_the_fan_safety_until_the_demand_falls():
    b = _Plant()
    b.sig.value[AI_P_REC] = 35.0
    b.sig.valid[AI_P_REC] = 1
    b.hr.bypass = 1
    b.hr.sink = 1
    assert b.step(0.0) == 1.0
    b.fans.safety = 1
    assert b.step(1.0) == 0.0 and b.b.hr_block == 1
    b.fans.safety = 0  # the pressure is back, the demand still asks for it: no hunting
    assert b.step(2.0) == 0.0 and b.b.hr_open == 0
    b.hr.bypass = 0  # falling past 9.3 V ends the block ...
    assert b.step(3.0) == 0.0 and b.b.hr_block == 0
    b.hr.bypass = 1  # ... so the next rise past 9.6 V opens it again
    assert b.step(4.0) == 1.0
