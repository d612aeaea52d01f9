# Step/dir driver for an electronic expansion valve (Carel E2V, Danfoss ETS and
# the like, through an A4988/DRV8825/TMC driver). The valve has no position
# sensor: the position is the count of steps sent, so at power-up it is driven
# closed against its end stop for the full travel plus an overdrive margin
# (homing), and only then does the count mean anything. Later, each time the valve
# stands closed (commanded 0 %) and the last homing is older than the re-home
# interval, it is driven its overdrive further closed against the stop and counts
# from 0 again (re-homing), so steps lost in service do not add up for ever: the
# drift stays below what one interval loses, if that is under the overdrive. An
# opening asked for meanwhile follows once the overdrive is done (48 steps at the
# homing speed on a 480-step valve: well under a second); `homing` says so.
# Motion keeps within a speed and an acceleration limit (an EEV loses steps if
# pushed harder).
#
# Timing is decided per pulse, from the clock, not from how often poll() runs:
# a pulse goes out only when the time since the previous one (us, stamped after
# its edge) gives a speed within every limit; a late poll therefore only slows the
# valve, and no step is ever owed: nothing is caught up. The limits, for the speed
# v = 1/interval the next pulse would make:
#   v <= v_max                          (the spacing never below 1/max_sps)
#   v <= max(v0, v_ramp + a * interval) (accelerating; v0 = sqrt(2a): one ramp step)
#   v^2 / 2a <= steps left after it     (decelerating into the target)
# where v_ramp is the previous interval's speed, counting that interval up to one
# poll period shorter (a pulse goes out at the first poll after it is due: without
# that credit the ramp would stall on the poll grid). When the target turns out
# closer than the braking distance (or behind), the valve brakes at `a`,
# overshoots, stops and comes back. The position changes by one with each pulse
# written to the pin, and by nothing else.
#
# Contexts: poll() runs in a timer callback; set_pct(), home() and maintain() in
# the main loop, which may be interrupted by poll() between any two bytecodes. So
# the main loop only stores single values (cmd, a request, flags) and poll() alone
# moves the motion state; poll() uses small integers only and never allocates.
#
# No PIO (RP2040) or RMT (ESP32) path: both queue pulses ahead of the CPU, so the
# count would be of pulses queued rather than emitted, a stop or a reversal would
# first have to drain the queue, and neither could be checked here other than
# against a fake built from our own reading of the datasheet. Written from the
# CPU, each pulse is timed and counted when it happens; the control law moves the
# HPEV at most 10 %/s (48 steps/s on a 480-step valve), well within what a 2 ms
# poll gives (125 steps/s at a 150 steps/s limit: the spacing is rounded up to the
# poll grid, never down).
from micropython import const

from co2hr.ticks import ticks_add, ticks_diff

_CLOSE = const(0)  # position 0 = fully closed (the homing end stop)
_IDLE_US = const(10000000)  # a pulse older than this counts as this old (us counter wraps)
_DIR_SETUP_US = const(100)  # DIR/EN before the first STEP (DRV8825: 650 ns)
_REQ_HOME = const(1)  # main loop -> poll(): home from anywhere (full travel)
_REQ_REHOME = const(2)  # ... re-home: closed already, overdrive against the stop only
_S_PER_H = const(3600)


def _stop_steps(v, acc):
    """Steps needed to stop from v (milli-steps/s) at acc (steps/s^2): v^2 / 2a."""
    q = v // 100  # deci-steps/s: v^2 stays a small int up to 500 steps/s
    return q * q // (200 * acc)


def _gain(acc, el_us):
    """Speed gained in el_us at acc, milli-steps/s (a * t, no big intermediate)."""
    return acc * (el_us // 1000) + acc * (el_us % 1000) // 1000


class Stepper:
    def __init__(self, step, dir, steps, max_sps, accel_sps2, clock_us, enable=None,
                 overdrive_pct=10, home_sps=0, dir_open=1, poll_us=2000):
        """step, dir, enable: Pin-like callables (pin(v) sets the level).
        steps: full travel; max_sps / accel_sps2: motion limits;
        home_sps: homing speed (default: the max speed);
        clock_us: () -> microseconds, wrapping at 2**30 (time.ticks_us);
        poll_us: the period poll() is called at (the timing grid of the pulses)."""
        self.step_pin = step
        self.dir_pin = dir
        self.en_pin = enable
        self._clock = clock_us
        self.steps = int(steps)
        self.acc = max(1, int(accel_sps2))
        self.t_min = self._interval_us(max_sps)  # least pulse spacing, us
        self.t_min_home = self._interval_us(home_sps or max_sps)
        self.v0 = self._start_speed()
        self.poll_us = int(poll_us)
        self.overdrive = self.steps * int(overdrive_pct) // 100
        self.dir_open = dir_open
        self.pos = 0  # steps from closed: one per pulse written
        self.cmd = 0  # position asked for (main loop)
        self.target = 0  # where the motion goes now (cmd, or the stop while homing)
        self.v = 0  # speed of the last pulse interval, milli-steps/s
        self.dir = 0  # +1 opening, -1 closing, 0 standing
        self.homed = False  # the count has been zeroed against the stop
        self.homing = False  # homing or re-homing now (or asked for): pos is not cmd
        self.homings = 0  # homings completed
        self.steps_sent = 0
        self._req = 0
        now = clock_us()
        self._last_us = ticks_add(now, -_IDLE_US)  # the last pulse, us (after its edge)
        self._dir_us = now  # when DIR/EN were last set
        self._setup = False  # DIR/EN set, setup time not yet over
        self._en = False
        self._tick_ms = None  # maintain(): time since the last homing
        self._age_ms = 0
        self.age_s = 0
        self._seen = 0
        step(0)
        dir(0)
        if enable is not None:
            enable(1)  # active-low enable: off until moving

    def _interval_us(self, sps):
        """Least pulse spacing for sps, us, rounded up: never closer than 1/sps."""
        vmax = int(sps * 1000)  # milli-steps/s
        return (1000000000 + vmax - 1) // vmax

    def _start_speed(self):
        """The fastest speed that stops within one step: a move starts and ends here."""
        v = int((2.0 * self.acc) ** 0.5 * 1000) + 200
        while _stop_steps(v, self.acc) > 0:
            v -= 1
        return v

    # --- main loop ---------------------------------------------------------------
    def home(self):
        """Drive closed for the full travel plus overdrive, then count from 0. From
        motion, the valve first comes to rest (braking within the limits)."""
        self._req = _REQ_HOME  # first: poll() must not see homing without it
        self.homing = True
        self.homed = False

    def set_pct(self, pct):
        if pct < 0.0:
            pct = 0.0
        elif pct > 100.0:
            pct = 100.0
        self.cmd = int(pct * self.steps / 100.0 + 0.5)

    def pct(self):
        return self.pos * 100.0 / self.steps

    def safe(self, pct):
        """Fault: go to the safe position (after homing, if it is still running)."""
        self.set_pct(pct)

    def moving(self):
        return self.dir != 0 or self.homing or self.pos != self.cmd

    def maintain(self, now_ms, rehome_h):
        """Once per control tick: age the zero, and ask for a re-home when the valve
        stands closed (asked for 0 %) and the last homing is rehome_h hours old
        (0: never). Returns True when a re-home was asked for."""
        last = self._tick_ms
        self._tick_ms = now_ms
        if self._seen != self.homings:  # a homing completed: the zero is new
            self._seen = self.homings
            self._age_ms = 0
            self.age_s = 0
        elif last is not None:
            dt = ticks_diff(now_ms, last)
            if dt > 0:
                self._age_ms += dt
                if self._age_ms >= 1000:
                    self.age_s += self._age_ms // 1000
                    self._age_ms %= 1000
        if (rehome_h <= 0 or self._req or not self.homed or self.homing
                or self.cmd != _CLOSE or self.pos != _CLOSE or self.dir != 0
                or self.age_s < rehome_h * _S_PER_H):
            return False
        self._req = _REQ_REHOME  # poll() sets homing when it starts (still closed)
        return True

    # --- timer context -------------------------------------------------------------
    def poll(self):
        """Emit the next step if it is due now; returns True when a step was sent."""
        now = self._clock()
        el = ticks_diff(now, self._last_us)
        if el > _IDLE_US or el < 0:  # standing a long time: keep the stamp in range
            el = _IDLE_US
            self._last_us = ticks_add(now, -_IDLE_US)
        if self.dir == 0:
            self._stand()
            return False
        if self._setup:
            if 0 <= ticks_diff(now, self._dir_us) < _DIR_SETUP_US:
                return False
            self._setup = False
        return self._move(el)

    def _stand(self):
        """At rest: take a request, finish homing, or start towards the target."""
        req = self._req
        if req:
            self._req = 0
            if req == _REQ_HOME:
                self.pos = self.steps + self.overdrive
                self.homing = True
                self.homed = False
            elif self.pos == _CLOSE and self.cmd == _CLOSE:
                self.pos = self.overdrive  # closed by the count: overdrive from here
                self.homing = True
        if self.homing and self.pos == _CLOSE:  # at the stop: the count starts here
            self.homing = False
            self.homed = True
            self.homings += 1
        self.target = _CLOSE if self.homing else self.cmd
        togo = self.target - self.pos
        if togo == 0:
            if self._en:
                self._enable(False)
            return
        d = 1 if togo > 0 else -1
        self.dir = d
        self.v = 0
        self.dir_pin(1 if (d > 0) == (self.dir_open == 1) else 0)
        self._enable(True)
        self._dir_us = self._clock()  # after the writes: the setup counts from here
        self._setup = True

    def _move(self, el):
        """Moving: step now if the interval el (us) keeps every limit."""
        d = self.dir
        if self._req == _REQ_HOME:
            tgt = self.pos  # come to rest first, then home
        elif self.homing:
            tgt = _CLOSE
        else:
            tgt = self.cmd
        self.target = tgt
        t_min = self.t_min_home if self.homing and not self._req else self.t_min
        if el < t_min:
            return False
        acc = self.acc
        v0 = self.v
        dist = (tgt - self.pos) * d  # steps still to go this way; <= 0: at or behind
        vnew = 1000000000 // el  # the speed this step would make
        ramp = dist > 0 and _stop_steps(v0, acc) <= dist
        if ramp:
            lim = v0 + _gain(acc, el)
            if vnew > lim and vnew > self.v0:
                return False  # too soon: faster than the acceleration allows
            if _stop_steps(vnew, acc) >= dist:
                return False  # too fast to stop at the target
        else:  # brake: arrived, overshooting, or the target came too close
            if _stop_steps(v0, acc) == 0:
                self._halt()  # slow enough to stand (and turn round, if need be)
                return False
            lim = v0 - _gain(acc, el)
            if vnew > lim and vnew > self.v0:
                return False  # braking at the limit: not yet
        pos = self.pos + d
        if pos < _CLOSE or pos > (self.steps + self.overdrive if self.homing else self.steps):
            self._halt()  # never drive past the ends of the travel
            return False
        sp = self.step_pin
        sp(1)
        sp(0)
        t = self._clock()  # after the edge: the next spacing is measured no shorter
        iv = ticks_diff(t, self._last_us)
        self._last_us = t
        self.pos = pos
        self.steps_sent += 1
        if ramp:
            self.v = self._ramp_speed(vnew, lim, iv, t_min, dist - 1)
        else:
            self.v = vnew
        if pos == tgt and _stop_steps(vnew, acc) == 0:
            self._halt()
        return True

    def _ramp_speed(self, vnew, lim, iv, t_min, left):
        """Speed of the ramp after a pulse that came iv us after the previous one.
        The pulse may have been due up to one poll period before it went out (the
        poll grid): the ramp keeps that much credit, never more, so a late poll
        still slows it, and never more than the braking distance left allows."""
        late = iv - self.poll_us
        v = 1000000000 // (late if late > t_min else t_min)
        if v > lim:
            v = lim
        if v > vnew and _stop_steps(v, self.acc) > left:
            v = vnew
        return v

    def _halt(self):
        self.v = 0
        self.dir = 0

    def _enable(self, on):
        self._en = on
        if self.en_pin is not None:
            self.en_pin(0 if on else 1)
