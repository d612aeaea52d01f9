# The one PI: integral action, anti-windup at the clamp, bumpless track(), rate limit.
from co2hr.pi import PI, clamp, ramp


def test_integrates_to_remove_error():
    pi = PI(1.0, 10.0, 0.0, 100.0, 0.0, 50.0)
    u0 = pi.step(2.0, 1.0)
    u1 = pi.step(2.0, 1.0)
    assert u1 > u0 > 50.0
    assert abs((u1 - u0) - 0.2) < 1e-9  # kp*dt/ti*e per tick


def test_anti_windup_leaves_limit_at_once():
    pi = PI(1.0, 5.0, 0.0, 100.0, 0.0, 90.0)
    for _ in range(500):
        pi.step(50.0, 1.0)
    assert pi.u == 100.0
    pi.step(-1.0, 1.0)  # error reverses: output leaves the limit on the first tick
    assert pi.u < 100.0


def test_track_is_bumpless():
    pi = PI(5.0, 10.0, 0.0, 100.0, 0.0, 20.0)
    pi.step(3.0, 1.0)
    pi.track(63.0)
    u = pi.step(3.0, 1.0)  # no proportional kick from the error history
    assert abs(u - (63.0 + 5.0 * 3.0 / 10.0)) < 1e-9


def test_rate_limit_and_limits():
    pi = PI(100.0, 1.0, 10.0, 80.0, 4.0, 50.0)
    assert pi.step(10.0, 1.0) == 54.0
    assert pi.step(10.0, 0.5) == 56.0
    pi.set_limits(10.0, 55.0)
    assert pi.step(10.0, 1.0) == 55.0
    pi.rate_per_s = 0.0
    assert pi.step(-100.0, 1.0) == 10.0


def test_nan_error_holds():
    pi = PI(1.0, 10.0, 0.0, 100.0, 0.0, 42.0)
    assert pi.step(float("nan"), 1.0) == 42.0


def test_helpers():
    assert clamp(float("nan"), 0.0, 1.0) == 0.0
    assert clamp(5.0, 0.0, 1.0) == 1.0
    assert ramp(0.0, 10.0, 3.0) == 3.0
    assert ramp(10.0, 0.0, 3.0) == 7.0
    assert ramp(1.0, 2.0, 3.0) == 2.0
