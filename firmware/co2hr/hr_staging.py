# Heat-recovery staging from the 0-10 V demand, exactly as DOMAIN.md 2.3:
#   pump + 3-way valve on rising past 0.5 V, off falling past 0.3 V
#   1 -> 8 V   pressure raise fraction 0 -> 1 (to p_hr_max)
#   8 -> 9 V   fan reduction fraction 0 -> 1
#   GC bypass on rising past 9.6 V, off falling past 9.3 V
# Stage (status): 0 off, 1 pump+valve, 2 pressure raise, 3 fan reduction, 4 GC bypass.
# allow: 0 = no heat recovery (mode, external enable, demand invalid), 1 = surplus heat
# only (Max-COP: pump and valve, no forcing), 2 = full staging (Heat-recovery mode).
#
# The 3-way valve modulates (PI) the share of CO2 through the HRHX so the water leaves at
# t_w_out_sp. While the gas cooler bypass is open (gc_open: the output of the last tick)
# it stays fully open and the setpoint yields: with the gas cooler bypassed the HRHX is
# the only heat sink, and the CO2 the valve steers around it reaches the HPEV at
# discharge temperature (hr_demand_ramp at 70 kW: the PI throttled 100 -> 80 % as the
# water neared 60 degC; T3 rose to 47 degC, the flash gas took the compressor flow to
# 1.0 kg/s and p_gc to 100 bar, where the HP fan safety closed the bypass at 9.65 V;
# with the valve kept full: 43 degC, 0.8 kg/s, 97 bar, open down to 9.3 V).
# Only there: with the gas cooler in the path (fan reduction, or the bypass held shut by
# the HP safety) the setpoint stays in force, and a valve it closes ends the fan
# reduction (`sink` below) instead of leaving the HP fan safety to hunt at p_gc_max
# (summer_no_heat_use, 9 V and a 70 degC tank, tried with the valve full from 8 V: p_gc
# at 103-104 bar every ~20 min).
# It goes to 0 (CO2 bypasses the HRHX), GC bypass open or not, when
#   * the CO2 entering the HRHX (t_disch) is not at least hr_dt_min warmer than the
#     water coming in (no backwards heat; 2 K hysteresis), or
#   * the water outlet is over t_w_max (boiling protection; back 5 K below), or
#   * a temperature it needs (t_disch, t_w_in, t_w_out) is invalid.
#
# Fan reduction (8-9 V) and the GC bypass (9.6 V) take the gas cooler's heat sink away,
# so they may only act while heat recovery really takes the heat: pump running, the
# 3-way valve open (at least SINK_ON_PCT, until it falls below SINK_OFF_PCT), no
# over-temperature or backwards-heat bypass, temperatures valid. Otherwise (hot tank,
# water at its setpoint, CO2 too cold) the fans run normally and the bypass stays shut,
# whatever the demand says: `sink`, `fan_cut` (the reduction that acts) and
# `gc_bypass` (the bypass that acts). `stage` still reports the demand's stage.
from co2hr.pi import PI

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
# Spans as constants: module floats are not folded, each `A - B` per tick would allocate
_RAISE_SPAN_V = RAISE_HI_V - RAISE_LO_V
_FAN_SPAN_V = FAN_HI_V - FAN_LO_V


class HrStaging:
    def __init__(self):
        self.valve_pi = PI(3.0, 60.0, 0.0, 100.0, 5.0, 0.0)
        self.on = 0
        self.bypass = 0
        self.stage = 0
        self.raise_frac = 0.0
        self.fan_reduce = 0.0
        self.no_backheat = 0  # 1 while the CO2 is too cold to recover
        self.w_hot = 0
        self.temp_fallback = 0
        self.valve = 0.0
        self.pump = 0.0
        self.sink = 0  # the HRHX is taking the heat (see the header)
        self.fan_cut = 0.0  # fan reduction that acts (fan_reduce while sink, else 0)
        self.gc_bypass = 0  # GC bypass that acts (bypass while sink)

    def configure(self, s):
        self.w_sp = s.get("t_w_out_sp_c")
        self.w_max = s.get("t_w_max_c")
        self.dt_min = s.get("hr_dt_min_k")
        self.pump_pct = s.get("hr_pump_run_pct")
        self.w_cool = self.w_max - _HOT_HYST_K  # over-temperature clears below
        self.dt_back = self.dt_min + _BACKHEAT_HYST_K  # recovery resumes above
        self.valve_pi.tune(s.get("hrv_kp"), s.get("hrv_ti_s"), s.get("hrv_rate_pct_s"))

    def staging(self, demand_v, allow):
        """Update on/bypass/raise/fan fractions and the stage from the demand."""
        if allow == 0 or not (demand_v == demand_v):
            d = 0.0
        else:
            d = demand_v
        if self.on:
            if d < OFF_V:
                self.on = 0
        elif d > ON_V:
            self.on = 1
        if allow < 2 or not self.on:
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
            self.stage = 0
        elif self.bypass:
            self.stage = 4
        elif self.fan_reduce > 0.0:
            self.stage = 3
        elif self.raise_frac > 0.0:
            self.stage = 2
        else:
            self.stage = 1
        return self.stage

    def water(self, t_disch, t_w_in, t_w_out, temps_ok, dt_s, valve_pct=-1.0, gc_open=0):
        """Pump and 3-way valve targets for this tick (after staging()). valve_pct: the
        3-way valve's actual opening (the output stage's, < 0: this tick's target);
        gc_open: the gas cooler bypass is open (the output, whatever opened it)."""
        self._water(t_disch, t_w_in, t_w_out, temps_ok, dt_s, gc_open)
        if valve_pct < 0.0:
            valve_pct = self.valve
        if (not self.on or self.pump <= 0.0 or self.w_hot or self.no_backheat
                or not temps_ok or self.valve <= 0.0):
            self.sink = 0
        elif self.sink:
            if valve_pct < SINK_OFF_PCT:
                self.sink = 0
        elif valve_pct >= SINK_ON_PCT:
            self.sink = 1
        if self.sink:
            self.fan_cut = self.fan_reduce
            self.gc_bypass = self.bypass
        else:
            self.fan_cut = 0.0
            self.gc_bypass = 0

    def _water(self, t_disch, t_w_in, t_w_out, temps_ok, dt_s, gc_open):
        pi = self.valve_pi
        if temps_ok:
            self.temp_fallback = 0
            if self.w_hot:
                if t_w_out < self.w_cool:
                    self.w_hot = 0
            elif t_w_out > self.w_max:
                self.w_hot = 1
            margin = t_disch - t_w_in
            if self.no_backheat:
                if margin > self.dt_back:
                    self.no_backheat = 0
            elif margin < self.dt_min:
                self.no_backheat = 1
        else:
            self.temp_fallback = 1 if self.on else 0
        if not self.on:
            self.pump = 0.0
            self.valve = 0.0
            self.no_backheat = 0
            pi.track(0.0)
            return
        self.pump = self.pump_pct
        if self.w_hot or self.no_backheat or not temps_ok:
            # bypass the HRHX; valve comes back from 0 bumplessly
            pi.track(0.0)
            self.valve = 0.0
            return
        if gc_open:
            # the HRHX is the only heat sink (see the header); once the bypass shuts
            # the PI continues from fully open
            pi.track(VALVE_FULL_PCT)
            self.valve = VALVE_FULL_PCT
            return
        self.valve = pi.step(self.w_sp - t_w_out, dt_s)
