# The one PI implementation every loop uses. Velocity (incremental) form: each tick
# adds kp*(e - e_prev) + kp*dt/ti*e to the output, so
# * anti-windup is inherent: the output is clamped into [lo, hi] and nothing else
#   integrates beyond the clamp;
# * bumpless transfer (auto/manual, mode changes, overrides) is track(u): the loop
#   continues from whatever the output really was;
# * a rate limit bounds the change per tick.
# Positive error drives the output up; each loop chooses the sign of its error.
# Allocation: MicroPython boxes every float result, so the products that depend only
# on the gains and the tick length (kp*dt/ti, rate*dt and its negative) are cached and
# recomputed when one of them changes (they are plain attributes, set by configure()).


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
        self._c_dt = -1.0  # dt, kp, ti, rate the cached products below were made for
        self._c_kp = 0.0
        self._c_ti = 0.0
        self._c_rate = 0.0
        self._c_ki = 0.0  # kp * dt / ti (0: no integral action)
        self._c_r = 0.0  # rate_per_s * dt (0: unlimited)
        self._c_nr = 0.0  # -_c_r

    def _cache(self, dt_s):
        self._c_dt = dt_s
        self._c_kp = self.kp
        self._c_ti = self.ti_s
        self._c_rate = self.rate_per_s
        self._c_ki = self.kp * dt_s / self.ti_s if self.ti_s > 0.0 else 0.0
        r = self.rate_per_s * dt_s
        self._c_r = r
        self._c_nr = -r

    def tune(self, kp, ti_s, rate_per_s):
        """New gains and rate limit (a loop's configure(); the cache follows them)."""
        self.kp = kp
        self.ti_s = ti_s
        self.rate_per_s = rate_per_s

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
        if (dt_s != self._c_dt or self.kp != self._c_kp or self.ti_s != self._c_ti
                or self.rate_per_s != self._c_rate):
            self._cache(dt_s)
        if e == self._e_prev:  # no proportional change (same sum, fewer floats)
            du = self._c_ki * e if self.ti_s > 0.0 else 0.0
        else:
            du = self.kp * (e - self._e_prev)
            if self.ti_s > 0.0:
                du += self._c_ki * e
        self._e_prev = e
        r = self._c_r
        if r > 0.0:
            if du > r:
                du = r
            elif du < self._c_nr:
                du = self._c_nr
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
