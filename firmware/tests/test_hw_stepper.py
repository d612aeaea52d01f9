# The expansion-valve stepper driver (dual: CPython and MicroPython): homing by
# overdrive-close, position in steps, speed and acceleration limits, reversal,
# safe position, late polls never bursting steps. Pins are fakes that record.
from hwfakes import FakePin

from co2hr.hw.stepper import Stepper


class Rig:
    def __init__(self, steps=480, max_sps=150, accel=300, enable=True):
        self.step = FakePin(25)
        self.dir = FakePin(26)
        self.en = FakePin(8) if enable else None
        self.s = Stepper(self.step, self.dir, steps, max_sps, accel, enable=self.en,
                         overdrive_pct=10)
        self.t = 0
        self.step_times = []
        self.s.poll(0)

    def run(self, ms, every=2):
        end = self.t + ms
        while self.t < end:
            self.t += every
            if self.s.poll(self.t):
                self.step_times.append(self.t)

    def until_still(self, limit_ms=60000):
        end = self.t + limit_ms
        while self.t < end:
            self.run(2)
            if not self.s.moving() and not self.s.homing:
                self.run(4)
                return
        raise AssertionError("still moving")


def test_homing_overdrives_closed_then_counts_from_zero():
    r = Rig()
    s = r.s
    s.home()
    s.set_pct(50.0)  # requested during homing: applied afterwards
    assert not s.homed
    r.run(2)
    assert r.dir.level == 0 and r.en.level == 0  # closing, driver enabled (active low)
    while s.homing:
        r.run(2)
    assert s.homed and s.pos == 0
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
    assert min(gaps) >= 6  # 150 steps/s: never closer than 6.67 ms (2 ms poll grid)
    assert gaps[0] > 3 * min(gaps)  # starts slow: accelerating
    assert gaps[-1] > 3 * min(gaps)  # ends slow: decelerating into the target
    # the whole move: 480 steps at <= 150 sps with 0.5 s ramps takes >= 3.2 s
    duration = r.step_times[-1] - r.step_times[0]
    assert 3200 <= duration <= 4300, duration


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
    assert s.target == 0
    s.set_pct(500.0)
    assert s.target == 480


def test_late_polls_slow_it_down_but_never_burst():
    r = Rig()
    s = r.s
    s.set_pct(100.0)
    r.run(2000)
    before = s.steps_sent
    r.t += 500  # the loop was busy for half a second
    assert s.poll(r.t) in (True, False)
    assert s.steps_sent - before <= 1
    r.run(200, every=40)  # slow polling: at most one step per poll
    assert s.steps_sent - before <= 6


def test_never_steps_past_the_travel():
    r = Rig()
    s = r.s
    s.set_pct(100.0)
    r.until_still()
    s.target = 600  # a bad target beyond the end stop is not followed
    r.run(1000)
    assert s.pos == 480
