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
        self.pi.tune(s.get("bev_kp"), s.get("bev_ti_s"), self.rate)

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


# Low-ambient gas cooler bypass (DOMAIN.md 2.3: "at very low ambient even a gas cooler
# with its fans stopped can subcool so much that the receiver pressure cannot be held").
# At -25 degC with the fans stopped the coil delivers liquid at ambient; the receiver
# it feeds condenses its flash gas, p_rec falls with the BEV shut (35 -> 27.6 bar in
# 40 min at 40 kW) until the suction side, equalising with it while the pack stands,
# stays below the pack's cut-in and the pack never restarts. Bypassing the coil sends
# discharge gas through the HPEV instead, whose flash gas lifts p_rec.
# Opens when, for delay_s without a break: the compressors run, the plant is
# subcritical with the reference at its floor p_sat(t_cond_min) (no HR raise), the
# fans stand (the coil is already at its least capacity, nothing else is left), the
# BEV is shut (it is not venting what the receiver has) and p_rec is below
# p_rec_sp - dp. Closes when p_rec is back above p_rec_sp - CLOSE_BELOW_SP_BAR, or when
# `blocked` (the controller: compressors stopped, HP override/stop, HP fan safety, or
# p_gc more than 10 bar above its reference), p_rec invalid or the rule is off
# (dp = 0). The bypass is on/off and the coil holds no heat sink while it is open, so
# it works in bursts; the delay (restarted at every close) keeps them apart.
# `hold`: open, or closed less than HOLD_S ago (the valve strokes ~20 s and the coil
# outlet mixes until it is shut). Meanwhile T3 is bypassed gas (+66 degC at 45 bar
# within seconds of opening, -17 degC again after closing): the controller keeps the
# reference at its subcritical floor and the fans stopped instead of reading it as
# transcritical (or, where T3 jumped faster than its plausible rate, as a sensor fault,
# whose fallbacks are a 85 bar reference and full fan speed).
HOLD_S = 30.0
CLOSE_BELOW_SP_BAR = 1.0  # closes when p_rec is back within this of its setpoint
BEV_SHUT_PCT = 0.5  # BEV counted as shut at or below this opening


class RecBypass:
    def __init__(self):
        self.open = 0
        self.hold = 0  # open, or closed less than HOLD_S ago
        self.dp = 0.0
        self._t_hold = 0.0  # hold ends at this time after a close
        self._armed = 0  # the opening conditions hold, since _t_open - delay
        self._t_open = 0.0  # opens at this time if they keep holding

    def configure(self, s, sp):
        self.dp = s.get("gcb_rec_dp_bar")
        self.delay = s.get("gcb_rec_delay_s")
        self.p_on = sp - self.dp
        self.p_off = sp - CLOSE_BELOW_SP_BAR

    def step(self, p_rec, p_ok, bev_pct, subcritical, fans_off, blocked, now_s):
        """subcritical: and the reference at its floor. blocked: compressors standing
        still or an HP safety acting. Returns open."""
        was = self.open
        if self.dp <= 0 or not p_ok or blocked:
            self.open = 0
            self._armed = 0
        elif self.open:
            if p_rec > self.p_off:
                self.open = 0
                self._armed = 0
        elif subcritical and fans_off and bev_pct <= BEV_SHUT_PCT and p_rec < self.p_on:
            if not self._armed:
                self._armed = 1
                self._t_open = now_s + self.delay  # (a float on this edge only)
            elif now_s >= self._t_open:
                self.open = 1
        else:
            self._armed = 0
        if was and not self.open:
            self._t_hold = now_s + HOLD_S  # (a float on this edge only)
        self.hold = 1 if (self.open or (self._t_hold > 0.0 and now_s < self._t_hold)) else 0
        return self.open
