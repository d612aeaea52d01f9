# The application loop: fixed-period tick, overruns counted, watchdog fed only
# after a completed tick, safe outputs before the first tick.
from co2hr.app import App
from co2hr.hal import Hardware
from co2hr.io import N_OUT, SAFE_OUTPUTS
from co2hr.ticks import TICKS_MAX, ticks_add


class ClockHw(Hardware):
    def __init__(self, t0=0):
        self.now = t0
        self.writes = []
        self.fed = 0

    def ticks_ms(self):
        return self.now

    def read(self, raw, ok):
        for i in range(len(ok)):
            ok[i] = 1

    def write(self, out):
        self.writes.append(list(out))

    def feed_watchdog(self):
        self.fed += 1


class CountingControl:
    def __init__(self, fail_at=-1):
        self.steps = 0
        self.fail_at = fail_at

    def step(self, now, raw, ok, out):
        self.steps += 1
        if self.steps == self.fail_at:
            raise ValueError("control failed")
        out[0] = float(self.steps)


def test_safe_outputs_before_first_tick():
    hw = ClockHw()
    App(hw, CountingControl())
    assert hw.writes[0] == list(SAFE_OUTPUTS)
    assert len(hw.writes[0]) == N_OUT


def test_ticks_at_fixed_period():
    hw = ClockHw()
    app = App(hw, CountingControl(), period_ms=1000)
    ran = 0
    for t in range(0, 10000, 100):
        hw.now = t
        if app.service():
            ran += 1
    assert ran == 10
    assert app.ticks == 10 and app.overruns == 0
    assert hw.fed == 10


def test_missed_slots_count_as_overruns():
    hw = ClockHw()
    app = App(hw, CountingControl(), period_ms=1000)
    hw.now = 0
    app.service()
    hw.now = 3500  # slots at 1000, 2000 missed; 3000 runs late
    assert app.service()
    assert app.overruns == 2
    hw.now = 4000
    assert app.service()
    assert app.ticks == 3


def test_period_holds_across_clock_wrap():
    t0 = TICKS_MAX - 2500
    hw = ClockHw(t0)
    app = App(hw, CountingControl(), period_ms=1000)
    ran = 0
    for k in range(0, 6000, 250):
        hw.now = ticks_add(t0, k)
        if app.service():
            ran += 1
    assert ran == 6 and app.overruns == 0


def test_watchdog_not_fed_when_tick_fails():
    hw = ClockHw()
    app = App(hw, CountingControl(fail_at=2), period_ms=1000)
    hw.now = 0
    app.service()
    hw.now = 1000
    try:
        app.service()
        raised = False
    except ValueError:
        raised = True
    assert raised
    assert hw.fed == 1
