# Wrap-safe millisecond arithmetic, as MicroPython's time.ticks_* do (period 2**30),
# written out so the same code runs on virtual time in the simulator.
from micropython import const

TICKS_PERIOD = const(0x40000000)
TICKS_MAX = const(0x3FFFFFFF)
_HALF = const(0x20000000)


def ticks_add(t, delta_ms):
    return (t + delta_ms) & TICKS_MAX


def ticks_diff(a, b):
    """a - b in ms, correct across one wrap of the counter."""
    return ((a - b + _HALF) & TICKS_MAX) - _HALF
