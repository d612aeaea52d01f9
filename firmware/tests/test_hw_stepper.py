# The expansion-valve stepper driver (dual: CPython and MicroPython): homing by
# overdrive-close, position in steps, speed and acceleration limits, reversal,
# safe position, late polls never bursting steps, re-homing at the closed end, no
# allocation in poll(). Pins are fakes that record; time is a fake us clock.
import sys

from hwfakes import Clock, FakeMachine, FakePin, FakeValve

from co2hr.hw.board_io import BoardHardware
from co2hr.hw.stepper import Stepper
from co2hr.io import SAFE_OUTPUTS


class Rig:
    def __init__(self, steps=480, max_sps=150, accel=300, enable=True, home_sps=0,
                 poll_us=2000):
        self.step = FakePin(25)
        self.dir = FakePin(26)
        self.en = FakePin(8) if enable else None
        self.clk = Clock()
        self.s = Stepper(self.step, self.dir, steps, max_sps, accel, self.clk.us,
                         enable=self.en, overdrive_pct=10, home_sps=home_sps,
                         poll_us=poll_us)
        self.step_times = []
        self.s.poll()

    @property
    def t(self):
        return self.clk.t

    def run(self, ms, every=2):
        end = self.clk.t + ms
        while self.clk.t < end:
            self.clk.t += every
            if self.s.poll():
                self.step_times.append(self.clk.t)

    def until_still(self, limit_ms=60000):
        end = self.clk.t + limit_ms
        while self.clk.t < end:
            self.run(2)
            if not self.s.moving():
                self.run(4)
                return
        raise AssertionError("still moving")


def test_homing_overdrives_closed_then_counts_from_zero():
    r = Rig()
    s = r.s
    s.home()
    s.set_pct(50.0)  # requested during homing: applied afterwards
    assert not s.homed and s.homing
    r.run(2)
    assert r.dir.level == 0 and r.en.level == 0  # closing, driver enabled (active low)
    while s.homing:
        r.run(2)
    assert s.homed and s.pos == 0 and s.homings == 1
    assert s.steps_sent == 480 + 48  # full travel plus 10 % overdrive
    r.step_times = []
    r.until_still()
    assert s.pos == 240 and s.pct() == 50.0
    assert r.dir.level == 1  # opening
    assert r.en.level == 1  # released when standing


def test_speed_and_acceleration_limits():
    r = Rig(max_sps=150, accel=300)
    s = r.s
    s.set_pct(100.0)
    r.until_still()
    assert s.pos == 480
    gaps = [b - a for a, b in zip(r.step_times, r.step_times[1:])]
    assert min(gaps) == 8  # 150 steps/s: 6.67 ms, rounded up to the 2 ms poll grid
    assert gaps[0] > 3 * min(gaps)  # starts slow: accelerating
    assert gaps[-1] > 3 * min(gaps)  # ends slow: decelerating into the target
    # the whole move: 480 steps at 125 steps/s (the 2 ms grid) with ~0.4 s ramps
    duration = r.step_times[-1] - r.step_times[0]
    assert 3840 <= duration <= 4600, duration


def test_top_speed_on_a_fine_poll_grid():
    r = Rig(max_sps=150, accel=300, poll_us=250)
    r.s.set_pct(100.0)
    r.clk.t_us += 1
    while r.s.moving():
        r.clk.t_us += 250  # a 4 kHz poll: the spacing lands within 0.25 ms of 1/150 s
        if r.s.poll():
            r.step_times.append(r.clk.t_us)
    gaps = [b - a for a, b in zip(r.step_times, r.step_times[1:])]
    assert 6667 <= min(gaps) <= 6667 + 250, min(gaps)


def test_homing_keeps_to_its_own_speed():
    r = Rig(max_sps=150, home_sps=50)
    s = r.s
    s.home()
    while s.homing:
        r.run(2)
    gaps = [b - a for a, b in zip(r.step_times, r.step_times[1:])]
    assert len(gaps) == 480 + 48 - 1 and min(gaps) >= 20  # 50 steps/s
    s.set_pct(100.0)
    r.step_times = []
    r.until_still()
    gaps = [b - a for a, b in zip(r.step_times, r.step_times[1:])]
    assert min(gaps) == 8  # and then the full speed again


def test_reversal_decelerates_then_turns_round():
    r = Rig(enable=False)
    s = r.s
    s.set_pct(100.0)
    r.run(1500)  # well under way, opening
    assert s.dir == 1 and s.v > 0
    p = s.pos
    s.set_pct(0.0)
    r.run(20)
    assert s.pos >= p  # still going the old way while braking
    r.until_still()
    assert s.pos == 0
    assert r.dir.history[-1] == 0


def test_safe_position_and_clamping():
    r = Rig()
    s = r.s
    s.set_pct(80.0)
    r.until_still()
    s.safe(30.0)
    r.until_still()
    assert s.pos == 144  # 30 % of 480
    s.set_pct(-5.0)
    assert s.cmd == 0
    s.set_pct(500.0)
    assert s.cmd == 480


def test_late_polls_slow_it_down_but_never_burst():
    r = Rig()
    s = r.s
    s.set_pct(100.0)
    r.run(2000)
    before = s.steps_sent
    r.clk.t += 500  # the loop was busy for half a second
    assert s.poll() in (True, False)
    assert s.steps_sent - before <= 1
    r.run(200, every=40)  # slow polling: at most one step per poll
    assert s.steps_sent - before <= 6


def test_never_steps_past_the_travel():
    r = Rig()
    s = r.s
    s.set_pct(100.0)
    r.until_still()
    s.cmd = 600  # a bad command beyond the end stop is not followed
    r.run(1000)
    assert s.pos == 480


def test_rehomes_at_the_closed_end_once_per_interval():
    r = Rig()
    s = r.s
    s.home()
    r.until_still()
    assert s.homings == 1
    s.set_pct(0.0)
    r.until_still()
    assert not s.maintain(r.clk(), 1)  # the first tick that sees the homing: age 0
    for _ in range(3599):  # an hour standing closed, one tick a second
        r.clk.t += 1000
        assert not s.maintain(r.clk(), 1)
    r.clk.t += 1000
    sent = s.steps_sent
    assert s.maintain(r.clk(), 1)  # an hour old, standing closed: re-home
    assert not s.maintain(r.clk(), 1)  # asked for once
    r.run(4)
    assert s.homing and s.homed  # the zero from before is still good meanwhile
    assert r.dir.level == 0  # closing
    r.until_still()
    assert s.homings == 2 and s.pos == 0 and s.steps_sent - sent == 48  # the overdrive
    for _ in range(3600):  # the interval counts from this homing
        r.clk.t += 1000
        assert not s.maintain(r.clk(), 1)
    r.clk.t += 1000
    assert s.maintain(r.clk(), 1)


def test_rehome_waits_for_the_closed_end_and_can_be_off():
    r = Rig()
    s = r.s
    s.home()
    s.set_pct(40.0)
    r.until_still()
    for _ in range(7300):  # two hours open: no re-home, however old the zero
        r.clk.t += 1000
        assert not s.maintain(r.clk(), 1)
    assert not s.maintain(r.clk(), 0)
    s.set_pct(0.0)
    s.maintain(r.clk(), 1)
    assert not s.homing  # still on its way closed
    r.until_still()
    assert not s.maintain(r.clk(), 0)  # 0: off
    assert s.maintain(r.clk(), 1)  # closed, zero two hours old: now
    r.run(4)
    assert s.homing
    s.set_pct(60.0)  # asked to open while re-homing: after the overdrive
    r.until_still()
    assert s.homings == 2 and s.pos == 288


def test_rehome_asked_for_then_opened_at_once_is_dropped():
    r = Rig()
    s = r.s
    s.home()
    r.until_still()
    s.set_pct(0.0)
    r.until_still()
    s.maintain(r.clk(), 1)
    r.clk.t += 3600 * 1000
    assert s.maintain(r.clk(), 1)
    s.set_pct(20.0)  # before the timer took the request
    r.until_still()
    assert s.homings == 1 and s.pos == 96  # opened, not re-homed


class LevelPin:
    """A pin that keeps its level and counts rising edges, storing nothing new."""

    def __init__(self):
        self.level = 0
        self.rises = 0

    def __call__(self, v):
        if v and not self.level:
            self.rises += 1
        self.level = v


def test_poll_allocates_nothing():
    # The timer path must not touch the heap: MicroPython's heap lock turns any
    # allocation inside poll() into a MemoryError. (CPython has no heap lock: its
    # ints are objects; there the run checks only that the moves complete.)
    import micropython

    lock = getattr(micropython, "heap_lock", None)
    unlock = getattr(micropython, "heap_unlock", None)
    clk = Clock()
    pins = [LevelPin(), LevelPin(), LevelPin()]
    s = Stepper(pins[0], pins[1], 480, 150, 300, clk.us, enable=pins[2])
    s.home()
    poll = s.poll
    failed = 0
    for pct in (70.0, 10.0, 55.0, 0.0):
        s.set_pct(pct)
        n = 0
        while n < 3000:
            clk.t_us += 2000 if n % 50 else 17000  # a GC pause now and then
            if lock is not None:
                lock()
            try:
                poll()
            except MemoryError:
                failed += 1
            if unlock is not None:
                unlock()
            n += 1
    assert failed == 0, failed
    assert s.homed and s.pos == 0 and not s.moving()
    assert pins[0].rises == s.steps_sent > 528 + 480
    if sys.implementation.name == "micropython":
        assert lock is not None


# --- on a board: a timer that comes late --------------------------------------------
# BoardHardware on a fake machine whose step/dir/enable pins drive a FakeValve (the
# driver chip and the valve with its end stops). The timer's callbacks come after
# gaps taken from a schedule: the regular 2 ms, GC pauses of 14-20 ms once a tick,
# long ticks, back-to-back callbacks after a stall, 0-30 ms at random. Whatever the
# schedule: no two step pulses closer than 1/max_sps, speed changes within the
# acceleration limit, and the count equals the valve's real position.
MAX_SPS = 150
ACCEL = 300
TRAVEL = 480
VALVE_BOARD = {
    "name": "valve", "mcu": "rp2040",
    "outputs": {"hpev_pct": {"kind": "stepper", "step": 6, "dir": 7, "enable": 8,
                             "steps": TRAVEL, "max_sps": MAX_SPS, "accel_sps2": ACCEL,
                             "overdrive_pct": 10}},
}
US_WRAP = 1 << 30


class Bench:
    """A board with the valve on it, and a timer whose callbacks follow `gaps` (us,
    cycled). write() is the control tick's output write (once a second)."""

    def __init__(self, gaps, t0_us=0, valve_pos=300, edge_delay=None):
        self.clk = Clock()
        self.clk.t_us = t0_us
        self.m = FakeMachine(clock=self.clk)
        self.hw = BoardHardware(VALVE_BOARD, machine=self.m, clock=self.clk,
                                clock_us=self.clk.us, timer=False)
        self.st = self.hw.out_drv[0]
        self.valve = FakeValve(self.clk, self.m.pins[6], self.m.pins[7], self.m.pins[8],
                               travel=TRAVEL, pos=valve_pos,
                               min_gap_us=(1000000 + MAX_SPS - 1) // MAX_SPS)
        self.valve.edge_delay = edge_delay
        self.gaps = gaps
        self.k = 0
        self.out = list(SAFE_OUTPUTS)
        self.next_tick_us = t0_us

    def command(self, pct):
        self.out[0] = pct
        self.hw.write(self.out)

    def run(self, ms):
        c = self.clk
        end = c.t_us + ms * 1000
        gaps = self.gaps
        n = len(gaps)
        while c.t_us < end:
            c.t_us += gaps[self.k % n]
            self.k += 1
            self.hw.poll(c())
            if c.t_us >= self.next_tick_us:
                self.next_tick_us += 1000000
                self.hw.write(self.out)

    def until_still(self, limit_ms=120000):  # a timer late all the time: 20 steps/s
        for _ in range(limit_ms // 50):
            self.run(50)
            if not self.st.moving() and not self.st.homing:
                return
        raise AssertionError("still moving")


POLL_US = 2000  # the board's timer period: pulses go out on its grid


def check_pulses(valve, max_sps=MAX_SPS, accel=ACCEL):
    """Pulse spacing and speed changes, from the edge times the valve saw. A pulse
    goes out at the first poll after it is due, so an interval can come up to one
    poll period long: the speed of the next may exceed the previous one's by what
    `accel` gives over the interval, counting the previous as that much shorter."""
    r = valve.rises
    assert len(r) > 100, len(r)
    vs = (2.0 * accel) ** 0.5  # the speed a move may start or stop at (one step of a ramp)
    t_min = 1e6 / max_sps
    prev = None
    for k in range(1, len(r)):
        gap = r[k] - r[k - 1]
        assert gap * max_sps >= 1000000, "pulses %d us apart at %d" % (gap, k)
        if prev is not None:
            v_prev = 1e6 / max(prev - POLL_US, t_min)
            v = 1e6 / gap
            assert v <= max(vs, v_prev + accel * gap / 1e6) * 1.01, (k, prev, gap)
        prev = gap


def check_position(b):
    assert b.valve.lost == 0, b.valve.lost
    assert b.st.steps_sent == len(b.valve.rises)
    assert b.st.pos == b.valve.pos, (b.st.pos, b.valve.pos)


def move_about(b):
    """Homing at boot, then full open, a reversal mid-move, a small move, closed."""
    b.until_still()
    check_position(b)
    assert b.st.homed and b.st.pos == 144  # the safe 30 %, applied after homing
    b.command(100.0)
    b.until_still()
    check_position(b)
    b.command(20.0)
    b.run(900)  # well under way, closing
    b.command(70.0)  # turn round before arriving
    b.until_still()
    check_position(b)
    assert b.st.pos == 336
    b.command(68.0)
    b.until_still()
    b.command(0.0)
    b.until_still()
    check_position(b)
    assert b.st.pos == 0
    check_pulses(b.valve)


def lcg_gaps(seed, n, p_late=30, late_max_us=30000):
    """n timer gaps: mostly 2 ms +-0.5, p_late % of them anything from 0 to late_max_us."""
    gaps = []
    x = seed
    for _ in range(n):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        r = x >> 8
        gaps.append(r % (late_max_us + 1) if r % 100 < p_late else 1500 + r % 1001)
    return gaps


def gc_gaps():
    """2 ms, and once a second main.py's gc.collect() holds the timer 14-20 ms."""
    gaps = []
    for pause in (14000, 16000, 18000, 20000):
        gaps += [2000] * 499 + [pause]
    return gaps


def stall_gaps():
    """A long tick (30 ms) after which the queued callbacks run back to back."""
    return [2000] * 40 + [30000] + [0] * 8 + [2000] * 60 + [9000, 0, 0, 14000, 0]


def test_gc_pauses_never_burst_steps():
    move_about(Bench(gc_gaps()))


def test_long_ticks_and_back_to_back_callbacks_never_burst_steps():
    move_about(Bench(stall_gaps()))


def test_random_late_timer_never_bursts_steps():
    for seed in (1, 7):
        move_about(Bench(lcg_gaps(seed, 397)))


def test_pulse_lands_late_after_the_clock_was_read():
    delays = lcg_gaps(3, 101, p_late=20, late_max_us=900)
    k = [0]

    def edge_delay():
        k[0] += 1
        return delays[k[0] % len(delays)] // 10  # 0-90 us, and 150-250 us

    move_about(Bench(lcg_gaps(5, 211), edge_delay=edge_delay))


def test_clock_wrap_during_motion():
    move_about(Bench(gc_gaps(), t0_us=US_WRAP - 3000000))
