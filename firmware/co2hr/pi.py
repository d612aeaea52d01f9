# The one PI implementation every loop uses. Velocity (incremental) form: each tick
# adds kp*(e - e_prev) + kp*dt/ti*e to the output, so
# * anti-windup is inherent: the output is clamped into [lo, hi] and nothing else
#   integrates beyond the clamp;
# * bumpless transfer (auto/manual, mode changes, overrides) is track(u): the loop
#   continues from whatever the output really was;
# * a rate limit bounds the change per tick.
# Positive error drives the output up; each loop chooses the sign of its error.


class PI:
    def __init__(self, kp, ti_s, lo=0.0, hi=100.0, rate_per_s=0.0, u0=0.0):
        self.kp = kp
        self.ti_s = ti_s
        self.lo = lo
        self.hi = hi
        self.rate_per_s = rate_per_s  # 0 = unlimited
        self.u = u0
        self._e_prev = 0.0
        self._fresh = True

    def set_limits(self, lo, hi):
        if hi < lo:
            hi = lo
        self.lo = lo
        self.hi = hi

    def track(self, u):
        """Follow an output set elsewhere; the next step() continues from it."""
        self.u = u
        self._fresh = True

    def step(self, e, dt_s):
        if not (e == e):  # NaN error: hold
            return self.u
        if self._fresh:
            self._e_prev = e
            self._fresh = False
        du = self.kp * (e - self._e_prev)
        if self.ti_s > 0.0:
            du += self.kp * dt_s / self.ti_s * e
        self._e_prev = e
        r = self.rate_per_s * dt_s
        if r > 0.0:
            if du > r:
                du = r
            elif du < -r:
                du = -r
        u = self.u + du
        if u > self.hi:
            u = self.hi
        if u < self.lo:
            u = self.lo
        self.u = u
        return u


def clamp(x, lo, hi):
    if not (x == x):
        return lo
    return lo if x < lo else hi if x > hi else x


def ramp(prev, target, max_step):
    """Move prev towards target by at most max_step."""
    d = target - prev
    if d > max_step:
        return prev + max_step
    if d < -max_step:
        return prev - max_step
    return target
