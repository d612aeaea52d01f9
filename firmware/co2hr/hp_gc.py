# The heat pump's HPEV: the gas cooler pressure loop and the high-side protections.
# docs/heatpump.md ("The application") describes them.
#
# * Reference: co2hr.hp_pressure, the pressure of best heating COP for the CO2 leaving
#   the gas cooler, never below what the supply needs, capped at hp_p_max_bar. Its inputs
#   fall back when a sensor is invalid: T3 -> the return + _APPROACH_K, the return -> T3
#   - _APPROACH_K; both T3 and the return invalid: the ceiling (the supply is reached,
#   the COP is lower). The evaporating temperature comes already substituted
#   (co2hr.hp_controller: the air less its fallback difference).
# * Loop: a PI on p_gc - reference (opening lowers the pressure); while the compressor
#   stands still the valve waits at hp_hpev_start_pct, so no start meets a closed HPEV.
# * Override: above hp_p_ovr_bar the HPEV opens fully and the compressor slows (the
#   capacity reads `override`) until p_gc is _OVR_HYST_BAR below it.
# * Stop: above hp_p_stop_bar, the HP switch open, p_gc invalid (every protection acts
#   on it) or the discharge above hp_t_disch_max_c, the compressor stops (`stop`); it may
#   restart once the cause has gone (p_gc _STOP_HYST_BAR below the override, the
#   discharge _DISCH_HYST_K below its limit), through the start sequence.
# * A tick ahead: override and stop act on the newest p_gc sample (unfiltered) plus its
#   rise over the last tick, so a pressure running away (a valve stuck shut) is stopped
#   before the tick in which it would pass the stop, not after (the design pressure is
#   110 bar, the stop <= 109).
# * Lockout: the _LOCK_STOPS-th pressure stop within _LOCK_WINDOW_S locks the compressor
#   out (`locked`, alarm hpev_blocked) until acknowledged: an HPEV that does not pass
#   its flow makes every restart a runaway.
from micropython import const

from co2hr.hp_pressure import HpPressure
from co2hr.io import AI_P_GC, AI_T_DISCH, AI_T_GC_OUT, AI_T_W_IN, DI_HP_OK
from co2hr.pi import PI

_APPROACH_K = 3.0  # CO2 leaving the gas cooler above the return (a clean gas cooler)
_OVR_HYST_BAR = 2.0
_STOP_HYST_BAR = 4.0
_DISCH_HYST_K = 10.0
_FULL_PCT = const(100)
_LOCK_STOPS = const(3)
_LOCK_WINDOW_S = const(3600)

STOP_NONE = const(0)  # `stop`: why the compressor is stopped by the high side
STOP_P_GC = const(1)  # above hp_p_stop_bar
STOP_SWITCH = const(2)  # the HP switch is open (or its input invalid)
STOP_BLIND = const(3)  # p_gc invalid
STOP_DISCH = const(4)  # discharge above t_disch_max_c


class HpGc:
    def __init__(self):
        self.pi = PI(1.5, 30.0, 0.0, 100.0, 5.0, 40.0)
        self.press = HpPressure()
        self.p_ovr = 106.0  # the settings (configure())
        self.p_stop = 108.0
        self.start_pct = 40.0
        self.t_disch_max = 140.0
        self.ref_bar = 0.0
        self.override = 0
        self.stop = STOP_NONE
        self.stops = 0  # stops by the high side since boot (the event log's HP stops)
        self.out = 40.0
        self.p_ahead = 0.0  # p_gc a tick ahead: the newest sample plus its last rise
        self._p_prev = -1.0
        self.locked = 0
        self._stop_s = [-1e9] * _LOCK_STOPS  # when the last pressure stops came (ring)
        self._stop_k = 0

    def configure(self, s):
        self.press.configure(s)
        self.p_ovr = s.get("hp_p_ovr_bar")
        self.p_stop = s.get("hp_p_stop_bar")
        self.start_pct = s.get("hp_hpev_start_pct")
        self.t_disch_max = s.get("hp_t_disch_max_c")
        self.pi.tune(s.get("hp_hpev_kp"), s.get("hp_hpev_ti_s"), s.get("hp_hpev_rate_pct_s"))

    def _reference(self, sig, te_c, sp_c):
        v = sig.value
        ok = sig.valid
        t3 = v[AI_T_GC_OUT]
        t_ret = v[AI_T_W_IN]
        if not ok[AI_T_GC_OUT] and not ok[AI_T_W_IN]:
            self.ref_bar = self.press.p_max
            return self.ref_bar
        if not ok[AI_T_GC_OUT]:
            t3 = t_ret + _APPROACH_K
        elif not ok[AI_T_W_IN]:
            t_ret = t3 - _APPROACH_K
        self.ref_bar = self.press.ref(t3, te_c, sp_c, t_ret)
        return self.ref_bar

    def _ahead(self, sig):
        if not sig.valid[AI_P_GC]:
            self._p_prev = -1.0
            return
        p = sig.sample[AI_P_GC]
        rise = p - self._p_prev if self._p_prev >= 0.0 else 0.0
        self._p_prev = p
        self.p_ahead = p + rise if rise > 0.0 else p

    def _stop_cause(self, sig):
        v = sig.value
        ok = sig.valid
        if not ok[AI_P_GC]:
            return STOP_BLIND
        if not ok[DI_HP_OK] or v[DI_HP_OK] < 0.5:
            return STOP_SWITCH
        p = self.p_ahead
        if p > self.p_stop or (self.stop == STOP_P_GC and p > self.p_ovr - _STOP_HYST_BAR):
            return STOP_P_GC
        if ok[AI_T_DISCH]:
            t = v[AI_T_DISCH]
            if t > self.t_disch_max or (self.stop == STOP_DISCH
                                        and t > self.t_disch_max - _DISCH_HYST_K):
                return STOP_DISCH
        return STOP_NONE

    def ack(self):
        """The technician's acknowledgement ends a lockout."""
        self.locked = 0
        for k in range(_LOCK_STOPS):
            self._stop_s[k] = -1e9

    def _count_stop(self, stop, now_s):
        self.stops += 1
        if stop != STOP_P_GC:
            return
        k = self._stop_k
        self._stop_s[k] = now_s
        k = (k + 1) % _LOCK_STOPS
        self._stop_k = k  # (now the oldest of the last _LOCK_STOPS)
        if now_s - self._stop_s[k] <= _LOCK_WINDOW_S:
            self.locked = 1

    def step(self, sig, dt_s, running, te_c, sp_c, now_s):
        """One tick: running (the compressor turns), the evaporating temperature (already
        substituted when invalid), the supply setpoint. Returns the HPEV command (%)."""
        self._ahead(sig)
        stop = self._stop_cause(sig)
        if stop != self.stop:
            if stop and not self.stop:
                self._count_stop(stop, now_s)
            self.stop = stop
        pi = self.pi
        if not sig.valid[AI_P_GC]:
            pi.track(self.start_pct if pi.u < self.start_pct else pi.u)
            self.out = pi.u
            return self.out
        p = sig.value[AI_P_GC]
        pa = self.p_ahead
        self.override = 1 if pa > self.p_ovr or (self.override and
                                                 pa > self.p_ovr - _OVR_HYST_BAR) else 0
        ref = self._reference(sig, te_c, sp_c)
        if self.override:
            pi.track(_FULL_PCT)
        elif not running:
            pi.track(self.start_pct)
        else:
            pi.step(p - ref, dt_s)
        self.out = pi.u
        return self.out
