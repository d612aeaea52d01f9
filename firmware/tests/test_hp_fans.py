# The heat pump's evaporator fans (co2hr.hp_fans): the air-to-evaporating difference
# they hold, what they do standing still or blind, and the quiet hours' cap.
from co2hr.hp_fans import HpFans
from co2hr.settings import Settings


class Clock:
    def __init__(self, hour, valid=1, utc_off_s=0):
        self.sod = hour * 3600
        self.valid = valid
        self.utc_off_s = utc_off_s


def make(**over):
    s = Settings()
    for k in over:
        s.values[s_index(k)] = over[k]
    f = HpFans()
    f.configure(s)  # dt 8 K, least 20 %, quiet 22-06 h at 60 %
    return f


def s_index(name):
    from co2hr.settings import index

    return index(name)


def test_the_quiet_hours_wrap_midnight_in_local_time():
    f = make()
    assert [f.quiet(Clock(h)) for h in (21, 22, 23, 0, 5, 6, 12)] == [0, 1, 1, 1, 1, 0, 0]
    assert f.quiet(Clock(20, utc_off_s=2 * 3600)) == 1  # 22 h local
    assert f.quiet(Clock(23, valid=0)) == 0 and f.quiet(None) == 0
    assert make(hp_quiet_on=0).quiet(Clock(23)) == 0
    g = make(hp_quiet_from_h=1, hp_quiet_to_h=4)
    assert [g.quiet(Clock(h)) for h in (0, 1, 3, 4)] == [0, 1, 1, 0]


def test_a_coil_too_far_below_the_air_speeds_the_fans_up_to_the_cap():
    f = make()
    for _ in range(2000):
        u = f.step(1.0, 1, 0.0, -3.0, 1, 0)  # 3 K below the air: less air, to the least
    assert u == 20.0
    for _ in range(600):
        u = f.step(1.0, 1, 0.0, -14.0, 1, 0)  # 14 K: more air
    assert u == 100.0 and not f.capped
    for _ in range(600):
        u = f.step(1.0, 1, 0.0, -14.0, 1, 1)
    assert u == 60.0 and f.capped  # the quiet hours hold the cap


def test_standing_still_off_and_blind_full():
    f = make()
    assert f.step(1.0, 0, 0.0, -8.0, 1, 0) == 0.0
    assert f.step(1.0, 1, 0.0, -8.0, 0, 0) == 100.0  # no reading: all the air there is
    assert f.step(1.0, 1, 0.0, -8.0, 0, 1) == 60.0  # ... under the cap
