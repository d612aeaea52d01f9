# Service unlock: settings are writable over Modbus only for unlock_timeout_s after
# the code (registers.UNLOCK_CODE) was written to the unlock register, so a stray
# BMS write cannot move a pressure limit. Time is the App's clock (virtual on the
# simulators), compared wrap-safely.
from co2hr.ticks import ticks_add, ticks_diff


class Unlock:
    def __init__(self, clock_ms, settings, timeout_index):
        self.clock_ms = clock_ms
        self.settings = settings
        self.ti = timeout_index
        self.active = False
        self.until = 0

    def open(self):
        self.until = ticks_add(self.clock_ms(), int(self.settings.values[self.ti]) * 1000)
        self.active = True

    def close(self):
        self.active = False

    def is_open(self):
        if self.active and ticks_diff(self.until, self.clock_ms()) <= 0:
            self.active = False
        return self.active

    def seconds_left(self):
        if not self.is_open():
            return 0
        return (ticks_diff(self.until, self.clock_ms()) + 999) // 1000
