# HPEV: the gas cooler pressure reference and its PI loop, with the HP protections.
# docs/control.md ("HPEV: gas cooler pressure") explains the strategy and its numbers.
#
# Reference, from the measured gas cooler outlet temperature T3:
#   subcritical   T3 <= t_trans:  p_sat(max(T3 + subcooling, t_cond_min))
#   transition    t_trans < T3 < 30.2: linear from there to the first transcritical
#                 point, so the reference is continuous as T3 crosses the critical zone
#   transcritical T3 >= 30.2: the COP-optimal table of co2sat (biased above the optimum
#                 near the critical point, see there why)
# then the heat-recovery raise (demand 1..8 V -> 0..1 of the way up to p_hr_max), the
# floor p_sat(t_cond_min), the ceiling p_gc_max - REF_MARGIN_BAR, and a rate limit on
# the reference.
# While the GC bypass is open for heat recovery (co2hr.gc_bypass) T3 is the HRHX outlet,
# not an air-cooled outlet: the COP table read there would ask for the ceiling, with
# nothing but the HRHX to take the heat. The reference stays at p_hr_max instead.
# While the low-ambient GC bypass holds (co2hr.gc_bypass) T3 is discharge gas that
# missed the coil and would read as transcritical: the reference and the regime stay at
# the subcritical floor p_sat(t_cond_min).
# T3 invalid -> a substitute T3 = t_amb + the last measured approach (T3 - t_amb while
# both were valid, bounded to 0.._APPROACH_MAX_K; fan_approach_k until one was measured)
# + _SUB_MARGIN_K, read through the same reference (t3_src 1): the coil keeps its
# approach to the air, so at 8 degC ambient the reference stays near the floor instead
# of a fixed transcritical level that costs ~75 % more compressor power. Both T3 and
# t_amb invalid -> the fixed p_ref_fail reference (t3_src 2, a conservative
# transcritical level). Either way NO heat-recovery raise: forced operation stops while
# the controller does not know the regime for sure (a raise on top of a guess could push
# an unknown operating point anywhere), and the T3 alarm stays.
#
# Loop: PI on (p_gc - ref), opening lowers the pressure. Protections, in order:
#   max-pressure limiter: when p_gc + LIM_LEAD_S * (its rise rate), or co2hr.hp_guard's
#                    p_hint when higher (the discharge temperature says p_gc is higher
#                    than it reads), is above p_lim =
#                    p_gc_max - REF_MARGIN_BAR (the reference ceiling) the excess is
#                    amplified LIM_GAIN times, so the HPEV opens hard before p_gc
#                    reaches p_gc_max: the PI alone creeps over a reference that sits at
#                    the ceiling while the load rises, and when the reference itself
#                    ramps up to the ceiling with p_gc right behind it (error ~0) only
#                    the rate lead sees the pressure coming. In steady state the rate is
#                    0 and the limiter costs nothing (no offset below the reference);
#   p > p_hp_ovr:    the HPEV is driven open at its rate limit (the PI tracks it, so
#                    control resumes bumplessly), until p < p_hp_ovr - _OVR_HYST_BAR; the
#                    HP safety switch opening (hp_trip) forces the same;
#   p > p_hp_stop:   compressor enable released; it returns comp_restart_s after
#                    p fell below p_hp_ovr - _RESTART_BELOW_OVR_BAR (counted, alarmed,
#                    latched alarm). "p" here is p + STOP_LEAD_S * (its rise rate): the
#                    compressors take a tick to stop, and a pressure rising 1-2 bar/s
#                    would pass the plain threshold by a bar. With the fans failed
#                    (fans_failed), or at full speed with the HPEV fully open
#                    (fans_full), the stop level is p_gc_max - STOP_EARLY_MARGIN_BAR: no
#                    actuator but the compressors is left (a failed fan takes the HPEV's
#                    authority too: it only moves charge, nothing rejects the heat; the
#                    override would only ask for an opening the HPEV already has), so
#                    waiting for p_hp_stop would let p_gc pass 110 bar. A restart after
#                    the delay meets the same early stop, so each run stays below
#                    p_gc_max. The same early level holds while p_gc rises above
#                    p_gc_max (the limiter, which opens the HPEV hard from 3 s ahead of
#                    p_lim, has not held it), and while p_gc rises faster than
#                    _RUNAWAY_BAR_S: the limiter opens the HPEV hard from 3 s ahead of
#                    the ceiling, so a rise that fast near p_gc_max means the valve is not
#                    taking the flow (stuck, at its limit, too small); "p" is then
#                    LIM_LEAD_S ahead, as the limiter's: a stuck HPEV at rising load gives
#                    3-4 bar/s, still accelerating, and the 2 s lead (or waiting for
#                    p_hp_stop) let p_gc pass p_gc_max by 1-3 bar (stuck_hpev_hot_day).
# "p" for the protections is p_prot: the measured p_gc while
# valid; while p_gc is invalid the last good value, or the newer sample when that is
# higher and only failed the rate/stuck check, so a sensor fault never removes the HP
# protection (it can only make it act earlier).
# p_gc invalid -> HPEV to hpev_fail_pct (fixed safe opening) and alarm, unless the
# override acts (then the HPEV keeps opening). p_gc not trusted by co2hr.hp_guard (blind)
# -> the same, at least at the opening it had when trust was lost, and p_prot is the
# larger of that and the guard's substitute from the discharge temperature.
# Compressors standing still -> the HPEV holds at least hpev_fail_pct: a PI left to
# wind shut while nothing flows makes the restart compress against a closed valve.
# No backflow: the HPEV is shut (`no_back`) while p_gc is more than BACK_CLOSE_BAR below
# p_rec, and opens again once p_gc is BACK_OPEN_BAR above p_rec, to at least the
# restart opening. At very low ambient the stopped high side cools towards ambient
# saturation (-25 degC: 17 bar), and the restart opening would let the receiver drain
# backwards into the gas cooler until p_rec fell below p_suc and the case valves had no
# pressure difference left. A restart against the shut valve is harmless there (p_gc
# starts far below p_rec, its reference and the HP limits). The margin keeps the rule
# out of an ordinary standstill, where p_gc and p_rec only equalise and a shut valve
# would make the restart compress against it. It acts while the compressors run too (a
# cold restart: the PI alone would sit at hpev_min_pct and let flow back). Override
# and p_gc invalid come first.
# Allocation (MicroPython boxes every float result): what depends only on the settings
# (the transition start, the protection thresholds) is computed in configure(), the
# reference step per tick once per tick length, and the COP reference only when T3
# changed; no tuples per tick.
from micropython import const

from co2hr.co2sat import T_CRIT_C, TC_P, TC_T, p_sat_bar, p_tc_bar
from co2hr.io import AI_P_GC, AI_P_REC, AI_T_AMB, AI_T_GC_OUT, DI_FAN_OK, DI_HP_OK
from co2hr.pi import PI, clamp
from co2hr.signals import F_RATE, F_STUCK

REG_SUB = const(0)  # regimes (status regime)
REG_TRANS = const(1)
REG_TC = const(2)
REF_MARGIN_BAR = 0.4  # the reference stays this far below p_gc_max (limiter starts here)
LIM_GAIN = 9.0  # extra error per bar above the limiter threshold
LIM_LEAD_S = 3.0  # the limiter acts on p_gc this many seconds ahead at its rise rate
STOP_LEAD_S = 2.0  # the compressor stop likewise
RATE_TAU_S = 1.0  # filter time constant of the p_gc rise rate
BACK_CLOSE_BAR = 0.5  # HPEV shut when p_gc is this far below p_rec (no backflow) ...
BACK_OPEN_BAR = 2.0  # ... and open again when p_gc is this far above p_rec
STOP_EARLY_MARGIN_BAR = 0.3  # the early compressor stop (fans spent) acts this far below
# p_gc_max: the release takes a tick to act while p_gc creeps 0.01-0.05 bar/s at the top
# (whole numbers as private ints: mpy-cross folds them, a named float costs heap)
_OVR_ABOVE_MAX_BAR = const(1)  # the override level is at least this far above p_gc_max
_STOP_ABOVE_OVR_BAR = const(1)  # the stop level at least this far above the override
_OVR_HYST_BAR = const(2)  # the override ends this far below its level
_RESTART_BELOW_OVR_BAR = const(5)  # the restart delay runs while p is this far below it
_UNKNOWN_BAR = const(-1)  # p_prot while p_gc is not wired (the protections' rate is off)
_RUNAWAY_BAR_S = const(1)  # a rise this fast stops at the early level (see the header)
_APPROACH_MAX_K = const(15)  # the approach kept for the T3 substitute is bounded to this
_SUB_MARGIN_K = const(1)  # the substitute T3 sits this far above t_amb + approach
_NAN = float("nan")  # "not computed yet" (one object: assigning it allocates nothing)
T3_MEASURED = const(0)  # STATUS t3_src: where the reference's T3 comes from
T3_SUBSTITUTED = const(1)
T3_FIXED = const(2)


def regime(t3_c, t_trans_c):
    """REG_SUB, REG_TRANS or REG_TC for T3."""
    if t3_c <= t_trans_c:
        return REG_SUB
    return REG_TC if (t3_c >= TC_T[0] and t3_c >= T_CRIT_C) else REG_TRANS


def _trans_start(subcool_k, t_trans_c, t_cond_min_c):
    """p_sat where the transition zone starts (depends on the settings only)."""
    t0 = t_trans_c + subcool_k
    if t0 < t_cond_min_c:
        t0 = t_cond_min_c
    return p_sat_bar(t0)


def cop_ref_bar(t3_c, subcool_k, t_trans_c, t_cond_min_c, p_min, p0, dp0, dt0):
    """COP-optimal reference at T3 (no HR raise). p_min = p_sat(t_cond_min_c); p0 =
    _trans_start(); dp0 = TC_P[0] - p0; dt0 = TC_T[0] - t_trans_c (callers cache them)."""
    if t3_c <= t_trans_c:
        t = t3_c + subcool_k
        if t < t_cond_min_c:
            t = t_cond_min_c
        p = p_sat_bar(t)
    elif t3_c < TC_T[0]:
        p = p0 + dp0 * (t3_c - t_trans_c) / dt0
    else:
        p = p_tc_bar(t3_c)
    return p_min if p < p_min else p


def cop_reference_bar(t3_c, subcool_k, t_trans_c, t_cond_min_c, p_min=0.0):  # build: host-only
    """(reference in bar, regime) for the COP-optimal pressure at T3 (no HR raise).
    p_min: p_sat(t_cond_min_c) when the caller has it."""
    if p_min <= 0.0:
        p_min = p_sat_bar(t_cond_min_c)
    p0 = _trans_start(subcool_k, t_trans_c, t_cond_min_c)
    p = cop_ref_bar(t3_c, subcool_k, t_trans_c, t_cond_min_c, p_min, p0, TC_P[0] - p0,
                    TC_T[0] - t_trans_c)
    return p, regime(t3_c, t_trans_c)


class GcPressure:
    def __init__(self):
        self.pi = PI(2.0, 20.0, 5.0, 100.0, 10.0, 30.0)
        # from the settings (configure())
        self.subcool = 0.0
        self.t_trans = 0.0
        self.t_cond_min = 0.0
        self.p_min = 45.0  # reference floor p_sat(t_cond_min)
        self.p_max = 105.0  # p_gc_max
        self.p_lim = 0.0  # reference ceiling and limiter start
        self.p_hr_max = 0.0
        self.ref_rate = 0.0
        self.p_fail = 0.0  # reference while T3 is invalid
        self.p_ovr = 0.0  # HP override level
        self.p_ovr_off = 0.0  # override ends below
        self.p_stop = 0.0  # HP stop level
        self.p_stop_early = 0.0  # HP stop level with the fans spent
        self.p_restart = 0.0  # compressor restart timer runs below
        self.fail_pct = 0.0  # HPEV opening while p_gc is invalid (and least while still)
        self.restart_delay = 0.0
        self._p0 = 0.0  # transition start (see cop_ref_bar)
        self._dp0 = 0.0
        self._dt0 = 0.0
        # state
        self.ref = 0.0  # reference in force, bar (0 until the first tick)
        self.p_opt = 0.0  # COP-optimal reference before the HR raise
        self.raise_bar = 0.0
        self.regime = REG_SUB
        self.p_prot = -1.0  # the pressure the protections act on (see the header)
        self.hp_trip = 0  # the HP safety switch is open
        self.fans_failed = 0  # the fan alarm contact is open
        self.override = 0  # HP override active
        self.comp_stop = 0  # compressor enable released
        self.fallback = 0  # p_gc invalid or not trusted (co2hr.hp_guard)
        self.blind = 0  # p_gc not trusted by the guard
        self._fail_now = 0.0  # the HPEV opening while p_gc is not usable
        self.limiting = 0  # max-pressure limiter acting
        self._hint = -1.0  # co2hr.hp_guard's p_hint: p_gc at least this (-1: none)
        self.no_back = 0  # p_gc below p_rec: HPEV shut (no backflow, see the header)
        self.t3_fallback = 0
        self.t3_src = T3_MEASURED
        self.approach = 3.0  # T3 - t_amb, last measured (fan_approach_k until then)
        self._t3_last = None  # the last T3 measured with a valid t_amb, and that t_amb
        self._amb_last = None
        self._t3_sub = float("nan")  # the substitute T3 the cached reference is for
        self.stops = 0  # HP stop events
        self.dpdt = 0.0  # filtered rate of p_prot, bar/s
        self._p_last = -1.0  # p_prot of the last tick (< 0: none)
        self._rate_dt = -1.0  # tick length the rate filter factor was made for
        self._rate_a = 0.0  # dt / (dt + RATE_TAU_S)
        self._rate_inv = 0.0  # 1 / dt
        self._restart_s = 0.0
        self.out = 30.0
        self._t3_c = float("nan")  # T3 the cached COP reference _p_cop was computed for
        # (NaN: recompute, on the first tick and after a settings change)
        self._p_cop = 0.0
        self._reg_cop = REG_SUB
        self._dt_s = -1.0  # tick length the reference steps were computed for
        self._ref_step = 0.0
        self._ref_nstep = 0.0

    def configure(self, s):
        self.subcool = s.get("subcool_k")
        self.t_trans = s.get("t_trans_c")
        self.t_cond_min = s.get("t_cond_min_c")
        self.p_min = p_sat_bar(self.t_cond_min)
        self.p_max = max(s.get("p_gc_max_bar"), self.p_min)
        self.p_lim = self.p_max - REF_MARGIN_BAR
        if self.p_lim < self.p_min:
            self.p_lim = self.p_min
        self.p_hr_max = s.get("p_hr_max_bar")
        self.ref_rate = s.get("p_ref_rate_bar_s")
        self.p_fail = s.get("p_ref_fail_bar")
        self.p_ovr = max(s.get("p_hp_ovr_bar"), self.p_max + _OVR_ABOVE_MAX_BAR)
        self.p_stop = max(s.get("p_hp_stop_bar"), self.p_ovr + _STOP_ABOVE_OVR_BAR)
        self.p_stop_early = self.p_max - STOP_EARLY_MARGIN_BAR
        self.p_ovr_off = self.p_ovr - _OVR_HYST_BAR
        self.p_restart = self.p_ovr - _RESTART_BELOW_OVR_BAR
        self._p0 = _trans_start(self.subcool, self.t_trans, self.t_cond_min)
        self._dp0 = TC_P[0] - self._p0
        self._dt0 = TC_T[0] - self.t_trans
        self._t3_c = float("nan")
        self._dt_s = -1.0
        if self._t3_last is None:
            self.approach = s.get("fan_approach_k")
        self._t3_sub = float("nan")
        self.fail_pct = s.get("hpev_fail_pct")
        self.restart_delay = s.get("comp_restart_s")
        self.pi.tune(s.get("hpev_kp"), s.get("hpev_ti_s"), s.get("hpev_rate_pct_s"))
        self.pi.set_limits(s.get("hpev_min_pct"), s.get("hpev_max_pct"))

    # --- reference
    def reference(self, sig, raise_frac, dt_s, hr_bypass=0, rec_bypass=0):
        """Update self.ref from T3 (sig). raise_frac 0..1: share of the HR raise (demand
        1..8 V). hr_bypass: the GC bypass is open for heat recovery (the reference stays
        <= p_hr_max). rec_bypass: the low-ambient bypass holds (subcritical floor)."""
        self.t3_src = T3_MEASURED
        if rec_bypass:
            p = self.p_min
            self.regime = REG_SUB
            self.t3_fallback = 0  # T3 is not used while it is open
        elif sig.valid[AI_T_GC_OUT]:
            t3_c = sig.value[AI_T_GC_OUT]
            if t3_c != self._t3_c:
                self._cop(t3_c)
                self._t3_sub = _NAN  # the cache holds a measured T3's reference now
                if sig.valid[AI_T_AMB]:  # the pair the approach is made from when T3
                    self._t3_last = t3_c  # fails (references only: nothing allocated)
                    self._amb_last = sig.value[AI_T_AMB]
            p = self._p_cop
            self.regime = self._reg_cop
            self.t3_fallback = 0
        else:
            p = self._t3_substitute(sig)
            self.t3_fallback = 1
            raise_frac = 0.0  # no forcing on top of a guessed regime (see the header)
        p = clamp(p, self.p_min, self.p_lim)
        self.p_opt = p
        raise_frac = clamp(raise_frac, 0.0, 1.0)
        target = p
        if raise_frac > 0.0 and self.p_hr_max > p:
            target = p + (self.p_hr_max - p) * raise_frac
        if hr_bypass and target > self.p_hr_max:
            target = self.p_hr_max  # see the header: bypass open
        target = clamp(target, self.p_min, self.p_lim)
        self.raise_bar = target - p if target > p else 0.0
        if self.ref <= 0.0:
            self.ref = target  # first tick: no ramp from nothing
        elif target != self.ref:
            if dt_s != self._dt_s:
                self._dt_s = dt_s
                self._ref_step = self.ref_rate * dt_s
                self._ref_nstep = -self._ref_step
            step = self._ref_step
            d = target - self.ref
            self.ref += step if d > step else self._ref_nstep if d < self._ref_nstep else d
        self.ref = clamp(self.ref, self.p_min, self.p_lim)
        return self.ref

    def _cop(self, t3_c):
        """The cached COP reference and regime for T3 t3_c."""
        self._p_cop = cop_ref_bar(t3_c, self.subcool, self.t_trans, self.t_cond_min,
                                  self.p_min, self._p0, self._dp0, self._dt0)
        self._reg_cop = regime(t3_c, self.t_trans)
        self._t3_c = t3_c

    def _t3_substitute(self, sig):
        """The reference while T3 is invalid (see the header); sets t3_src and regime."""
        if not sig.valid[AI_T_AMB]:
            self.t3_src = T3_FIXED
            self.regime = REG_TC
            return self.p_fail
        self.t3_src = T3_SUBSTITUTED
        amb = sig.value[AI_T_AMB]
        if amb != self._t3_sub:  # (the substitute is made only when t_amb moved)
            self._t3_sub = amb
            if self._t3_last is not None:
                self.approach = clamp(self._t3_last - self._amb_last, 0, _APPROACH_MAX_K)
            self._cop(amb + self.approach + _SUB_MARGIN_K)
            self._t3_c = _NAN  # a measured T3 recomputes when it returns
        self.regime = self._reg_cop
        return self._p_cop

    # --- loop and protections
    def _rate(self, p, dt_s):
        """Filtered rise rate of p (bar/s); 0 while p is unknown."""
        if p < 0.0 or self._p_last < 0.0:
            self.dpdt = 0.0
        else:
            if dt_s != self._rate_dt:
                self._rate_dt = dt_s
                self._rate_a = dt_s / (dt_s + RATE_TAU_S)
                self._rate_inv = 1.0 / dt_s
            d = p - self._p_last
            if d != 0.0 or self.dpdt != 0.0:
                self.dpdt += ((d * self._rate_inv) - self.dpdt) * self._rate_a
        self._p_last = p
        return self.dpdt

    def step(self, sig, dt_s, now_s, still=0, fans_full=0, guard=None):
        """HPEV opening target (before the output stage); sets the protection flags.
        sig: p_gc, p_rec (no-backflow rule), the HP switch (hp_trip forces the override)
        and the fan alarm contact (fans_failed: compressor stop at p_gc_max). still: the
        compressors stand still (the HPEV holds at least hpev_fail_pct). fans_full: they
        run at full speed (stop at p_gc_max once the HPEV is fully open). guard: the
        p_gc trust guard (co2hr.hp_guard) of this tick, None: p_gc trusted while valid."""
        pi = self.pi
        self.blind = guard is not None and guard.blind
        self._hint = guard.p_hint if guard is not None else -1.0
        p_ok = sig.valid[AI_P_GC] and not self.blind
        p_gc = sig.value[AI_P_GC]
        p_prot = p_gc  # p_prot (see the header): invalid p_gc, the last good value ...
        if not sig.valid[AI_P_GC]:
            f = sig.fault[AI_P_GC]
            if f == F_RATE or f == F_STUCK:  # ... or the newer sample if higher
                if sig.sample[AI_P_GC] > p_prot:
                    p_prot = sig.sample[AI_P_GC]
            elif sig.kind[AI_P_GC] == 0:
                p_prot = _UNKNOWN_BAR  # not wired
        self._fail_now = self.fail_pct
        if self.blind:  # ... or the guard's substitute if higher; the HPEV holds open
            if guard.p_sub > p_prot:
                p_prot = guard.p_sub
            self._fail_now = guard.hold_pct
        self.p_prot = p_prot
        self.fallback = 0 if p_ok else 1
        self.hp_trip = sig.valid[DI_HP_OK] and sig.value[DI_HP_OK] < 0.5
        self.fans_failed = sig.valid[DI_FAN_OK] and sig.value[DI_FAN_OK] < 0.5
        rise = self._rate(p_prot, dt_s)
        if p_prot > self.p_ovr or self.hp_trip:
            self.override = 1
        elif p_prot < self.p_ovr_off:
            self.override = 0
        p_fc = p_prot + STOP_LEAD_S * rise if rise > 0.0 else p_prot  # forecast
        if rise > _RUNAWAY_BAR_S:  # the HPEV is not taking the flow (see the header)
            p_fc = p_prot + LIM_LEAD_S * rise  # (float work only while running away)
            p_stop = self.p_stop_early
        elif self.fans_failed or (fans_full and pi.u >= pi.hi) or (
                rise > 0.0 and p_prot > self.p_max):
            p_stop = self.p_stop_early  # no actuator left but the compressors (header)
        else:
            p_stop = self.p_stop
        if p_fc > p_stop:
            if not self.comp_stop:
                self.stops += 1
            self.comp_stop = 1
            self._restart_s = now_s + self.restart_delay
        elif self.comp_stop:
            if p_fc > self.p_restart:
                self._restart_s = now_s + self.restart_delay
            elif now_s >= self._restart_s:
                self.comp_stop = 0
        # no backflow (see the header); p_rec unknown: rule off
        p_rec = sig.value[AI_P_REC]
        if self.override or not p_ok or not sig.valid[AI_P_REC]:
            self.no_back = 0
        elif self.no_back:
            if p_gc - p_rec > BACK_OPEN_BAR:  # (float work only while shut)
                self.no_back = 0
                if pi.u < self.fail_pct:  # resume from the restart opening
                    pi.track(self.fail_pct)
        elif p_gc < p_rec and p_rec - p_gc > BACK_CLOSE_BAR:  # (only below p_rec)
            self.no_back = 1
        return self._hpev(p_gc, p_ok, still, dt_s)

    def _hpev(self, p_gc, p_ok, still, dt_s):
        """The HPEV target: override, fallback, no backflow, standstill or the PI."""
        pi = self.pi
        self.limiting = 0
        if self.override:
            u = pi.u + pi.rate_per_s * dt_s  # (the rate limit, hpev_rate_pct_s)
            if u > 100.0:
                u = 100.0
            pi.track(u)
            self.out = u
        elif not p_ok:
            pi.track(self._fail_now)  # resume from the fixed opening when p_gc returns
            self.out = self._fail_now
        elif self.no_back:
            pi.track(0.0)
            self.out = 0.0
        elif still:
            # nothing to control without flow; keep the valve open enough for the
            # restart (it resumes bumplessly from here when the compressors run)
            if pi.u < self.fail_pct:
                pi.track(self.fail_pct)
            self.out = pi.u
        else:
            rise = self.dpdt
            e = p_gc - self.ref
            p_ahead = p_gc + LIM_LEAD_S * rise if rise > 0.0 else p_gc
            if self._hint > p_ahead:  # the discharge temperature says higher
                p_ahead = self._hint
            if p_ahead > self.p_lim:  # max-pressure limiter
                e += LIM_GAIN * (p_ahead - self.p_lim)
                self.limiting = 1
            self.out = pi.step(e, dt_s)
        return self.out
