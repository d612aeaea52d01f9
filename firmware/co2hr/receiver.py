# BEV: receiver pressure by PI to its setpoint; opening lowers p_rec.
# docs/control.md ("BEV: receiver pressure") explains the loop and its numbers.
# Limits: above p_rec_hi the PI is not allowed below its current output and is pushed
# open at the rate limit; below p_rec_lo the valve is driven closed at the rate limit.
# Both alarm (in the controller). p_rec invalid -> fixed bev_fail_pct and alarm while the
# compressors stand still; while they run the BEV opens fully: nothing would see the
# receiver climb (flash gas from a hot gas cooler outlet, a failed T3 with it), and a
# receiver drawn down to suction pressure only costs the cases some liquid pressure,
# while one driven to its relief valve vents the charge.
# The GC bypass for a receiver pressure that cannot be held at low ambient is decided
# with the other GC bypass rules in co2hr.gc_bypass.
from micropython import const

from co2hr.io import AI_P_REC
from co2hr.pi import PI

_LIMIT_NONE = const(0)  # `limit`: no limit acting
_LIMIT_HIGH = const(1)  # above p_rec_hi: BEV pushed open
_LIMIT_LOW = const(-1)  # below p_rec_lo: BEV driven closed
_LIMIT_MIN_FROM_SP_BAR = const(1)  # the limits stay at least this far from the setpoint
_RUN_FAIL_PCT = const(100)  # BEV while p_rec is invalid and the compressors run


class Receiver:
    def __init__(self):
        self.pi = PI(3.0, 30.0, 0.0, 100.0, 10.0, 0.0)
        self.sp = 0.0  # from the settings (configure())
        self.hi = 0.0
        self.lo = 0.0
        self.fail_pct = 0.0
        self.rate = 0.0
        self.fallback = 0
        self.limit = _LIMIT_NONE
        self.out = 0.0

    def configure(self, s):
        self.sp = s.get("p_rec_sp_bar")
        self.hi = max(s.get("p_rec_hi_bar"), self.sp + _LIMIT_MIN_FROM_SP_BAR)
        self.lo = min(s.get("p_rec_lo_bar"), self.sp - _LIMIT_MIN_FROM_SP_BAR)
        self.fail_pct = s.get("bev_fail_pct")
        self.rate = s.get("bev_rate_pct_s")
        self.pi.tune(s.get("bev_kp"), s.get("bev_ti_s"), self.rate)

    def step(self, sig, dt_s, running=0, bad=0):
        """BEV opening target (before the output stage) from p_rec (sig). running: the
        compressors run (p_rec invalid: the BEV opens fully, see the header). bad: p_rec
        is valid but implausible (co2hr.hp_guard rec_bad): as invalid."""
        pi = self.pi
        if bad or not sig.valid[AI_P_REC]:
            self.fallback = 1
            self.limit = _LIMIT_NONE
            u = _RUN_FAIL_PCT if running else self.fail_pct
            pi.track(u)
            self.out = u
            return self.out
        self.fallback = 0
        p_rec = sig.value[AI_P_REC]
        if p_rec > self.hi:
            self.limit = _LIMIT_HIGH
            u = pi.u + self.rate * dt_s
            pi.track(u if u < 100.0 else 100.0)
            self.out = pi.u
        elif p_rec < self.lo:
            self.limit = _LIMIT_LOW
            u = pi.u - self.rate * dt_s
            pi.track(u if u > 0.0 else 0.0)
            self.out = pi.u
        else:
            self.limit = _LIMIT_NONE
            self.out = pi.step(p_rec - self.sp, dt_s)
        return self.out
