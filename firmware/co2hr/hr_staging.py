# Heat-recovery staging from the 0-10 V demand, the pump and the HR 3-way valve.
# docs/control.md ("Heat recovery") explains the strategy and its numbers.
# Where the demand comes from (hr_demand_src, demand()): 0 the 0-10 V input; 1 the tank
# temperature against t_tank_sp_c, through a PI (hr_tank_kp, hr_tank_ti_s) that makes
# the same 0-10 V scale, as pack controllers do (tank sensor invalid: demand invalid);
# 2 a demand the BMS writes over Modbus (command bms_demand_v), invalid once it has not
# been written for hr_bms_timeout_s (and until it first is). An invalid demand
# permits nothing (ALLOW_NONE): heat recovery off, the safe side.
#   pump + 3-way valve on rising past 0.5 V, off falling past 0.3 V
#   1 -> 8 V   pressure raise fraction 0 -> 1 (to p_hr_max)
#   8 -> 9 V   fan reduction fraction 0 -> 1
#   GC bypass asked for rising past 9.6 V, released falling past 9.3 V (`bypass`;
#   whether the valve opens is co2hr.gc_bypass's decision)
# Stage (status hr_stage): _STAGE_OFF .. _STAGE_BYPASS, what the demand asks for.
# Permission (permit(), the `allow` of staging()): ALLOW_NONE while the mode is Off or
# Standby, the external enable is off or invalid, or the demand is invalid;
# ALLOW_SURPLUS (surplus heat only: pump and valve, no forcing) in Max-COP and Manual;
# ALLOW_FULL (the full staging) in Heat-recovery mode.
#
# The 3-way valve modulates (PI) the share of CO2 through the HRHX so the water leaves at
# t_w_out_sp. While the GC bypass is open (gc_open: the output of the last tick) it stays
# fully open and the setpoint yields: with the gas cooler bypassed the HRHX is the only
# heat sink, and CO2 the valve steered around it would reach the HPEV at discharge
# temperature (a hot T3, flash gas, more compressor flow and a rising p_gc, until the HP
# fan safety closed the bypass).
# Only there: with the gas cooler in the path (fan reduction, or the bypass held shut by
# the HP safety) the setpoint stays in force, and a valve it closes ends the fan
# reduction (`sink` below) instead of leaving the HP fan safety to hunt at p_gc_max
# with a hot tank.
# It goes to 0 (CO2 bypasses the HRHX), GC bypass open or not, when
#   * the CO2 entering the HRHX (t_disch) is not at least hr_dt_min warmer than the
#     water coming in (no backwards heat; 2 K hysteresis), or
#   * the water outlet is over t_w_max (boiling protection; back 5 K below), or
#   * a temperature it needs (t_disch, t_w_in, t_w_out) is invalid.
#
# Fan reduction (8-9 V) and the GC bypass (9.6 V) take the gas cooler's heat sink away,
# so they may only act while heat recovery really takes the heat (`sink`): pump running,
# the 3-way valve open (at least SINK_ON_PCT, until it falls below SINK_OFF_PCT), no
# over-temperature or backwards-heat bypass, temperatures valid. Otherwise (hot tank,
# water at its setpoint, CO2 too cold) the fans run normally and the bypass stays shut,
# whatever the demand says: `fan_cut` is the reduction that acts; co2hr.gc_bypass asks
# `sink` for the bypass. `stage` still reports the demand's stage. The water must also
# warm across the HRHX (`warm`: outlet more than _WARM_ON_K above the inlet, until it is
# less than _WARM_OFF_K above): an open valve with a cold HRHX takes nothing.
#
# Forcing only while it recovers heat: the pressure raise (`raise_frac`, what the
# pressure loop applies) is kept while the HRHX takes the heat (`sink`). Without a sink
# a raise may start on demand while the water asks for heat (outlet below t_w_out_sp,
# not too hot, temperatures valid: a hotter discharge is what lets CO2 that is too cold
# heat the water), for at most hr_proof_s (`proving`). If no heat is taken by then the
# raise is dropped (the reference winds down at its rate) and is not tried again
# (`held`) for hr_retry_s, unless the demand moves by more than _RETRY_DV or heat
# recovery is switched off. With the water at its setpoint (a full tank) nothing can be
# recovered and no raise starts at all.
#
# Sequencing: the pump runs up first; the 3-way valve stays shut until the pump is at
# _PUMP_UP_SHARE of its run speed (the output, as the last tick left it). When heat
# recovery stops the valve closes first; the pump runs on while the valve is open and
# hr_pump_post_s after it closed, so no hot CO2 reaches a still exchanger.
from micropython import const

from co2hr.io import AI_DEMAND, AI_T_DISCH, AI_T_TANK, AI_T_W_IN, AI_T_W_OUT, DI_EXT_ENABLE
from co2hr.modes import HEAT_RECOVERY, MANUAL, MAX_COP
from co2hr.pi import PI

ALLOW_NONE = const(0)  # permissions (see the header)
ALLOW_SURPLUS = const(1)
ALLOW_FULL = const(2)
_STAGE_OFF = const(0)  # stages (status hr_stage)
_STAGE_PUMP = const(1)  # pump and 3-way valve
_STAGE_RAISE = const(2)  # pressure raise
_STAGE_FAN = const(3)  # fan reduction
_STAGE_BYPASS = const(4)  # GC bypass asked for
ON_V = 0.5
OFF_V = 0.3
RAISE_LO_V = 1.0
RAISE_HI_V = 8.0
FAN_LO_V = 8.0
FAN_HI_V = 9.0
BYP_ON_V = 9.6
BYP_OFF_V = 9.3
_BACKHEAT_HYST_K = 2.0
_HOT_HYST_K = 5.0
SINK_ON_PCT = 20.0  # 3-way valve opening from which the HRHX counts as a heat sink
SINK_OFF_PCT = 10.0
VALVE_FULL_PCT = 100.0  # 3-way valve all through the HRHX (GC bypass open)
_WARM_ON_K = 1.0  # water warming across the HRHX: on above this rise ...
_WARM_OFF_K = 0.3  # ... off below this
_RETRY_DV = 1.0  # a held raise is tried again when the demand moved this far
_PUMP_UP_SHARE = 0.9  # the valve opens once the pump is at this share of its speed
_SRC_TANK = const(1)  # hr_demand_src (see the header; 0: the 0-10 V input)
_SRC_BMS = const(2)
_DEMAND_MAX_V = const(10)
_TANK_RATE_V_S = 0.1  # the tank PI's output rate limit
# Spans as constants: module floats are not folded, each `A - B` per tick would allocate
_RAISE_SPAN_V = RAISE_HI_V - RAISE_LO_V
_FAN_SPAN_V = FAN_HI_V - FAN_LO_V


class HrStaging:
    def __init__(self):
        self.valve_pi = PI(3.0, 60.0, 0.0, 100.0, 5.0, 0.0)
        self.w_sp = 0.0  # from the settings (configure())
        self.w_max = 0.0
        self.dt_min = 0.0
        self.pump_pct = 0.0
        self.w_cool = 0.0  # over-temperature clears below
        self.dt_back = 0.0  # recovery resumes above
        self.ext_ok = 0  # the external enable allows heat recovery (permit())
        self.demand_ok = 0  # the demand signal is valid (permit())
        self.on = 0
        self.bypass = 0
        self.stage = 0
        self.raise_frac = 0.0
        self.fan_reduce = 0.0
        self.no_backheat = 0  # 1 while the CO2 is too cold to recover
        self.w_hot = 0
        self.temp_fallback = 0
        self.w_auto = 0  # the 3-way valve PI controls the water outlet this tick
        self.valve = 0.0
        self.pump = 0.0
        self.sink = 0  # the HRHX is taking the heat (see the header)
        self.fan_cut = 0.0  # fan reduction that acts (fan_reduce while sink, else 0)
        self.demand_v = 0.0  # the demand staging() used
        self.dt_w_k = 0.0  # water rise across the HRHX (0 while not known or not pumped)
        self.warm = 0  # the water warms across the HRHX (see the header)
        self.proving = 0  # a raise without a sink, on trial (see the header)
        self.held = 0  # a raise that found no sink, held off until a retry
        self.proof_s = 0.0  # from the settings (configure())
        self.retry_s = 0.0
        self.post_s = 0.0
        self._pump_up = 0.0  # pump output from which the valve may open
        self._prove_end = -1.0  # the raise on trial ends at this time (< 0: none)
        self._retry_at = 0.0  # a held raise is tried again at this time ...
        self._d_lo = 0.0  # ... or when the demand leaves _d_lo .. _d_hi
        self._d_hi = 0.0
        self._post_end = -1.0  # the pump's post-run ends at this time (< 0: not begun)
        self.src = 0  # hr_demand_src (configure())
        self.tank_sp = 0.0
        self.bms_timeout_s = 0.0
        self.tank_pi = PI(1.0, 600.0, 0.0, _DEMAND_MAX_V, _TANK_RATE_V_S, 0.0)
        self.bms_v = 0.0  # the demand the BMS wrote last
        self._bms_until = -1.0  # it holds until this time (< 0: never written)
        self._src_ok = 0  # the demand of demand() is valid

    def configure(self, s):
        self.w_sp = s.get("t_w_out_sp_c")
        self.w_max = s.get("t_w_max_c")
        self.dt_min = s.get("hr_dt_min_k")
        self.pump_pct = s.get("hr_pump_run_pct")
        self.w_cool = self.w_max - _HOT_HYST_K
        self.dt_back = self.dt_min + _BACKHEAT_HYST_K
        self.valve_pi.tune(s.get("hrv_kp"), s.get("hrv_ti_s"), s.get("hrv_rate_pct_s"))
        self.proof_s = s.get("hr_proof_s")
        self.retry_s = s.get("hr_retry_s")
        self.post_s = s.get("hr_pump_post_s")
        self._pump_up = self.pump_pct * _PUMP_UP_SHARE
        self.src = s.get("hr_demand_src")
        self.tank_sp = s.get("t_tank_sp_c")
        self.bms_timeout_s = s.get("hr_bms_timeout_s")
        self.tank_pi.tune(s.get("hr_tank_kp"), s.get("hr_tank_ti_s"), _TANK_RATE_V_S)

    def demand(self, sig, dt_s, now_s):
        """The demand in V from its source (see the header); sets whether it is valid."""
        if self.src == _SRC_TANK:
            if sig.valid[AI_T_TANK]:
                self._src_ok = 1
                return self.tank_pi.step(self.tank_sp - sig.value[AI_T_TANK], dt_s)
            self.tank_pi.track(0.0)
            self._src_ok = 0
            return 0.0
        if self.src == _SRC_BMS:
            self._src_ok = 1 if (self._bms_until >= 0.0 and now_s < self._bms_until) else 0
            return self.bms_v if self._src_ok else 0.0
        self._src_ok = sig.valid[AI_DEMAND]
        return sig.value[AI_DEMAND]

    def bms_write(self, v, now_s):
        """A demand written over Modbus (command bms_demand_v), held hr_bms_timeout_s."""
        self.bms_v = v
        self._bms_until = now_s + self.bms_timeout_s

    def permit(self, mode, sig):
        """The staging permission for this tick (ALLOW_*, see the header) from the mode,
        the external enable and the demand's validity; sets ext_ok and demand_ok."""
        self.ext_ok = sig.valid[DI_EXT_ENABLE] and sig.value[DI_EXT_ENABLE] > 0.5
        self.demand_ok = sig.valid[AI_DEMAND] if self.src == 0 else self._src_ok
        if not self.ext_ok or not self.demand_ok:
            return ALLOW_NONE
        if mode == HEAT_RECOVERY:
            return ALLOW_FULL
        if mode == MAX_COP or mode == MANUAL:
            return ALLOW_SURPLUS
        return ALLOW_NONE

    def staging(self, demand_v, allow):
        """Update on/bypass/raise/fan fractions and the stage from the demand."""
        if allow == ALLOW_NONE or not (demand_v == demand_v):
            d = 0.0
        else:
            d = demand_v
        self.demand_v = d
        if self.on:
            if d < OFF_V:
                self.on = 0
        elif d > ON_V:
            self.on = 1
        if allow != ALLOW_FULL or not self.on:
            self.bypass = 0
            self.raise_frac = 0.0
            self.fan_reduce = 0.0
        else:
            if self.bypass:
                if d < BYP_OFF_V:
                    self.bypass = 0
            elif d > BYP_ON_V:
                self.bypass = 1
            # fractions computed only inside their span (outside it they are 0 or 1)
            if d <= RAISE_LO_V:
                self.raise_frac = 0.0
            elif d >= RAISE_HI_V:
                self.raise_frac = 1.0
            else:
                self.raise_frac = (d - RAISE_LO_V) / _RAISE_SPAN_V
            if d <= FAN_LO_V:
                self.fan_reduce = 0.0
            elif d >= FAN_HI_V:
                self.fan_reduce = 1.0
            else:
                self.fan_reduce = (d - FAN_LO_V) / _FAN_SPAN_V
        if not self.on:
            self.stage = _STAGE_OFF
        elif self.bypass:
            self.stage = _STAGE_BYPASS
        elif self.fan_reduce > 0.0:
            self.stage = _STAGE_FAN
        elif self.raise_frac > 0.0:
            self.stage = _STAGE_RAISE
        else:
            self.stage = _STAGE_PUMP
        return self.stage

    def water(self, sig, dt_s, valve_pct=-1.0, gc_open=0, pump_out=-1.0, now_s=0.0):
        """Pump and 3-way valve targets for this tick (after staging()) from t_disch,
        t_w_in and t_w_out (sig), the heat sink, and whether the raise is kept.
        valve_pct, pump_out: the 3-way valve's and the pump's outputs as the last tick
        left them (< 0: the valve as this tick's target, the pump at speed); gc_open: the
        gas cooler bypass is open (the output, whatever opened it)."""
        pi = self.valve_pi
        temps_ok = sig.valid[AI_T_DISCH] and sig.valid[AI_T_W_IN] and sig.valid[AI_T_W_OUT]
        t_w_out = sig.value[AI_T_W_OUT]
        if temps_ok:
            self.temp_fallback = 0
            if self.w_hot:
                if t_w_out < self.w_cool:
                    self.w_hot = 0
            elif t_w_out > self.w_max:
                self.w_hot = 1
            margin = sig.value[AI_T_DISCH] - sig.value[AI_T_W_IN]
            if self.no_backheat:
                if margin > self.dt_back:
                    self.no_backheat = 0
            elif margin < self.dt_min:
                self.no_backheat = 1
        else:
            self.temp_fallback = 1 if self.on else 0
        if pump_out < 0.0:
            pump_out = self.pump_pct if self.on else 0.0
        self.w_auto = 0  # set below while the valve PI holds t_w_out (co2hr.deviation)
        if not self.on:
            self.valve = 0.0
            self.no_backheat = 0
            pi.track(0.0)
            self._post(valve_pct if valve_pct >= 0.0 else 0.0, pump_out, now_s)
        else:
            self.pump = self.pump_pct
            self._post_end = -1.0
            if (self.w_hot or self.no_backheat or not temps_ok
                    or pump_out < self._pump_up):
                pi.track(0.0)  # bypass the HRHX; the valve comes back from 0 bumplessly
                self.valve = 0.0
            elif gc_open:
                # the HRHX is the only heat sink (see the header); once the bypass shuts
                # the PI continues from fully open
                pi.track(VALVE_FULL_PCT)
                self.valve = VALVE_FULL_PCT
            else:
                self.valve = pi.step(self.w_sp - t_w_out, dt_s)
                self.w_auto = 1
        if valve_pct < 0.0:
            valve_pct = self.valve
        self._warming(sig, pump_out)
        if (not self.on or self.pump <= 0.0 or self.w_hot or self.no_backheat
                or not temps_ok or self.valve <= 0.0):
            self.sink = 0
        elif self.sink:
            if valve_pct < SINK_OFF_PCT or not self.warm:
                self.sink = 0
        elif valve_pct >= SINK_ON_PCT and self.warm:
            self.sink = 1
        self.fan_cut = self.fan_reduce if self.sink else 0.0
        self._keep_raise(temps_ok and not self.w_hot and t_w_out < self.w_sp, now_s)

    def _warming(self, sig, pump_out):
        """dt_w_k and warm, while there is water flow (see the header)."""
        if (sig.valid[AI_T_W_IN] and sig.valid[AI_T_W_OUT]
                and (self.on or pump_out > 0.0 or self.pump > 0.0)):
            self.dt_w_k = sig.value[AI_T_W_OUT] - sig.value[AI_T_W_IN]
        else:
            self.dt_w_k = 0.0
        if self.warm:
            if self.dt_w_k < _WARM_OFF_K:
                self.warm = 0
        elif self.dt_w_k > _WARM_ON_K:
            self.warm = 1

    def _post(self, valve_pct, pump_out, now_s):
        """The pump while heat recovery is off: on while the valve is open and
        post_s after it closed (see the header)."""
        if valve_pct > 0.0:
            self._post_end = -1.0
            self.pump = self.pump_pct if pump_out > 0.0 else 0.0
        elif pump_out > 0.0 or self.pump > 0.0:
            if self._post_end < 0.0:
                self._post_end = now_s + self.post_s  # (a float on this edge only)
            self.pump = self.pump_pct if now_s < self._post_end else 0.0
        else:
            self.pump = 0.0

    def _keep_raise(self, wants_heat, now_s):
        """Keep the raise only while the HRHX takes heat, or on trial (see the header);
        otherwise raise_frac = 0."""
        if not self.on or self.sink:
            self._prove_end = -1.0
            self.held = 0
            self.proving = 0
            return
        if self.held:
            d = self.demand_v
            if now_s >= self._retry_at or d < self._d_lo or d > self._d_hi:
                self.held = 0
        if not self.held and self.raise_frac > 0.0 and wants_heat:
            if self._prove_end < 0.0:
                self._prove_end = now_s + self.proof_s  # (floats on the edges only)
            elif now_s >= self._prove_end:
                self.held = 1
                self._prove_end = -1.0
                self._retry_at = now_s + self.retry_s
                self._d_lo = self.demand_v - _RETRY_DV
                self._d_hi = self.demand_v + _RETRY_DV
        self.proving = 1 if (not self.held and self._prove_end >= 0.0
                             and self.raise_frac > 0.0 and wants_heat) else 0
        if not self.proving:
            self.raise_frac = 0.0
