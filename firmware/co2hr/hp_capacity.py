# The heat pump's compressor: whether the heat demand asks for it, and at what speed.
# docs/heatpump.md ("The application") describes it.
#
# The demand is the 0-10 V input demand_v; while it is invalid, the SCADA's bms_demand_v
# when it was written within hr_bms_timeout_s; else the buffer tank decides (charge it
# below hp_tank_max_c - _TANK_HYST_K, stop at the maximum) at hp_comp_fail_pct; with the
# tank invalid too, the compressor runs at hp_comp_fail_pct (district heating is not left
# cold for a broken transmitter; the supply loop still holds the supply temperature).
# Above hp_demand_on_v the speed rises linearly from hp_comp_min_pct (at the threshold)
# to 100 % (at 10 V). The HP override holds it at the least speed.
# Supply long: the water pump at full speed and the supply still above its setpoint by
# more than _LONG_K (a lowered setpoint, a boiler top-up: more heat than the flow can
# take at that temperature rise) lowers a speed limit by _TRIM_PCT_S_K per K and second;
# it rises again at _RELEASE_PCT_S once the pump has room or the supply is low, and
# holds in between.
from micropython import const

from co2hr.io import AI_DEMAND, AI_T_TANK

_V_FULL = 10.0
_TANK_HYST_K = 3.0
_LONG_K = 0.5
_PUMP_FULL_PCT = 99.5
_PUMP_ROOM_PCT = 95.0
_TRIM_PCT_S_K = 0.05
_RELEASE_PCT_S = 0.02
SRC_INPUT = const(0)  # `src`: where the demand came from
SRC_BMS = const(1)
SRC_TANK = const(2)
SRC_FIXED = const(3)


class HpCapacity:
    def __init__(self):
        self.on_v = 0.5  # the settings (configure())
        self.min_pct = 20.0
        self.fail_pct = 50.0
        self.tank_max = 70.0
        self.bms_timeout_s = 600.0
        self.bms_v = 0.0  # the SCADA's demand (COMMANDS bms_demand_v) and when it came
        self.bms_s = -1.0
        self.src = SRC_INPUT
        self.want = 0  # the heat demand asks for the compressor
        self.want_pct = 0.0  # ... at this speed
        self.limit_pct = 100.0  # the supply-long limit on the speed

    def configure(self, s):
        self.on_v = s.get("hp_demand_on_v")
        self.min_pct = s.get("hp_comp_min_pct")
        self.fail_pct = s.get("hp_comp_fail_pct")
        self.tank_max = s.get("hp_tank_max_c")
        self.bms_timeout_s = s.get("hr_bms_timeout_s")

    def bms_write(self, v, now_s):
        self.bms_v = v
        self.bms_s = now_s

    def limit(self, dt_s, pump_pct, t_supply_c, supply_ok, sp_c):
        """The supply-long limit (see the header); returns the speed allowed."""
        lim = self.limit_pct
        if supply_ok and pump_pct >= _PUMP_FULL_PCT and t_supply_c > sp_c + _LONG_K:
            lim -= _TRIM_PCT_S_K * (t_supply_c - sp_c - _LONG_K) * dt_s
        elif not supply_ok or pump_pct < _PUMP_ROOM_PCT or t_supply_c < sp_c - _LONG_K:
            lim += _RELEASE_PCT_S * dt_s
        self.limit_pct = self.min_pct if lim < self.min_pct else 100.0 if lim > 100.0 else lim
        return self.limit_pct

    def _from_tank(self, sig):
        if not sig.valid[AI_T_TANK]:
            self.src = SRC_FIXED
            return 1
        self.src = SRC_TANK
        t = sig.value[AI_T_TANK]
        return 1 if t < self.tank_max - (0.0 if self.want else _TANK_HYST_K) else 0

    def step(self, sig, now_s, override):
        """The demand of this tick: sets want and want_pct."""
        if sig.valid[AI_DEMAND]:
            self.src = SRC_INPUT
            v = sig.value[AI_DEMAND]
        elif self.bms_s >= 0.0 and now_s - self.bms_s <= self.bms_timeout_s:
            self.src = SRC_BMS
            v = self.bms_v
        else:
            self.want = self._from_tank(sig)
            self.want_pct = self.min_pct if override else self.fail_pct
            return
        self.want = 1 if v > self.on_v else 0
        if not self.want or override:
            self.want_pct = self.min_pct
            return
        w = (v - self.on_v) / (_V_FULL - self.on_v)
        if w > 1.0:
            w = 1.0
        self.want_pct = self.min_pct + w * (100.0 - self.min_pct)
