# Gas cooler fans: PI on T3 to ambient + approach; more speed lowers T3.
# docs/control.md ("Gas cooler fans") explains the strategy and its numbers.
# * Subcritical, the setpoint never asks for T3 below t_cond_min - 2 K: the pressure
#   reference is floored at the minimum condensing temperature anyway, so colder
#   would only flood the condenser and make the receiver pressure hard to hold.
# * Minimum speed and cut-off with hysteresis: the fans stop when the loop asks for
#   less than fan_cut_pct and restart when it asks for more than fan_min_pct; while
#   running they never go below fan_min_pct.
# * Speed limit = the low-noise cap, reduced further by the HR stage 8..9 V (full
#   reduction at 9 V) while the HRHX takes the heat.
# * HP fan safety (`safety`): lifts both (cap and HR reduction) when the HPEV cannot hold
#   the pressure, when the discharge is too hot, and in HP override. The pressure part
#   (`hp_guard`) comes on when p_gc is within _SAFETY_NEAR_MAX_BAR of p_gc_max or more
#   than _SAFETY_ABOVE_REF_BAR above its reference, and ends when p_gc is back below
#   both p_gc_max - _SAFETY_OFF_BELOW_MAX_BAR and ref + _SAFETY_OFF_ABOVE_REF_BAR
#   (hysteresis, so the fans do not hunt at the limit). It also holds through an HP stop
#   and _HOLD_AFTER_STOP_S after it: the stop means the heat rejection could not keep
#   up, and the T3 loop, wound down while the compressors stood (T3 = ambient), would
#   otherwise meet the restart at low speed.
#   With the pressure part on or in HP override the fans go up to 100 % at their rate
#   limit: only lifting the limit would leave a wound-down T3 loop creeping up on its
#   integral while the pressure rises.
# * Low-ambient GC bypass holding (co2hr.gc_bypass `hold`): the coil gets no CO2 and T3
#   is the bypassed gas, so the fans stay stopped (full reduction; T3 counts as valid, a
#   rate fault then is the process, not a reason to run them). The ref + 5 bar part of
#   the safety does not count then either: the open bypass lifts p_gc 5-7 bar above its
#   floor within seconds while the HPEV opens for the gas, and the fans have nothing to
#   cool; the bypass closes itself when p_gc runs away (co2hr.gc_bypass).
# * T3 or ambient invalid, or p_gc not trusted (co2hr.hp_guard) -> fans 100 % (the safe
#   side for pressure).
from micropython import const

from co2hr.gc_pressure import REG_SUB
from co2hr.io import AI_T_AMB, AI_T_DISCH, AI_T_GC_OUT
from co2hr.pi import PI

_FLOOR_BELOW_TCOND_K = 2.0
FULL_SPEED_PCT = 99.5  # a fan output at or above this counts as full speed
# (whole numbers as private ints: mpy-cross folds them, a named float costs heap)
_HOLD_AFTER_STOP_S = const(120)  # the safety holds this long after an HP stop
_SAFETY_NEAR_MAX_BAR = const(2)  # the HP fan safety comes on within this of p_gc_max ...
_SAFETY_ABOVE_REF_BAR = const(5)  # ... or this far above the reference
_SAFETY_OFF_BELOW_MAX_BAR = const(5)  # it ends below p_gc_max - this ...
_SAFETY_OFF_ABOVE_REF_BAR = const(1)  # ... and below ref + this


class Fans:
    def __init__(self):
        self.pi = PI(5.0, 60.0, 0.0, 100.0, 5.0, 100.0)
        # from the settings (configure())
        self.approach = 0.0
        self.t_floor = 0.0
        self.min_pct = 0.0
        self.cut_pct = 0.0
        self.cap = 100.0
        self.t_disch_max = 0.0
        self.p_near_max = 0.0  # p_gc_max - _SAFETY_NEAR_MAX_BAR
        self.p_safe = 0.0  # p_gc_max - _SAFETY_OFF_BELOW_MAX_BAR
        # state
        self.running = 1
        self.sp = 0.0
        self.limit = 100.0
        self.safety = 0  # HP fan safety: cap and HR reduction lifted
        self.hp_guard = 0  # its pressure part (hysteresis, see the header)
        self.fallback = 0
        self.out = 100.0
        self._amb = 0.0  # ambient the setpoint _sp_amb (= amb + approach) was made for
        self._sp_amb = 0.0
        self._hold_until_s = -1.0  # the safety holds until (after an HP stop)
        self._g_ref = -1.0  # reference the safety levels below were made for
        self._g_on = 0.0  # ref + _SAFETY_ABOVE_REF_BAR
        self._g_off = 0.0  # ref + _SAFETY_OFF_ABOVE_REF_BAR

    def configure(self, s, p_gc_max):
        self.approach = s.get("fan_approach_k")
        self._sp_amb = self._amb + self.approach
        self.t_floor = s.get("t_cond_min_c") - _FLOOR_BELOW_TCOND_K
        self.min_pct = s.get("fan_min_pct")
        self.cut_pct = min(s.get("fan_cut_pct"), self.min_pct)
        self.cap = s.get("fan_cap_pct")
        self.t_disch_max = s.get("t_disch_max_c")
        self.p_near_max = p_gc_max - _SAFETY_NEAR_MAX_BAR
        self.p_safe = p_gc_max - _SAFETY_OFF_BELOW_MAX_BAR
        self.pi.tune(s.get("fan_kp"), s.get("fan_ti_s"), s.get("fan_rate_pct_s"))

    def _guard(self, p, ref, coil_bypassed):
        """The pressure part of the HP fan safety, on p (the protections' p_gc)."""
        if ref != self._g_ref:  # (floats only when the reference moved)
            self._g_ref = ref
            self._g_on = ref + _SAFETY_ABOVE_REF_BAR
            self._g_off = ref + _SAFETY_OFF_ABOVE_REF_BAR
        if p > self.p_near_max or (p > self._g_on and not coil_bypassed):
            self.hp_guard = 1
        elif p < self.p_safe and p < self._g_off:
            self.hp_guard = 0

    def step(self, sig, gc, hr_reduce, coil_bypassed, now_s, dt_s):
        """Fan speed target, %. gc: the pressure loop (p_prot, ref, regime, override,
        comp_stop). hr_reduce 0..1: the HR reduction that acts (demand 8..9 V).
        coil_bypassed: the low-ambient GC bypass holds (see the header)."""
        pi = self.pi
        if gc.comp_stop:
            self._hold_until_s = now_s + _HOLD_AFTER_STOP_S
        self._guard(gc.p_prot, gc.ref, coil_bypassed)
        # p_gc not trusted (co2hr.hp_guard): the worst case, full speed
        p_near_max = self.hp_guard or now_s < self._hold_until_s or gc.blind
        hp_override = gc.override
        self.safety = 1 if (p_near_max or hp_override or (
            sig.valid[AI_T_DISCH] and sig.value[AI_T_DISCH] > self.t_disch_max)) else 0
        if coil_bypassed:
            hr_reduce = 1.0  # the coil gets no CO2
        if self.safety:
            lim = 100.0
        else:
            lim = self.cap * (1.0 - hr_reduce) if hr_reduce != 0.0 else self.cap
            if lim < 0.0:
                lim = 0.0
        self.limit = lim
        if hp_override or p_near_max or not (
                (sig.valid[AI_T_GC_OUT] or coil_bypassed) and sig.valid[AI_T_AMB]):
            self.fallback = 0 if (hp_override or p_near_max) else 1
            u = pi.u + pi.rate_per_s * dt_s  # (the rate limit, fan_rate_pct_s)
            pi.track(u if u < 100.0 else 100.0)
            self.running = 1
            self.out = pi.u
            return self.out
        self.fallback = 0
        amb = sig.value[AI_T_AMB]
        if amb != self._amb:  # the setpoint is recomputed only when ambient moved
            self._amb = amb
            self._sp_amb = amb + self.approach
        sp = self._sp_amb
        if gc.regime == REG_SUB and sp < self.t_floor:
            sp = self.t_floor
        self.sp = sp
        pi.set_limits(0.0, lim)
        u = pi.step(sig.value[AI_T_GC_OUT] - sp, dt_s)
        if self.running:  # cut-off and minimum speed with hysteresis
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
