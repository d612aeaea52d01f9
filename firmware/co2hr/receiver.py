# BEV: receiver pressure by PI to its setpoint; opening lowers p_rec.
# Limits: above p_rec_hi the PI is not allowed below its current output and is pushed
# open at the rate limit; below p_rec_lo the valve is driven closed at the rate limit.
# Both alarm (in the controller). p_rec invalid -> fixed bev_fail_pct and alarm.
from co2hr.pi import PI


class Receiver:
    def __init__(self):
        self.pi = PI(3.0, 30.0, 0.0, 100.0, 10.0, 0.0)
        self.fallback = 0
        self.limit = 0  # 1 high limit acting, -1 low limit acting
        self.out = 0.0

    def configure(self, s):
        self.sp = s.get("p_rec_sp_bar")
        self.hi = max(s.get("p_rec_hi_bar"), self.sp + 1.0)
        self.lo = min(s.get("p_rec_lo_bar"), self.sp - 1.0)
        self.fail_pct = s.get("bev_fail_pct")
        self.rate = s.get("bev_rate_pct_s")
        pi = self.pi
        pi.kp = s.get("bev_kp")
        pi.ti_s = s.get("bev_ti_s")
        pi.rate_per_s = self.rate

    def step(self, p_rec, p_ok, dt_s):
        pi = self.pi
        if not p_ok:
            self.fallback = 1
            self.limit = 0
            pi.track(self.fail_pct)
            self.out = self.fail_pct
            return self.out
        self.fallback = 0
        if p_rec > self.hi:
            self.limit = 1
            u = pi.u + self.rate * dt_s
            pi.track(u if u < 100.0 else 100.0)
            self.out = pi.u
        elif p_rec < self.lo:
            self.limit = -1
            u = pi.u - self.rate * dt_s
            pi.track(u if u > 0.0 else 0.0)
            self.out = pi.u
        else:
            self.limit = 0
            self.out = pi.step(p_rec - self.sp, dt_s)
        return self.out
