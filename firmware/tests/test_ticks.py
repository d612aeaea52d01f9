# Wrap-safe tick arithmetic (runs under CPython and MicroPython).
from co2hr.ticks import TICKS_MAX, TICKS_PERIOD, ticks_add, ticks_diff


def test_diff_across_wrap():
    a = TICKS_MAX - 5
    b = ticks_add(a, 10)
    assert b == 4
    assert ticks_diff(b, a) == 10
    assert ticks_diff(a, b) == -10


def test_add_wraps_into_range():
    for t in (0, 1, TICKS_MAX, TICKS_PERIOD // 2):
        for d in (0, 1, 1000, TICKS_PERIOD - 1):
            r = ticks_add(t, d)
            assert 0 <= r <= TICKS_MAX
            assert ticks_diff(r, t) == (d if d < TICKS_PERIOD // 2 else d - TICKS_PERIOD)
