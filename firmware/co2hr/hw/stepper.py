# Step/dir driver for an electronic expansion valve (Carel E2V, Danfoss ETS and
# the like, through an A4988/DRV8825/TMC driver). The valve has no position
# sensor: the position is the count of steps sent, so at power-up it is driven
# closed against its end stop for the full travel plus an overdrive margin
# (homing), and only then does the count mean anything. Motion keeps within a
# speed and an acceleration limit (an EEV loses steps if pushed harder).
#
# Non-blocking: poll(now_ms) emits at most one step per call and is called from
# a periodic timer (board_io) or from the main loop; a late call only slows the
# valve down, it never bursts steps. Integer arithmetic only (milli-steps/s), so
# no float is boxed and poll() can run from a timer callback.
from micropython import const

from co2hr.ticks import ticks_diff

_STEP_UNIT = const(1000000)  # phase accumulator units per step (msps * ms)
_MAX_DT_MS = const(50)  # a late poll counts as at most this long
_CLOSE = const(0)  # position 0 = fully closed (the homing end stop)


class Stepper:
    def __init__(self, step, dir, steps, max_sps, accel_sps2, enable=None,
                 overdrive_pct=10, home_sps=0, dir_open=1):
        """step, dir, enable: Pin-like callables (pin(v) sets the level).
        steps: full travel; max_sps / accel_sps2: motion limits;
        home_sps: homing speed (default: the max speed)."""
        self.step_pin = step
        self.dir_pin = dir
        self.en_pin = enable
        self.steps = int(steps)
        self.vmax = int(max_sps * 1000)  # milli-steps per second
        self.acc = int(accel_sps2)  # milli-steps per second per millisecond
        self.home_vmax = int((home_sps or max_sps) * 1000)
        self.overdrive = self.steps * int(overdrive_pct) // 100
        self.dir_open = dir_open
        self.pos = 0  # steps from closed
        self.target = 0
        self.v = 0  # milli-steps per second, >= 0
        self.dir = 0  # +1 opening, -1 closing, 0 standing
        self.phase = 0
        self.homed = False
        self.homing = False
        self.want = 0  # position requested while homing
        self.steps_sent = 0
        self._last = None
        step(0)
        dir(0)
        if enable is not None:
            enable(1)  # active-low enable: off until moving

    def home(self):
        """Drive closed for the full travel plus overdrive, then count from 0."""
        self.homed = False
        self.homing = True
        self.pos = self.steps + self.overdrive
        self.target = _CLOSE

    def set_pct(self, pct):
        if pct < 0.0:
            pct = 0.0
        elif pct > 100.0:
            pct = 100.0
        pos = int(pct * self.steps / 100.0 + 0.5)
        if self.homing:
            self.want = pos
        else:
            self.target = pos

    def pct(self):
        return self.pos * 100.0 / self.steps

    def safe(self, pct):
        """Fault: go to the safe position (after homing, if it is still running)."""
        self.set_pct(pct)

    def moving(self):
        return self.pos != self.target or self.v > 0

    def poll(self, now_ms):
        """Advance the motion; returns True when a step was sent."""
        last = self._last
        self._last = now_ms
        if last is None:
            return False
        dt = ticks_diff(now_ms, last)
        if dt <= 0:
            return False
        if dt > _MAX_DT_MS:
            dt = _MAX_DT_MS
        togo = self.target - self.pos
        if self.dir == 0:
            if togo == 0:
                if self.homing:
                    self.homing = False
                    self.homed = True
                    self.pos = _CLOSE  # at the end stop: the count starts here
                    self.target = self.want
                else:
                    self._enable(False)
                return False
            self.dir = 1 if togo > 0 else -1
            self.dir_pin(1 if (self.dir > 0) == (self.dir_open == 1) else 0)
            self._enable(True)
            self.v = 0
            self.phase = 0
        d = self.dir
        dist = togo * d  # steps still to go this way; < 0: the target is now behind
        vs = self.v // 1000
        stop = vs * self.v // (2000 * self.acc)  # steps needed to stop: v^2 / 2a
        vmax = self.home_vmax if self.homing else self.vmax
        if dist <= stop or self.v > vmax:
            self.v -= self.acc * dt
            if self.v <= 0:
                self.v = 0
                if dist <= 0:
                    self.dir = 0  # stopped past the target: turn round next poll
                    return False
        else:
            self.v += self.acc * dt
            if self.v > vmax:
                self.v = vmax
        self.phase += self.v * dt
        if self.phase < _STEP_UNIT:
            return False
        self.phase -= _STEP_UNIT
        if self.phase >= _STEP_UNIT:
            self.phase = _STEP_UNIT - 1  # late poll: never owe a burst of steps
        pos = self.pos + d
        if pos < 0 or pos > (self.steps + self.overdrive if self.homing else self.steps):
            self.v = 0  # never drive past the ends of the travel
            self.dir = 0
            return False
        sp = self.step_pin
        sp(1)
        sp(0)
        self.pos = pos
        self.steps_sent += 1
        if pos == self.target:
            self.v = 0  # arrived at the low end of the deceleration ramp
            self.dir = 0
        return True

    def _enable(self, on):
        if self.en_pin is not None:
            self.en_pin(0 if on else 1)
