# Health registers: what tells a technician that a board is struggling (tick overruns,
# the longest tick, heap, why it last reset, how often it booted), read as raw FC 4
# frames from the real firmware.
import gc

from modbus_fixture import BOARD, BusHw, addr, h, req

from co2hr.boot import build


class SlowBusHw(BusHw):
    """A board whose terminal read takes read_ms on its clock (a slow sensor bus), and
    whose last reset was by the watchdog."""

    def __init__(self):
        super().__init__()
        self.read_ms = 0

    def read(self, raw, ok):
        super().read(raw, ok)
        self.now += self.read_ms

    def reset_cause(self):
        return "wdt"


def u32(app, name):
    r = h(req(app, "04 %04x 0002" % addr("input", name)))
    assert r[:2] == b"\x04\x04"
    return (r[2] << 24) | (r[3] << 16) | (r[4] << 8) | r[5]


def test_overruns_and_the_longest_tick():
    hw = SlowBusHw()
    app = build(hw, BOARD)
    assert u32(app, "tick_overruns") == 0 and u32(app, "tick_max_ms") == 0
    hw.read_ms = 250
    app.service()
    assert u32(app, "tick_max_ms") == 250
    hw.now = 1000
    hw.read_ms = 1400  # a tick longer than the period: one overrun
    app.service()
    assert u32(app, "tick_max_ms") == 1400
    assert u32(app, "tick_overruns") == 1
    hw.read_ms = 10
    hw.now = 5000  # the slots at 2, 3 and 4 s missed meanwhile
    app.service()
    assert u32(app, "tick_overruns") == 1 + 3
    assert u32(app, "tick_max_ms") == 1400  # the longest since boot
    assert u32(app, "tick_overruns") == app.overruns


def test_reset_cause_and_boot_count():
    hw = SlowBusHw()
    app = build(hw, BOARD)
    assert u32(app, "reset_cause") == 3  # watchdog
    assert u32(app, "boot_count") == 0
    app.boot_count = 70000  # set by boot from the store: a u32, high word first
    assert u32(app, "boot_count") == 70000
    app2 = build(BusHw(), BOARD)
    assert u32(app2, "reset_cause") == 0  # unknown


def test_heap_figures_are_sampled_not_walked_on_every_read():
    hw = BusHw()
    app = build(hw, BOARD)
    if not hasattr(gc, "mem_free"):  # CPython: no heap figures
        assert u32(app, "heap_free_bytes") == 0 and u32(app, "heap_used_bytes") == 0
        return
    # (no gc.collect() here: the mpy target's interpreter must not collect while a
    # test's frames are live; its heap is sized so that it never has to)
    free = u32(app, "heap_free_bytes")
    used = u32(app, "heap_used_bytes")
    assert free > 0 and used > 0
    total = gc.mem_free() + gc.mem_alloc()
    assert abs(free + used - total) < total // 20
    junk = [bytearray(1000) for _ in range(20)]  # 20 KB more in use ...
    assert u32(app, "heap_used_bytes") == used  # ... not seen until the next sample
    hw.now += 10 * 1000
    assert u32(app, "heap_used_bytes") >= used + 19000
    assert u32(app, "heap_free_bytes") <= free - 19000
    assert len(junk) == 20
