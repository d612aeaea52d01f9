"""The quiet gate's verdict against the rule it implements, written out directly: a whole
window since the last discrete change, and every value's envelope over the window's
buckets within its band (rig.hil.quiet keeps the closed buckets' envelope between
steps; this recomputes it from the raw observations every time)."""

from __future__ import annotations

from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from rig.hil.quiet import BANDS, BUCKET_S, N_ANALOG, WINDOW_BUCKETS, QuietGate

N_OUT = 8  # analogue outputs first, then discrete ones (as the runner passes them)

_step = st.tuples(
    st.sampled_from([1.0, 1.0, 10.0, 10.0]),  # dt_s
    st.lists(st.floats(-2.0, 2.0), min_size=N_ANALOG + 3, max_size=N_ANALOG + 3),
    st.booleans(),  # a discrete output flips
    st.integers(0, 300),  # an event (0 only; 1 with a flip: a discrete output changes)
)


def _reference(history: list) -> bool:
    """history: (time after the step, values, whether the step restarted the window)."""
    start = max(i for i, h in enumerate(history) if h[2])
    if history[-1][0] - history[start][0] < BUCKET_S * WINDOW_BUCKETS:
        return False
    buckets: list[list] = []
    t_bucket = 0.0
    for t, values, _ in history[start:]:
        if not buckets or t >= t_bucket + BUCKET_S:
            buckets = ([*buckets, [list(values), list(values)]])[-WINDOW_BUCKETS:]
            t_bucket = t
        else:
            lo, hi = buckets[-1]
            for i, v in enumerate(values):
                lo[i], hi[i] = min(lo[i], v), max(hi[i], v)
    return all(max(b[1][i] for b in buckets) - min(b[0][i] for b in buckets) <= band
               for i, band in enumerate(BANDS))


@settings(max_examples=60, deadline=None)
@given(st.lists(_step, min_size=40, max_size=200), st.floats(0.0, 1.5))
def test_the_gate_says_what_the_rule_says(steps, level):
    gate = QuietGate()
    history: list = []
    t, flip, last = 0.0, 0, None
    for dt_s, noise, toggled, ev in steps:
        flip ^= int(toggled and ev == 1)
        values = [90.0 + level * noise[0], 35.0 + 0.3 * noise[1], 28.0 + 0.3 * noise[2]]
        outputs = [40.0 + 3.0 * level * x for x in noise[3:]] + [0.0] * (N_OUT - N_ANALOG)
        outputs[N_ANALOG] = float(flip)
        state = SimpleNamespace(p_gc_bar=values[0], p_rec_bar=values[1],
                                p_suc_bar=values[2], hp_switch_ok=True, relief_open=False)
        plant = SimpleNamespace(state=state, pack=SimpleNamespace(on=True))
        eventful = ev == 0
        t += dt_s
        gate.observe(dt_s, plant, outputs, {"alarm_word_0": 0}, eventful)
        reset = eventful or flip != last
        last = flip
        history.append((t, values + outputs[:N_ANALOG], reset))
        assert gate.ok() == _reference(history)


def _observe(gate: QuietGate, dt_s: float, p_gc_bar: float) -> None:
    state = SimpleNamespace(p_gc_bar=p_gc_bar, p_rec_bar=35.0, p_suc_bar=28.0,
                            hp_switch_ok=True, relief_open=False)
    plant = SimpleNamespace(state=state, pack=SimpleNamespace(on=True))
    gate.observe(dt_s, plant, [40.0] * N_ANALOG + [0.0] * (N_OUT - N_ANALOG), {}, False)


def test_a_swing_in_the_newest_or_an_older_bucket_ends_the_quiet():
    # 240 steps of 1 s: buckets open every 30 s, the window keeps the last six (60-240 s)
    for spike_at, quiet in ((5, True), (100, False), (230, False), (999, True)):
        gate = QuietGate()
        for k in range(240):
            _observe(gate, 1.0, 94.0 if k == spike_at else 90.0)
        assert gate.ok() == quiet, spike_at
