# The p_gc trust guard: is the gas cooler pressure reading believable, and what the
# controller does while it is not. docs/control.md ("When p_gc cannot be trusted")
# explains the checks and their numbers.
#
# The HP protections (co2hr.gc_pressure) act on p_gc. A transmitter that fails open is
# seen at once, but one that freezes or drifts low reads a harmless pressure while the
# PI closes the HPEV on it and the true pressure climbs; with the fans failed too the
# protections would wait for a pressure the reading never shows. So p_gc is checked
# against what else is measured while the compressors run (from _SETTLE_S after a start,
# from _AMB_MIN_C ambient):
#   * p_rec: the HPEV feeds the receiver, so p_gc cannot be more than _REC_MARGIN_BAR
#     below p_rec (flow runs the other way only in a standstill);
#   * T3, subcritical (T3 < _T3_SUB_MAX_C): CO2 leaving a condenser is at most saturated,
#     so p_gc is at least p_sat(T3) - _SAT_MARGIN_BAR (not while the GC bypass is open:
#     T3 is then not a coil outlet);
#   * the discharge temperature: compression from p_suc (saturated + _SH_K superheat) to
#     p_gc gives T_d = T_s (p_gc / p_suc)^_N_DISCH - _FLASH_K_PER_K (T3 - _FLASH_T3_C):
#     the receiver's flash gas joins the suction colder than the evaporators' superheated
#     gas, and there is more of it the warmer T3 (a fit against CoolProp of the rig's
#     compressor with the flash gas mixed in: within 0.7 K rms, 4 K worst, over T3
#     12-47 degC, p_gc from the COP optimum - 8 bar to 115 bar, p_rec 34-40 bar; without
#     the T3 term the error ran from +2 K to -14 K, so a fan failure, which raises T3,
#     hid a p_gc higher than read). Plus a bias learned while p_gc is trusted, slowly
#     (_BIAS_TAU_S from the first sample: a drift of 0.05 bar/s shows as ~0.06 K/s, which
#     a fast learner would follow within its band). The model is lagged like the
#     sensor in its pocket; the bias is learned only while that lag has settled (within
#     _SETTLING_K of the model at the present reading), and the residual is not judged
#     while p_gc falls faster than that (the real discharge line stays hotter for longer
#     than a first-order lag says; a rise leaves it colder, the safe side). A
#     measured T_d more than _RES_K (_RES_FANS_K with the fan alarm) above the model
#     for _RES_S means p_gc is higher than it reads.
#   * frozen while the plant moves: the p_gc terminal value unchanged for _FROZEN_S while
#     p_rec moved more than _MOVED_BAR (a live transmitter follows any transient of the
#     high side; the stuck check's p_stuck_s alone let p_gc, frozen as the HPEV stuck
#     at 5 % at 45 degC, run 3 bar/s up to the HP switch).
#   * the HP switch open (it opens at 115 bar and re-arms at 100) while p_gc reads below
#     _HP_SW_READ_MIN_BAR: too late to protect this run (the switch acts past the design
#     limit), but it keeps the compressors from the next start on a lying transmitter
#     (a broken switch circuit stops them anyway; its own alarm is hp_switch).
# p_rec is checked too (`rec_bad`, latched until acknowledged): while the compressors run
# the BEV lets receiver gas to suction, so p_rec cannot be more than _SUC_MARGIN_BAR below
# p_suc; the receiver then takes its p_rec-invalid rule (co2hr.receiver: BEV fully open
# while running). It does not catch a p_rec drifting low that the BEV holds at its
# setpoint (docs/control.md, "BEV: receiver pressure").
# A fault the signal layer finds (open, short, range, stuck for p_stuck_s) makes p_gc
# untrusted at once, and it is trusted again after _TRUST_S valid. An implausible reading
# latches until acknowledged (a sensor that lied once is not believed again by itself).
# While p_gc is not trusted (`blind`) the compressors are stopped (`stop`) and do not
# start, the HPEV holds at least the opening it had when trust was lost and
# hpev_fail_pct, the fans run full, and the protections act on the larger of the reading
# and `p_sub`: p_gc inferred from the discharge temperature through the learned model
# or, for the first _EXTRAP_S, the last trusted p_gc going on at the rise it had then
# (-1: neither). Running on in that state was tried: with healthy fans the plant held,
# but an HPEV sticking later ran p_gc up 1-2 bar/s while the discharge temperature lagged
# ~30 s behind, and p_gc reached the HP switch (115 bar); the HP ladder cannot act on a
# pressure nobody measures. The start sequence releases the compressors once p_gc has
# been trusted for _TRUST_S.
# Before a residual latches, `p_hint` already tells the max-pressure limiter: while the
# run is settled and the residual is above _HINT_K, p_gc is taken to be at least the
# reading plus the excess at _HINT_BAR_PER_K (-1: no hint). A reading drifting low at
# 0.05 bar/s while the plant ran at p_gc_max (40 degC) held the reading at the ceiling
# and took the true p_gc to 112.8 bar before the residual passed its latch level; with
# the hint the limiter opens the HPEV on it and the true p_gc stays near p_gc_max + 3 bar
# until the latch stops the compressors. A healthy plant stays within _HINT_K of its
# model (the learned bias takes the fit's offset), and a false hint only opens the HPEV.
# Allocation: the discharge model is evaluated every _MODEL_EVERY_S, not every tick.
from micropython import const

from co2hr.co2sat import p_sat_bar, t_sat_c
from co2hr.io import (
    AI_P_GC,
    AI_P_REC,
    AI_P_SUC,
    AI_T_AMB,
    AI_T_DISCH,
    AI_T_GC_OUT,
    DI_FAN_OK,
    DI_HP_OK,
)
from co2hr.pi import clamp

TRUSTED = const(0)  # STATUS p_gc_trust
INVALID = const(1)  # the signal layer found a fault (open, short, range, stuck)
IMPLAUSIBLE = const(2)  # against p_rec, T3 or the discharge temperature, or frozen
WAIT = const(3)  # valid again, not yet trusted for _TRUST_S
_N_DISCH = 0.285  # discharge temperature exponent (see the header)
_K0 = 273.15
_SH_K = const(10)  # suction superheat the model assumes
_FLASH_K_PER_K = 0.36  # flash gas cools the suction: T_d falls this much per K of T3 ...
_FLASH_T3_C = const(15)  # ... above this T3
_T3_GUESS_K = const(6)  # T3 invalid: ambient + this (a warm guess: the check's safe side)
_BIAS0_K = const(1)  # the model's bias before one was learned
_BIAS_MAX_K = const(8)  # a learned bias is bounded to this
_BIAS_TAU_S = const(900)  # learning time constant: slow, so a drift is not learned away
_LEARN_S = const(600)  # the bias counts as learned after this much good data
_TD_LAG_S = const(30)  # the model is lagged like the discharge sensor in its pocket
_MODEL_EVERY_S = const(5)
_RES_K = const(6)
_RES_FANS_K = const(4)
_RES_S = const(10)
_HINT_K = const(3)  # a residual above this raises p_hint (below every latch level)
_HINT_BAR_PER_K = 1.0  # p_gc per K of the excess: a bar per K (the model gives 1.1-1.4
# K per bar at the top and the lag less: the hint errs high)
_UNLEARNED_K = const(2)  # the band is this much wider until the bias is learned
_SETTLING_K = const(2)  # no residual judged while the lagged model is this far from now
_REC_MARGIN_BAR = const(2)
_SAT_MARGIN_BAR = const(3)
_T3_SUB_MAX_C = const(29)
_SETTLE_S = const(120)
_SUC_MARGIN_BAR = const(1)
_FROZEN_S = const(3)
_MOVED_BAR = const(1)
_AMB_MIN_C = const(10)
_HP_SW_READ_MIN_BAR = const(95)  # the HP switch re-arms at 100 bar; less, read while open
_TRUST_S = const(60)
_EXTRAP_S = const(30)  # the rise at the loss of trust is assumed to go on this long


class HpGuard:
    def __init__(self):
        self.p_max = 105.0  # from co2hr.gc_pressure (configure())
        self.fail_pct = 40.0
        self.trust = TRUSTED
        self.blind = 0
        self.stop = 0
        self.p_sub = -1.0  # p_gc from the discharge temperature while blind (-1: none)
        self.p_hint = -1.0  # p_gc at least this, from the residual (-1: no hint)
        self.hold_pct = 0.0  # the HPEV's least opening while blind
        self.residual = 0.0  # measured - modelled discharge temperature, K
        self.bias = float(_BIAS0_K)
        self._learn_s = 0.0
        self._model = -1.0  # lagged model temperature, degC (< -0.5: none yet)
        self._every_s = 0.0
        self._res_s = 0.0
        self._run_s = 0.0
        self._ok_s = 0.0
        self._latched = 0
        self.rec_bad = 0  # p_rec implausible (latched until acknowledged)
        self._rec_at_freeze = 0.0  # p_rec when the p_gc terminal value last changed
        self._p_last = -1.0  # the protections' p_gc and its rise, last trusted tick
        self._rise = 0.0
        self._blind_s = 0.0  # time since trust was lost (counted up to _EXTRAP_S)
        self._falling = 0  # the lagged model above the present one: p_gc fell faster
        self._t3_c = -100.0  # the T3 _p_sat_lo was made for
        self._p_sat_lo = 0.0  # p_sat(T3) - _SAT_MARGIN_BAR

    def configure(self, gc):
        self.p_max = gc.p_max
        self.fail_pct = gc.fail_pct

    def ack(self):
        """An acknowledge: a latched implausible reading may be trusted again."""
        self._latched = 0
        self.rec_bad = 0

    # --- private helpers
    def _t_suc_k(self, p_suc):
        """The suction temperature the model assumes, K."""
        return t_sat_c(p_suc) + _SH_K + _K0

    def _flash_k(self, sig):
        """How much colder the flash gas from the receiver makes the discharge, K."""
        if sig.valid[AI_T_GC_OUT]:
            t3 = sig.value[AI_T_GC_OUT]
        elif sig.valid[AI_T_AMB]:
            t3 = sig.value[AI_T_AMB] + _T3_GUESS_K
        else:
            return 0.0
        return (t3 - _FLASH_T3_C) * _FLASH_K_PER_K if t3 > _FLASH_T3_C else 0.0

    def _model_c(self, p_gc, p_suc, flash_k):
        """Discharge temperature for compression p_suc -> p_gc (no bias), degC."""
        return self._t_suc_k(p_suc) * (p_gc / p_suc) ** _N_DISCH - _K0 - flash_k

    def _discharge(self, sig, learn, dt):
        """Every _MODEL_EVERY_S: the lagged model, the residual and (learn: p_gc trusted,
        running settled) the bias; no model while T_d or p_suc is invalid."""
        if not (sig.valid[AI_T_DISCH] and sig.valid[AI_P_SUC]):
            self._model = -1.0
            return
        self._every_s += dt
        if self._every_s < _MODEL_EVERY_S:
            return
        step = self._every_s
        self._every_s = 0.0
        m = self._model_c(sig.value[AI_P_GC], sig.value[AI_P_SUC], self._flash_k(sig))
        if self._model < -0.5:
            self._model = m
        else:
            self._model += (m - self._model) * step / (_TD_LAG_S + step)
        d = m - self._model  # the lag still settling (see the header)
        self._falling = d < -_SETTLING_K  # no judgement: T_d lags high
        settling = self._falling or d > _SETTLING_K  # no learning
        r = sig.value[AI_T_DISCH] - self._model
        if learn and not settling:
            self._learn_s += step
            b = self.bias + (r - self.bias) * step / (_BIAS_TAU_S + step)
            self.bias = clamp(b, -_BIAS_MAX_K, _BIAS_MAX_K)
        self.residual = r - self.bias

    def _implausible(self, sig, settled, fans_failed, bypass, dt):
        """True when the reading disagrees with the rest (see the header); settled: the
        compressors have run _SETTLE_S (the receiver check holds in a standstill too)."""
        v = sig.value
        p_gc = v[AI_P_GC]
        # (float work only where the reading is below p_rec, or T3 moved)
        rec_ok = sig.valid[AI_P_REC] and not self.rec_bad
        if rec_ok and p_gc < v[AI_P_REC] and v[AI_P_REC] - p_gc > _REC_MARGIN_BAR:
            return True
        if not settled:
            self._res_s = 0.0
            return False
        t3 = v[AI_T_GC_OUT]
        if sig.valid[AI_T_GC_OUT] and not bypass and t3 < _T3_SUB_MAX_C:
            if t3 != self._t3_c:
                self._t3_c = t3
                self._p_sat_lo = p_sat_bar(t3) - _SAT_MARGIN_BAR
            if p_gc < self._p_sat_lo:
                return True
        if self._model > -0.5 and not self._falling:
            if fans_failed:  # (the heat rejection in doubt: no allowance for the fit)
                lim = _RES_FANS_K
            elif self._learn_s < _LEARN_S:
                lim = _RES_K + _UNLEARNED_K  # (the bias is the fit's until it is learned)
            else:
                lim = _RES_K
            if self.residual > lim:
                self._res_s += dt
                return self._res_s >= _RES_S
        self._res_s = 0.0
        return False

    def _frozen(self, sig, check):
        """The p_gc terminal value frozen while p_rec moved (see the header)."""
        same = sig.same_s[AI_P_GC]
        if same == 0.0 or not sig.valid[AI_P_REC]:
            self._rec_at_freeze = sig.value[AI_P_REC]  # (a reference: nothing allocated)
            return False
        if not check or same < _FROZEN_S:
            return False
        d = sig.value[AI_P_REC] - self._rec_at_freeze
        return d > _MOVED_BAR or d < -_MOVED_BAR

    def _substitute(self, sig):
        """p_gc from the measured discharge temperature through the model, or -1."""
        if self._learn_s < _LEARN_S or not (sig.valid[AI_T_DISCH] and sig.valid[AI_P_SUC]):
            return -1.0
        p_suc = sig.value[AI_P_SUC]
        x = (sig.value[AI_T_DISCH] - self.bias + self._flash_k(sig) + _K0) / self._t_suc_k(p_suc)
        return p_suc * x ** (1.0 / _N_DISCH) if x > 1.0 else p_suc

    # --- API
    def step(self, sig, running, bypass, gc, dt):
        """The trust in p_gc this tick; sets blind, stop, p_sub, hold_pct. running: the
        compressors run; bypass: the GC bypass is open (T3 is not a coil outlet); gc:
        co2hr.gc_pressure as the last tick left it (its p_prot, rise rate and HPEV)."""
        fans_failed = sig.valid[DI_FAN_OK] and sig.value[DI_FAN_OK] < 0.5
        if not running:
            self._run_s = 0.0
        elif self._run_s < _SETTLE_S:  # (counted only as far as it matters)
            self._run_s += dt
        settled = running and self._run_s >= _SETTLE_S
        valid = sig.valid[AI_P_GC]
        warm = valid and sig.valid[AI_T_AMB] and sig.value[AI_T_AMB] >= _AMB_MIN_C
        if not running:
            self._model = -1.0  # the model restarts with the compressors
        elif valid:
            self._discharge(sig, settled and self.trust == TRUSTED, dt)
        if settled and sig.valid[AI_P_REC] and sig.valid[AI_P_SUC]:
            v = sig.value
            if v[AI_P_REC] < v[AI_P_SUC] and v[AI_P_SUC] - v[AI_P_REC] > _SUC_MARGIN_BAR:
                self.rec_bad = 1
        if warm and self._implausible(sig, settled, fans_failed, bypass, dt):
            self._latched = 1
        if self._frozen(sig, running and valid):
            self._latched = 1
        self.p_hint = -1.0
        if settled and valid and self._model > -0.5 and not self._falling and (
                self.residual > _HINT_K):  # (float work only while hinting)
            self.p_hint = sig.value[AI_P_GC] + (self.residual - _HINT_K) * _HINT_BAR_PER_K
        if (sig.valid[DI_HP_OK] and sig.value[DI_HP_OK] < 0.5 and valid
                and sig.value[AI_P_GC] < _HP_SW_READ_MIN_BAR):
            self._latched = 1  # the HP switch open now: p_gc is above its re-arm pressure
        if self._latched:
            self.trust = IMPLAUSIBLE
        elif not valid:
            self.trust = INVALID
        elif self.trust != TRUSTED:
            self._ok_s += dt
            self.trust = TRUSTED if self._ok_s >= _TRUST_S else WAIT
        if self.trust != WAIT:
            self._ok_s = 0.0
        blind = self.trust != TRUSTED
        if blind and not self.blind:  # trust lost: keep at least the opening it had
            u = gc.out
            self.hold_pct = u if u > self.fail_pct else self.fail_pct
            self._blind_s = 0.0
        elif not blind:  # the last trusted pressure and its rise (see the header)
            self._p_last = gc.p_prot
            self._rise = gc.dpdt if gc.dpdt > 0.0 else 0.0
        self.blind = 1 if blind else 0
        self.p_sub = self._substitute(sig) if blind else -1.0
        if blind and self._blind_s < _EXTRAP_S:
            self._blind_s += dt
            p = self._p_last + self._rise * self._blind_s
            if p > self.p_sub:
                self.p_sub = p
        self.stop = self.blind  # (see the header: no running on an untrusted p_gc)
        return self.blind
