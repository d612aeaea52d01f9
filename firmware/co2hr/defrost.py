# Defrost of the heat pump's outdoor coil: on demand, with a timed fallback.
# docs/heatpump.md ("Defrost") explains the rule and its numbers.
#
# Frost on the fins lowers the coil's UA and its air flow, so for the same duty the
# evaporating temperature falls further below the air. The demand is read from that
# driving difference, normalised for what else moves it: the duty (the compressor's
# load) and the fans' share of UA (air-side UA ~ air flow^0.6):
#     f = (t_air - t_evap) * (fan/100)^0.6 / (load/100)
# After each defrost (and at boot) the clean coil's f0 is learned over a short window
# once the coil has settled: the compressor has run df_settle_s since it started (f is
# read only then, after every start); a defrost is demanded when the filtered f has risen by
# df_rise_pct above f0. A timed defrost (df_interval_s of frosting run time) stands in
# whenever the demand cannot be read (air or evaporating pressure invalid) or the mode
# setting asks for it; in demand mode a backstop interval bounds a missed demand.
# Frosting run time counts only while the compressor runs in air below df_t_air_max_c
# (air invalid: counted, frost is assumed) and the evaporator is below 0 degC.
#
# The method: the fans alone in air at or above df_fans_t_air_c (the air melts the
# frost), hot gas otherwise. The defrost ends on the coil temperature (hot gas at
# df_t_end_c; fans-only once the coil is above 0 degC and within _FANS_END_K of the
# air) or at df_max_s, then the coil drips for df_drip_s with the fans stopped.
from micropython import const

from co2hr.co2sat import t_sat_c

RUN = const(0)  # `state`: evaporating, frost may grow
HOT_GAS = const(1)  # hot gas through the coil, fans stopped
FANS_ONLY = const(2)  # evaporation stopped, fans at full speed
DRIP = const(3)  # water runs off; no evaporation, fans stopped

WHY_NONE = const(0)  # `why`: the last defrost's reason
WHY_DEMAND = const(1)
WHY_TIMED = const(2)  # mode timed, or the demand could not be read
WHY_BACKSTOP = const(3)  # demand mode, no demand for df_backstop_s

END_NONE = const(0)  # `end`: how the last defrost ended
END_COIL = const(1)  # on the coil temperature
END_TIME = const(2)  # at df_max_s (the coil sensor invalid, or too little heat)

MODE_TIMED = const(0)  # df_mode
MODE_DEMAND = const(1)

_LEARN_S = const(120)  # window over which f0 is averaged
_FILT_S = const(60)  # time constant of the demand filter
_LOAD_MIN_PCT = const(20)  # below it the duty is too small to read frost from
_FAN_MIN_PCT = const(10)
_DT_MIN_K = 0.5  # a driving difference below this says nothing
_FANS_END_K = 1.0  # fans-only ends this close below the air
_FANS_END_MIN_C = 0.5  # ... and not before the frost (held at 0 degC) is gone
_UA_FAN_EXP = 0.6  # air-side UA ~ air flow^0.6


class Defrost:
    def __init__(self):
        self.mode = MODE_DEMAND  # the settings (configure())
        self.t_air_max = 7.0
        self.rise = 0.25
        self.interval_s = 3600.0
        self.min_s = 1200.0
        self.backstop_s = 14400.0
        self.t_end = 10.0
        self.max_s = 900.0
        self.drip_s = 120.0
        self.fans_t_air = 3.0
        self.settle_s = 300.0
        self.state = RUN
        self.why = WHY_NONE
        self.end = END_NONE
        self.fallback = 0  # the demand cannot be read: timed
        self.coil_fallback = 0  # the coil sensor invalid: ends at df_max_s
        self.f = 0.0  # filtered frost indicator, K
        self.f0 = 0.0  # clean-coil indicator, 0 until learned
        self.frost_s = 0.0  # frosting run time since the last defrost
        self.run_s = 0.0  # time in RUN since the last defrost
        self.on_s = 0.0  # the compressor's run since it started (or the last defrost)
        self.state_s = 0.0  # time in the current defrost or drip state
        self.count = 0  # defrosts since boot (the application keeps the totals)
        self.defrost_s = 0.0  # time spent defrosting and dripping
        self._sum = 0.0
        self._n = 0
        self._learn_s = 0.0

    def configure(self, s):
        self.mode = s.get("df_mode")
        self.t_air_max = s.get("df_t_air_max_c")
        self.rise = s.get("df_rise_pct") / 100.0
        self.interval_s = s.get("df_interval_s")
        self.min_s = s.get("df_min_s")
        self.backstop_s = s.get("df_backstop_s")
        self.t_end = s.get("df_t_end_c")
        self.max_s = s.get("df_max_s")
        self.drip_s = s.get("df_drip_s")
        self.fans_t_air = s.get("df_fans_t_air_c")
        self.settle_s = s.get("df_settle_s")

    # -- the demand ---------------------------------------------------------------------

    def _indicator(self, t_air_c, t_evap_c, load_pct, fan_pct):
        """f (K) for this tick, or -1.0 when the duty says nothing about the frost."""
        dt_k = t_air_c - t_evap_c
        if load_pct < _LOAD_MIN_PCT or fan_pct < _FAN_MIN_PCT or dt_k < _DT_MIN_K:
            return -1.0
        return dt_k * (fan_pct / 100.0) ** _UA_FAN_EXP * 100.0 / load_pct

    def _watch(self, dt_s, f_now):
        """Learn f0 in the window after the settle time, then filter f. Only once the
        compressor has run settle_s since it started: a start's transient is not frost
        (learnt from it, f0 is too low, and the settled coil reads as frosted)."""
        if f_now < 0.0 or self.on_s < self.settle_s:
            return
        if self.f0 == 0.0:
            self._sum += f_now
            self._n += 1
            self._learn_s += dt_s
            if self._learn_s >= _LEARN_S:
                self.f0 = self._sum / self._n
                self.f = self.f0
            return
        self.f += (f_now - self.f) * min(1.0, dt_s / _FILT_S)

    def _why_start(self):
        """The reason to start a defrost now, or WHY_NONE."""
        timed = self.mode == MODE_TIMED or self.fallback
        if timed:
            return WHY_TIMED if self.frost_s >= self.interval_s else WHY_NONE
        if self.frost_s >= self.backstop_s:
            return WHY_BACKSTOP
        if self.f0 > 0.0 and self.run_s >= self.min_s and self.frost_s > 0.0 \
                and self.f > self.f0 * (1.0 + self.rise):
            return WHY_DEMAND
        return WHY_NONE

    def _run(self, dt_s, t_air_c, air_ok, p_evap_bar, p_ok, load_pct, fan_pct):
        self.run_s += dt_s
        self.on_s = self.on_s + dt_s if load_pct > 0.0 else 0.0
        self.fallback = 0 if air_ok and p_ok else 1
        t_evap_c = t_sat_c(p_evap_bar) if p_ok else 0.0
        cold = not air_ok or t_air_c < self.t_air_max
        if load_pct > 0.0 and cold and (not p_ok or t_evap_c < 0.0):
            self.frost_s += dt_s
        if not self.fallback:
            self._watch(dt_s, self._indicator(t_air_c, t_evap_c, load_pct, fan_pct))
        why = self._why_start()
        if why != WHY_NONE:
            self.why = why
            self.count += 1
            fans = air_ok and t_air_c >= self.fans_t_air
            self._enter(FANS_ONLY if fans else HOT_GAS)

    # -- the defrost ----------------------------------------------------------------------

    def _enter(self, state):
        self.state = state
        self.state_s = 0.0

    def _melted(self, t_air_c, air_ok, t_coil_c):
        """The coil is clear: its temperature says so for the method running."""
        if self.state == HOT_GAS:
            return t_coil_c >= self.t_end
        end_c = self.t_end
        if air_ok:
            end_c = min(end_c, t_air_c - _FANS_END_K)
        return t_coil_c >= max(end_c, _FANS_END_MIN_C)

    def _defrost(self, t_air_c, air_ok, t_coil_c, coil_ok):
        self.coil_fallback = 0 if coil_ok else 1
        if coil_ok and self._melted(t_air_c, air_ok, t_coil_c):
            self.end = END_COIL
            self._enter(DRIP)
        elif self.state_s >= self.max_s:
            self.end = END_TIME
            self._enter(DRIP)

    def _drip_done(self):
        self._enter(RUN)
        self.run_s = 0.0
        self.on_s = 0.0
        self.frost_s = 0.0
        self.f0 = 0.0
        self._sum = 0.0
        self._n = 0
        self._learn_s = 0.0

    # -- API ------------------------------------------------------------------------------

    def step(self, dt_s, t_air_c, air_ok, p_evap_bar, p_ok, t_coil_c, coil_ok,
             load_pct, fan_pct):
        """One tick. The air temperature at the coil inlet, the evaporating (suction)
        pressure, the coil temperature, each with its validity; the compressor's load
        and the fans' speed (%). Returns the state (RUN, HOT_GAS, FANS_ONLY, DRIP)."""
        if self.state == RUN:
            self._run(dt_s, t_air_c, air_ok, p_evap_bar, p_ok, load_pct, fan_pct)
            return self.state
        self.state_s += dt_s
        self.defrost_s += dt_s
        if self.state == DRIP:
            if self.state_s >= self.drip_s:
                self._drip_done()
        else:
            self._defrost(t_air_c, air_ok, t_coil_c, coil_ok)
        return self.state

    def evaporating(self):
        """The coil may evaporate (the compressor may take heat from the air)."""
        return self.state == RUN

    def fans_pct(self, want_pct):
        """The fans' command in this state: the loop's own in RUN."""
        if self.state == RUN:
            return want_pct
        return 100.0 if self.state == FANS_ONLY else 0.0
