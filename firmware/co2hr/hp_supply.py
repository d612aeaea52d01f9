# The heat pump's supply temperature: its setpoint (fixed, weather-compensated, or
# lowered while a boiler tops the water up) and the water flow that holds it.
# docs/heatpump.md ("Supply temperature") explains the loop and its numbers.
#
# The gas cooler heats the district-heating water from the return; for a given heat
# output, less water flow means a hotter supply. So the pump's PI acts on
# (supply - setpoint): too hot, more flow. The HPEV reference (co2hr.hp_pressure) is
# fed the setpoint, so the CO2 can reach it; the capacity follows the heat demand
# elsewhere. With the pump at its minimum and the supply still below the setpoint, the
# supply is `short` (the application alarms; the tables' supply rule is a feed-forward
# and a fouled exchanger can need more than it says).
# Supply sensor invalid: the pump holds its last flow, never below hp_pump_fail_pct.
from micropython import const

from co2hr.pi import PI

_SHORT_K = 1.0  # below the setpoint by more than this at minimum flow: short
_SHORT_S = const(300)  # ... for this long
_MIN_AT_PCT = 0.5  # "at the minimum": within this of it


class HpSupply:
    def __init__(self):
        self.pi = PI(2.0, 60.0, 20.0, 100.0, 2.0, 50.0)
        self.sp_c = 70.0  # the settings (configure())
        self.boiler_sp_c = 52.0
        self.wc_on = 0
        self.wc_t_lo = -12.0  # weather compensation: sp_c at or below this air...
        self.wc_t_hi = 15.0  # ... wc_sp_warm_c at or above this one
        self.wc_sp_warm_c = 60.0
        self.fail_pct = 60.0
        self.sp = 70.0  # the setpoint in force
        self.short = 0
        self.fallback = 0
        self._short_s = 0.0

    def configure(self, s):
        self.sp_c = s.get("hp_supply_sp_c")
        self.boiler_sp_c = s.get("hp_supply_boiler_c")
        self.wc_on = s.get("hp_wc_on")
        self.wc_t_lo = s.get("hp_wc_t_lo_c")
        self.wc_t_hi = s.get("hp_wc_t_hi_c")
        self.wc_sp_warm_c = s.get("hp_wc_sp_warm_c")
        self.fail_pct = s.get("hp_pump_fail_pct")
        self.pi.set_limits(s.get("hp_pump_min_pct"), 100.0)
        self.pi.tune(s.get("hp_pump_kp"), s.get("hp_pump_ti_s"), s.get("hp_pump_rate_pct_s"))

    def setpoint(self, t_air_c, air_ok, boiler):
        """The supply setpoint in force: the boiler's while it tops up, else the
        weather curve (air invalid: the cold end, the safe side for the network)."""
        if boiler:
            sp = self.boiler_sp_c
        elif not self.wc_on or not air_ok or t_air_c <= self.wc_t_lo:
            sp = self.sp_c
        elif t_air_c >= self.wc_t_hi:
            sp = self.wc_sp_warm_c
        else:
            w = (t_air_c - self.wc_t_lo) / (self.wc_t_hi - self.wc_t_lo)
            sp = self.sp_c + w * (self.wc_sp_warm_c - self.sp_c)
        self.sp = sp
        return sp

    def step(self, dt_s, t_supply_c, supply_ok, running):
        """The pump's command (%) from the supply temperature."""
        pi = self.pi
        if not supply_ok:
            self.fallback = 1
            if pi.u < self.fail_pct:
                pi.track(self.fail_pct)
            return pi.u
        self.fallback = 0
        if not running:  # nothing to hold: the flow waits at its minimum
            pi.track(pi.lo)
            self._short_s = 0.0
            self.short = 0
            return pi.u
        u = pi.step(t_supply_c - self.sp, dt_s)
        low = u <= pi.lo + _MIN_AT_PCT and t_supply_c < self.sp - _SHORT_K
        self._short_s = self._short_s + dt_s if low else 0.0
        self.short = 1 if self._short_s >= _SHORT_S else 0
        return u
