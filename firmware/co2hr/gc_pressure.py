# HPEV: the gas cooler pressure reference and its PI loop, with the HP protections.
#
# Reference (DOMAIN.md 2.1), from the measured gas cooler outlet temperature T3:
#   subcritical   T3 <= t_trans:  p_sat(max(T3 + subcooling, t_cond_min))
#   transition    t_trans < T3 < 30.2: linear from there to the first transcritical
#                 point, so the reference is continuous as T3 crosses the critical zone
#   transcritical T3 >= 30.2: the COP-optimal table of co2sat (biased above the optimum
#                 near the critical point, see there why)
# then the heat-recovery raise (demand 1..8 V -> 0..1 of the way up to p_hr_max), the
# floor p_sat(t_cond_min), the ceiling p_gc_max - REF_MARGIN_BAR, and a rate limit on
# the reference.
# Gas cooler bypass open (DOMAIN.md 2.3, 9.6 V): T3 is then the HRHX outlet, not an
# air-cooled outlet, and the transcritical COP table read at 40-50 degC asks for the
# ceiling; with nothing but the HRHX taking the heat p_gc followed it up and the HP fan
# safety had to close the bypass. The reference stays at p_hr_max while it is open.
# Low-ambient GC bypass open (receiver pressure, co2hr.receiver.RecBypass): it opens only
# subcritical with the reference at its floor; T3 is then discharge gas that missed the
# coil, which would read as transcritical and ask for ~90 bar. The reference and the
# regime stay at the subcritical floor p_sat(t_cond_min) while it is open.
# T3 invalid -> the fixed p_ref_fail reference (a conservative transcritical level) and
# NO heat-recovery raise: forced operation stops while the controller does not know the
# regime (a raise on top of a guess could push an unknown operating point anywhere).
#
# Loop: PI on (p_gc - ref), opening lowers the pressure. Protections, in order:
#   max-pressure limiter: when p_gc + LIM_LEAD_S * (its rise rate) is above p_lim =
#                    p_gc_max - REF_MARGIN_BAR (the reference ceiling) the excess is
#                    amplified LIM_GAIN times, so the HPEV opens hard before p_gc
#                    reaches p_gc_max (the PI alone creeps ~1 bar over a reference that
#                    sits at the ceiling while the load rises). The rate lead matters
#                    when the reference itself ramps up to the ceiling with p_gc right
#                    behind it (ambient step: ~0.5 bar/s, error ~0): acting only on
#                    p_gc > p_lim let p_gc pass p_gc_max by 0.2 bar. In steady state the
#                    rate is 0 and the limiter costs nothing (no offset below the ref);
#   p > p_hp_ovr:    the HPEV is driven open at its rate limit (the PI tracks it, so
#                    control resumes bumplessly), until p < p_hp_ovr - 2 bar; the HP
#                    safety switch opening (hp_trip) forces the same;
#   p > p_hp_stop:   compressor enable released; it returns comp_restart_s after
#                    p fell below p_hp_ovr - 5 bar (counted, alarmed, latched alarm).
#                    "p" here is p + STOP_LEAD_S * (its rise rate): the compressors
#                    take a tick to stop, and at 1-2 bar/s the plain threshold landed a
#                    bar late. With the fans failed (fan_fail), or at full speed with
#                    the HPEV fully open (fans_full), the stop level is p_gc_max -
#                    STOP_EARLY_MARGIN_BAR: no actuator but the compressors is left
#                    (a failed fan takes the HPEV's authority too: it only moves
#                    charge, nothing rejects the heat; the override would only ask
#                    for an opening the HPEV already has). With failed fans, waiting
#                    for p_hp_stop ended above 110 bar; a restart after the delay
#                    meets the same early stop, so each run stays below p_gc_max.
# "p" for the protections is p_prot: the measured p_gc while valid; while p_gc is
# invalid the caller passes the last good value, or the newer sample when that is
# higher and only failed the rate/stuck check, so a sensor fault never removes the
# HP protection (it can only make it act earlier).
# p_gc invalid -> HPEV to hpev_fail_pct (fixed safe opening) and alarm, unless the
# override acts (then the HPEV keeps opening).
# Compressors standing still -> the HPEV holds at least hpev_fail_pct: a PI left to
# wind shut while nothing flows makes the restart compress against a closed valve.
# No backflow: the HPEV is shut (`no_back`) while p_gc is more than BACK_CLOSE_BAR below
# p_rec, and opens again once p_gc is BACK_OPEN_BAR above p_rec, to at least the
# restart opening. At very low ambient the stopped high side cools towards ambient
# saturation (-25 degC: 17 bar): the restart opening let the receiver drain backwards
# into the gas cooler (-0.2 kg/s), p_rec fell from 35 to 22 bar, below p_suc, the case
# valves had no pressure difference left and the pack never restarted. A restart
# against the shut valve is harmless there (p_gc starts far below p_rec, its
# reference and the HP limits). The margin keeps the rule out of an ordinary
# standstill, where p_gc and p_rec only equalise (fan_failure_hot_day: 56.6 vs 56.7
# bar after an HP stop; shut there, the restart drove p_gc to 105.8 bar). It acts
# while the compressors run too (a cold restart: the PI alone would sit at
# hpev_min_pct and let flow back). Override and p_gc invalid come first.
# Allocation (MicroPython boxes every float result): what depends only on the settings
# (the transition start, the protection thresholds) is computed in configure(), the
# reference step per tick once per tick length, and the COP reference only when T3
# changed; no tuples per tick.
from co2hr.co2sat import T_CRIT_C, TC_P, TC_T, p_sat_bar, p_tc_bar
from co2hr.pi import PI, clamp

REG_SUB = 0
REG_TRANS = 1
REG_TC = 2
REF_MARGIN_BAR = 0.4  # the reference stays this far below p_gc_max (limiter starts here)
LIM_GAIN = 9.0  # extra error per bar above the limiter threshold
LIM_LEAD_S = 3.0  # the limiter acts on p_gc this many seconds ahead at its rise rate
STOP_LEAD_S = 2.0  # the compressor stop likewise
RATE_TAU_S = 1.0  # filter time constant of the p_gc rise rate
BACK_CLOSE_BAR = 0.5  # HPEV shut when p_gc is this far below p_rec (no backflow) ...
BACK_OPEN_BAR = 2.0  # ... and open again when p_gc is this far above p_rec
STOP_EARLY_MARGIN_BAR = 0.2  # the early compressor stop (fans spent) acts this far below
# p_gc_max: the release takes a tick to act while p_gc creeps 0.01-0.05 bar/s at the top


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


def cop_reference_bar(t3_c, subcool_k, t_trans_c, t_cond_min_c, p_min=0.0):
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
        self.p_min = 45.0
        self.p_max = 105.0
        self.ref = 0.0  # reference in force, bar (0 until the first tick)
        self.p_opt = 0.0  # COP-optimal reference before the HR raise
        self.raise_bar = 0.0
        self.regime = REG_SUB
        self.override = 0  # HP override active
        self.comp_stop = 0  # compressor enable released
        self.fallback = 0  # p_gc invalid
        self.limiting = 0  # max-pressure limiter acting
        self.no_back = 0  # p_gc below p_rec: HPEV shut (no backflow, see the header)
        self.t3_fallback = 0
        self.stops = 0  # HP stop events
        self.dpdt = 0.0  # filtered rate of p_prot, bar/s
        self._p_last = -1.0  # p_prot of the last tick (< 0: none)
        self._rate_dt = -1.0  # tick length the rate filter factor was made for
        self._rate_a = 0.0  # dt / (dt + RATE_TAU_S)
        self._rate_inv = 0.0  # 1 / dt
        self._restart_s = 0.0
        self.out = 30.0
        self._t3_c = 0.0  # T3 the cached COP reference _p_cop was computed for
        self._have_cop = 0  # 0: recompute (first tick, settings changed)
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
        self.p_lim = self.p_max - REF_MARGIN_BAR  # reference ceiling and limiter start
        if self.p_lim < self.p_min:
            self.p_lim = self.p_min
        self.p_hr_max = s.get("p_hr_max_bar")
        self.ref_rate = s.get("p_ref_rate_bar_s")
        self.p_fail = s.get("p_ref_fail_bar")
        self.p_ovr = max(s.get("p_hp_ovr_bar"), self.p_max + 1.0)
        self.p_stop = max(s.get("p_hp_stop_bar"), self.p_ovr + 1.0)
        self.p_stop_early = self.p_max - STOP_EARLY_MARGIN_BAR
        self.p_ovr_off = self.p_ovr - 2.0  # override ends below
        self.p_restart = self.p_ovr - 5.0  # compressor restart timer runs below
        self._p0 = _trans_start(self.subcool, self.t_trans, self.t_cond_min)
        self._dp0 = TC_P[0] - self._p0
        self._dt0 = TC_T[0] - self.t_trans
        self._have_cop = 0
        self._dt_s = -1.0
        self.fail_pct = s.get("hpev_fail_pct")
        self.rate = s.get("hpev_rate_pct_s")
        self.restart_delay = s.get("comp_restart_s")
        self.pi.tune(s.get("hpev_kp"), s.get("hpev_ti_s"), self.rate)
        self.pi.set_limits(s.get("hpev_min_pct"), s.get("hpev_max_pct"))

    def reference(self, t3_c, t3_ok, raise_frac, dt_s, gc_bypass=0, rec_bypass=0):
        """Update self.ref. raise_frac 0..1: share of the HR raise (demand 1..8 V).
        gc_bypass: the gas cooler bypass is open (the reference stays <= p_hr_max).
        rec_bypass: the low-ambient bypass is open (subcritical floor, see the header)."""
        if rec_bypass:
            p = self.p_min
            self.regime = REG_SUB
            self.t3_fallback = 0  # T3 is not used while it is open
        elif t3_ok:
            if not self._have_cop or t3_c != self._t3_c:
                self._p_cop = cop_ref_bar(t3_c, self.subcool, self.t_trans, self.t_cond_min,
                                          self.p_min, self._p0, self._dp0, self._dt0)
                self._reg_cop = regime(t3_c, self.t_trans)
                self._t3_c = t3_c
                self._have_cop = 1
            p = self._p_cop
            self.regime = self._reg_cop
            self.t3_fallback = 0
        else:
            p = self.p_fail
            self.regime = REG_TC
            self.t3_fallback = 1
            raise_frac = 0.0  # no forcing on top of a guessed regime (see the header)
        p = clamp(p, self.p_min, self.p_lim)
        self.p_opt = p
        raise_frac = clamp(raise_frac, 0.0, 1.0)
        target = p
        if raise_frac > 0.0 and self.p_hr_max > p:
            target = p + (self.p_hr_max - p) * raise_frac
        if gc_bypass and target > self.p_hr_max:
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

    def step(self, p_gc, p_ok, dt_s, now_s, p_prot=-1.0, hp_trip=0, still=0, fan_fail=0,
             fans_full=0, p_rec=-1.0):
        """HPEV opening target (before the output stage); sets the protection flags.
        p_prot: the pressure the protections use while p_gc is invalid (see the header;
        < 0: unknown, only hp_trip protects). hp_trip: the HP safety switch is open.
        still: the compressors stand still (the HPEV holds at least hpev_fail_pct).
        fan_fail: the gas cooler fans have failed (compressor stop at p_gc_max);
        fans_full: they run at full speed (stop at p_gc_max once the HPEV is fully open).
        p_rec: receiver pressure for the no-backflow rule (< 0: unknown, rule off)."""
        pi = self.pi
        if p_ok:
            p_prot = p_gc
        self.fallback = 0 if p_ok else 1
        rise = self._rate(p_prot, dt_s)
        if p_prot > self.p_ovr or hp_trip:
            self.override = 1
        elif p_prot < self.p_ovr_off:
            self.override = 0
        p_fc = p_prot + STOP_LEAD_S * rise if rise > 0.0 else p_prot  # forecast
        if fan_fail or (fans_full and pi.u >= pi.hi):
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
        self.limiting = 0
        if self.override or not p_ok or p_rec < 0.0:
            self.no_back = 0
        elif self.no_back:
            if p_gc - p_rec > BACK_OPEN_BAR:  # (float work only while shut)
                self.no_back = 0
                if pi.u < self.fail_pct:  # resume from the restart opening
                    pi.track(self.fail_pct)
        elif p_gc < p_rec and p_rec - p_gc > BACK_CLOSE_BAR:  # (only below p_rec)
            self.no_back = 1
        if self.override:
            u = pi.u + self.rate * dt_s
            if u > 100.0:
                u = 100.0
            pi.track(u)
            self.out = u
        elif not p_ok:
            pi.track(self.fail_pct)  # resume from the fixed opening when p_gc returns
            self.out = self.fail_pct
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
            e = p_gc - self.ref
            p_ahead = p_gc + LIM_LEAD_S * rise if rise > 0.0 else p_gc
            if p_ahead > self.p_lim:  # max-pressure limiter
                e += LIM_GAIN * (p_ahead - self.p_lim)
                self.limiting = 1
            self.out = pi.step(e, dt_s)
        return self.out
