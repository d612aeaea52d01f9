# Gas cooler fans: PI on T3 to ambient + approach; more speed lowers T3.
# * Subcritical, the setpoint never asks for T3 below t_cond_min - 2 K: the pressure
#   reference is floored at the minimum condensing temperature anyway, so colder
#   would only flood the condenser and make the receiver pressure hard to hold.
# * Minimum speed and cut-off with hysteresis: the fans stop when the loop asks for
#   less than fan_cut_pct and restart when it asks for more than fan_min_pct; while
#   running they never go below fan_min_pct.
# * Speed limit = the low-noise cap, reduced further by the HR stage 8..9 V (full
#   reduction at 9 V). The HP safety (p_gc within 2 bar of its maximum) and the
#   discharge-temperature safety lift both; with p_gc near its maximum and in HP
#   override the fans go up to 100 % at their rate limit (only lifting the limit left
#   a T3 loop that had wound down while the compressors stood still at ~65 %, 0.6 %/s
#   on its integral, while a restart drove p_gc from 90 to 109 bar).
# * T3 or ambient invalid -> fans 100 % (the safe side for pressure).
from co2hr.pi import PI

_FLOOR_BELOW_TCOND_K = 2.0


class Fans:
    def __init__(self):
        self.pi = PI(5.0, 60.0, 0.0, 100.0, 5.0, 100.0)
        self.running = 1
        self.sp = 0.0
        self.limit = 100.0
        self.safety = 0
        self.fallback = 0
        self.out = 100.0
        self._amb = 0.0  # ambient the setpoint _sp_amb (= amb + approach) was made for
        self._sp_amb = 0.0

    def configure(self, s):
        self.approach = s.get("fan_approach_k")
        self._sp_amb = self._amb + self.approach
        self.t_floor = s.get("t_cond_min_c") - _FLOOR_BELOW_TCOND_K
        self.min_pct = s.get("fan_min_pct")
        self.cut_pct = min(s.get("fan_cut_pct"), self.min_pct)
        self.cap = s.get("fan_cap_pct")
        self.rate = s.get("fan_rate_pct_s")
        self.t_disch_max = s.get("t_disch_max_c")
        self.pi.tune(s.get("fan_kp"), s.get("fan_ti_s"), self.rate)

    def step(self, t3, t3_ok, amb, amb_ok, subcritical, hr_reduce, p_near_max, hp_override,
             t_disch, disch_ok, dt_s):
        """hr_reduce 0..1 (demand 8..9 V). Returns the fan speed target, %."""
        pi = self.pi
        self.safety = 1 if (p_near_max or hp_override
                            or (disch_ok and t_disch > self.t_disch_max)) else 0
        if self.safety:
            lim = 100.0
        else:
            lim = self.cap * (1.0 - hr_reduce) if hr_reduce != 0.0 else self.cap
            if lim < 0.0:
                lim = 0.0
        self.limit = lim
        if hp_override or p_near_max or not (t3_ok and amb_ok):
            self.fallback = 0 if (hp_override or p_near_max) else 1
            u = pi.u + self.rate * dt_s
            pi.track(u if u < 100.0 else 100.0)
            self.running = 1
            self.out = pi.u
            return self.out
        self.fallback = 0
        if amb != self._amb:  # the setpoint is recomputed only when ambient moved
            self._amb = amb
            self._sp_amb = amb + self.approach
        sp = self._sp_amb
        if subcritical and sp < self.t_floor:
            sp = self.t_floor
        self.sp = sp
        pi.set_limits(0.0, lim)
        u = pi.step(t3 - sp, dt_s)
        if self.running:
            if u < self.cut_pct:
                self.running = 0
        elif u > self.min_pct:
            self.running = 1
        if not self.running:
            self.out = 0.0
        else:
            self.out = u if u > self.min_pct else self.min_pct
            if self.out > lim:
                self.out = lim
        return self.out
