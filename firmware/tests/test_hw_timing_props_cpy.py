"""Hypothesis searches over the timing a board's timer and I2C bus can have (CPython
only; the dual tests run fixed schedules of the same checks inside MicroPython too).

* HPEV stepper on BoardHardware: for any schedule of timer gaps (0-30 ms, GC pauses of
  14-20 ms, back-to-back callbacks), any delay between the clock read and the pulse,
  any start time (the us counter wraps) and any sequence of commands interrupting
  each other: no two pulses closer than 1/max_sps, speed changes within the
  acceleration limit, not a step lost by the valve, and the count equal to the
  valve's real position.
* ADS1115 scan: for any schedule of timer gaps and of pauses inside I2C transfers,
  every value the board reports is its own channel's, never the previous conversion.
"""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_hw_board_io import _ads_rig, _check_own_values
from test_hw_stepper import US_WRAP, Bench, check_position, check_pulses, move_about

PROFILE = settings(max_examples=25, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow])

gap_us = st.one_of(st.integers(1500, 2500), st.integers(0, 30000),
                   st.integers(14000, 20000), st.just(0))
gaps = st.lists(gap_us, min_size=1, max_size=60).filter(lambda g: sum(g) >= 1500)
commands = st.lists(st.tuples(st.floats(0.0, 100.0), st.integers(2, 3000)),
                    min_size=1, max_size=8)


def _cycled(values):
    k = [0]

    def nxt():
        k[0] += 1
        return values[k[0] % len(values)]

    return nxt


@PROFILE
@given(gaps=gaps, t0_us=st.integers(0, US_WRAP - 1), valve_pos=st.integers(0, 480),
       edge=st.lists(st.integers(0, 400), min_size=1, max_size=20))
def test_stepper_never_bursts_whatever_the_timer_does(gaps, t0_us, valve_pos, edge):
    move_about(Bench(gaps, t0_us=t0_us, valve_pos=valve_pos, edge_delay=_cycled(edge)))


@PROFILE
@given(gaps=gaps, cmds=commands)
def test_stepper_count_exact_when_commands_cut_moves_short(gaps, cmds):
    b = Bench(gaps)
    b.until_still()
    for pct, ms in cmds:
        b.command(pct)
        b.run(ms)  # often mid-move: braking, overshooting, turning round
    b.until_still()
    check_position(b)
    assert b.st.pos == b.st.cmd
    if len(b.valve.rises) > 100:
        check_pulses(b.valve)


@PROFILE
@given(poll=st.lists(st.integers(0, 30000), min_size=1, max_size=40)
       .filter(lambda g: sum(g) >= 500),
       pauses=st.lists(st.integers(0, 3000), min_size=1, max_size=40),
       t0_us=st.integers(0, US_WRAP - 1))
def test_ads_values_are_always_their_own_channels(poll, pauses, t0_us):
    hw, m, clk = _ads_rig(t0_us=t0_us)
    m.i2c.pause = _cycled(pauses)
    nxt = _cycled(poll)
    _check_own_values(hw, 1500, nxt, clk)
    for chip in m.i2c.devices.values():
        assert chip.early_reads == 0
