# The application loop: a fixed-period control tick, communication polled between
# ticks, the watchdog fed only when a tick completed. service() never blocks, so
# one loop serves a board (real time) and the simulators (virtual time) alike.
from co2hr.io import N_IN, SAFE_OUTPUTS
from co2hr.ticks import ticks_add, ticks_diff

try:
    from gc import mem_alloc  # MicroPython: the heap the tick allocates
except ImportError:  # CPython (the sil target): not measured
    mem_alloc = None  # type: ignore[assignment]


class App:
    def __init__(self, hw, control, period_ms=1000, comms=()):
        self.hw = hw
        self.control = control
        self.period_ms = period_ms
        self.comms = list(comms)  # polled between ticks (Modbus transports, the store)
        self.store = None  # the settings/counters store (boot.build), None: RAM only
        self.modbus = None  # the Modbus server (boot.build; the HIL link's handle_pdu())
        self.clock = None  # the real-time clock and calendar (boot.build: co2hr.clock)
        self.events = None  # the event log (boot.build: co2hr.eventlog)
        self.raw = [0.0] * N_IN
        self.ok = bytearray(N_IN)
        self.out = list(SAFE_OUTPUTS)
        self.ticks = 0
        self.overruns = 0  # control slots missed or ticks that outlasted the period
        self.tick_alloc = 0  # bytes allocated by the last tick (MicroPython)
        self.tick_max_ms = 0  # the longest tick since boot (a health register)
        self.boot_count = 0  # boots counted by the settings store (set at boot)
        self.measure_alloc = False
        hw.write(self.out)  # safe state before the first tick
        self._next = hw.ticks_ms()

    def service(self):
        """One pass of the cooperative loop. Returns True when a tick ran."""
        now = self.hw.ticks_ms()
        late = ticks_diff(now, self._next)
        ran = False
        if late >= 0:
            if late >= self.period_ms:
                missed = late // self.period_ms
                self.overruns += missed
                self._next = ticks_add(self._next, missed * self.period_ms)
            self._next = ticks_add(self._next, self.period_ms)
            self._tick(now)
            ran = True
        for c in self.comms:
            c.poll()
        return ran

    def _tick(self, now):
        hw = self.hw
        a0 = mem_alloc() if (self.measure_alloc and mem_alloc is not None) else 0
        hw.read(self.raw, self.ok)
        self.control.step(now, self.raw, self.ok, self.out)
        hw.write(self.out)
        if a0:
            self.tick_alloc = mem_alloc() - a0
        self.ticks += 1
        took_ms = ticks_diff(hw.ticks_ms(), now)
        if took_ms > self.tick_max_ms:
            self.tick_max_ms = took_ms
        if took_ms > self.period_ms:
            self.overruns += 1
        hw.feed_watchdog()
