# S0 pulse counter (energy meter): counts falling edges in a pin interrupt, with a
# dead time against contact bounce. The handler allocates nothing (small-int
# arithmetic only), so it is safe as a hard IRQ.
from co2hr.ticks import ticks_diff


class PulseCounter:
    def __init__(self, clock, debounce_ms=20):
        """clock() -> ms (time.ticks_ms). Attach with pin.irq(handler=pc.irq)."""
        self.clock = clock
        self.debounce_ms = debounce_ms
        self.count = 0
        self.bounces = 0
        self._last = clock() - debounce_ms - 1
        self.irq = self._edge  # bound once: the IRQ holds this object

    def _edge(self, pin):
        now = self.clock()
        if ticks_diff(now, self._last) <= self.debounce_ms:
            self.bounces += 1
            return
        self._last = now
        self.count += 1
