# Relay output with minimum on and off times: a contactor or a valve coil must not
# chatter when a control output hovers at its switching point. A request that
# comes too early is held and applied as soon as the minimum time has passed
# (the controller writes every tick). force() bypasses the timers for the safe
# state at boot.
from co2hr.ticks import ticks_diff


class Relay:
    def __init__(self, pin, min_on_s=0, min_off_s=0, active_high=True):
        self.pin = pin
        self.min_on_ms = int(min_on_s * 1000)
        self.min_off_ms = int(min_off_s * 1000)
        self.active_high = active_high
        self.on = 0
        self.changed_ms = None  # when the relay last switched
        self._drive(0)

    def _drive(self, on):
        self.pin(1 if (on != 0) == self.active_high else 0)

    def force(self, on, now_ms):
        self.on = 1 if on else 0
        self.changed_ms = now_ms
        self._drive(self.on)

    def set(self, on, now_ms):
        """Request a state; returns the state the relay is actually in."""
        on = 1 if on else 0
        if on == self.on:
            return on
        if self.changed_ms is not None:
            hold = self.min_on_ms if self.on else self.min_off_ms
            if ticks_diff(now_ms, self.changed_ms) < hold:
                return self.on
        self.force(on, now_ms)
        return on
