"""Hypothesis properties of the control firmware (CPython only; the dual tests run the
behaviour examples in MicroPython too).

* every output stays in range, and every status value is finite, for any sequence of
  terminal values (NaN, inf, open/short circuit), read faults, modes and commands;
* the HPEV reference never leaves [p_sat(t_cond_min), p_gc_max];
* staging is monotonic in the demand, with exactly the stated hysteresis;
* no mode change, manual value, fallback or safety makes a % output jump beyond its
  rate limit.
"""

import math

from ctlkit import NOMINAL, Rig, terminals
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rig.fw  # noqa: F401  (firmware importable)
from co2hr import status as S
from co2hr.co2sat import p_sat_bar
from co2hr.gc_pressure import GcPressure
from co2hr.hr_staging import ALLOW_FULL, BYP_OFF_V, BYP_ON_V, OFF_V, ON_V, HrStaging
from co2hr.io import AI_T_GC_OUT, N_IN, N_OUT
from co2hr.settings import Settings
from co2hr.signals import Signals

PROFILE = settings(max_examples=60, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow])

wild = st.floats(allow_nan=True, allow_infinity=True, width=32)
near = st.floats(min_value=-5.0, max_value=5.0)

tick = st.fixed_dictionaries({
    "mode": st.one_of(st.none(), st.integers(0, 4)),
    "noise": st.lists(near, min_size=N_IN, max_size=N_IN),
    "wild": st.lists(st.tuples(st.integers(0, N_IN - 1), wild), max_size=4),
    "bad": st.lists(st.integers(0, N_IN - 1), max_size=3),
    "demand": st.floats(min_value=-1.0, max_value=11.0),
    "cmd": st.one_of(st.none(), st.tuples(st.integers(1, 8), st.floats(-1.0, 100.0))),
    "dt_ms": st.sampled_from([1000, 1000, 1000, 500, 3000]),
})

RATES = {0: "hpev_rate_pct_s", 1: "bev_rate_pct_s", 2: "hrv_rate_pct_s",
         3: "fan_rate_pct_s"}


def _run(ticks, check):
    r = Rig()
    r.settings.set("manual_timeout_s", 10)
    first = True
    for t in ticks:
        dt = 1.0  # the first tick counts as one period
        if not first:
            r.t_ms += t["dt_ms"]
            dt = t["dt_ms"] / 1000.0
        first = False
        if t["mode"] is not None:
            r.settings.set("mode_cmd", t["mode"])
        if t["cmd"] is not None:
            i, v = t["cmd"]
            lo, hi = S.COMMANDS[i][1], S.COMMANDS[i][2]
            r.c.command(i, min(max(v, lo), hi))
        eng = [NOMINAL[k] + (t["noise"][k] if k < 9 else 0.0) for k in range(N_IN)]
        eng[9] = t["demand"]
        raw = terminals(eng)
        for k, x in t["wild"]:
            raw[k] = x
        ok = bytearray([1] * N_IN)
        for k in t["bad"]:
            ok[k] = 0
        prev = list(r.out)
        r.c.step(r.t_ms, raw, ok, r.out)
        check(r, prev, dt)


@PROFILE
@given(st.lists(tick, min_size=1, max_size=40))
def test_outputs_in_range_and_status_finite(ticks):
    def check(r, prev, dt):
        for k in range(5):
            assert 0.0 <= r.out[k] <= 100.0, (k, r.out)
        for k in range(5, N_OUT):
            assert r.out[k] in (0.0, 1.0), (k, r.out)
        for i, x in enumerate(r.c.status):
            assert math.isfinite(x), (S.STATUS[i][0], x)
        for n in r.c.counters:
            assert 0 <= n <= 0xFFFFFFFF

    _run(ticks, check)


@PROFILE
@given(st.lists(tick, min_size=2, max_size=40))
def test_no_output_jumps_beyond_its_rate_limit(ticks):
    def check(r, prev, dt):
        # the controller clamps dt to [0.001, 10] s; rates are per second
        for k, name in RATES.items():
            lim = r.settings.get(name) * dt + 1e-6
            assert abs(r.out[k] - prev[k]) <= lim, (k, prev[k], r.out[k])
        assert abs(r.out[4] - prev[4]) <= 10.0 * dt + 1e-6

    _run(ticks, check)


@PROFILE
@given(st.lists(st.tuples(st.one_of(wild, st.floats(-30.0, 60.0)), st.booleans(),
                          st.floats(-1.0, 2.0), st.sampled_from([0.1, 1.0, 5.0])),
                min_size=1, max_size=60),
       st.floats(60.0, 107.0), st.floats(0.0, 20.0), st.floats(60.0, 107.0),
       st.floats(45.0, 107.0))
def test_reference_never_leaves_limits(seq, p_max, t_cond_min, p_hr_max, p_fail):
    s = Settings()
    p_max = round(p_max, 1)  # the ladder above it on the register's 0.1 bar steps
    s.set_many((("p_gc_max_bar", p_max), ("p_hp_alarm_bar", p_max + 0.5),
                ("p_hp_ovr_bar", p_max + 1.0), ("p_hp_stop_bar", p_max + 2.0)))
    s.set("t_cond_min_c", t_cond_min)
    s.set("p_hr_max_bar", p_hr_max)
    s.set("p_ref_fail_bar", p_fail)
    g = GcPressure()
    g.configure(s)
    lo = p_sat_bar(t_cond_min)
    hi = max(p_max, lo)
    sig = Signals({})
    for t3, ok, frac, dt in seq:
        sig.value[AI_T_GC_OUT] = t3
        sig.valid[AI_T_GC_OUT] = 1 if (ok and t3 == t3) else 0
        ref = g.reference(sig, frac, dt)
        assert lo - 1e-9 <= ref <= hi + 1e-9, (ref, lo, hi)
        assert lo - 1e-9 <= g.p_opt <= hi + 1e-9


@PROFILE
@given(st.lists(st.floats(0.0, 10.0), min_size=1, max_size=80))
def test_staging_hysteresis_exact(demands):
    h = HrStaging()
    h.configure(Settings())
    on = byp = 0
    for d in demands:
        h.staging(d, ALLOW_FULL)
        on = 0 if (on and d < OFF_V) else 1 if (not on and d > ON_V) else on
        byp = 0 if not on else (0 if (byp and d < BYP_OFF_V) else
                                1 if (not byp and d > BYP_ON_V) else byp)
        assert h.on == on and h.bypass == byp, (d, h.on, on, h.bypass, byp)


@PROFILE
@given(st.lists(st.floats(0.0, 10.0), min_size=2, max_size=60))
def test_staging_monotonic_in_demand(demands):
    h = HrStaging()
    h.configure(Settings())
    prev_stage = prev_raise = prev_fan = -1.0
    for d in sorted(demands):  # rising sweep: nothing steps back
        h.staging(d, ALLOW_FULL)
        assert h.stage >= prev_stage and h.raise_frac >= prev_raise
        assert h.fan_reduce >= prev_fan
        prev_stage, prev_raise, prev_fan = h.stage, h.raise_frac, h.fan_reduce
    for d in sorted(demands, reverse=True):  # falling sweep: nothing steps up
        h.staging(d, ALLOW_FULL)
        assert h.stage <= prev_stage and h.raise_frac <= prev_raise
        assert h.fan_reduce <= prev_fan
        prev_stage, prev_raise, prev_fan = h.stage, h.raise_frac, h.fan_reduce
