# The heat pump's evaporator fans: the air cooled a set few K above the evaporating
# temperature, capped in the quiet hours. docs/heatpump.md ("The application").
#
# While the compressor runs, a PI holds the coil's driving difference t_air - t_evap at
# hp_fan_dt_k (a larger difference: more air); at hp_fan_min_pct at least. Air or
# evaporating pressure invalid: full speed (the coil never starves). Stopped: the fans
# stop. In the quiet hours (hp_quiet_from_h .. hp_quiet_to_h local time, the clock set)
# every speed is capped at hp_quiet_fan_pct: the site's night noise limit; the
# evaporating temperature then falls and the compressor's COP with it. A defrost
# overrides the fans (co2hr.defrost fans_pct()).
from micropython import const

from co2hr.pi import PI

_HOUR_S = const(3600)
_DAY_S = const(86400)
_FULL_PCT = 100.0


class HpFans:
    def __init__(self):
        self.pi = PI(3.0, 120.0, 20.0, 100.0, 2.0, 100.0)
        self.dt_k = 8.0  # the settings (configure())
        self.min_pct = 20.0
        self.quiet_on = 1
        self.quiet_from = 22
        self.quiet_to = 6
        self.quiet_pct = 60.0
        self.capped = 0  # the quiet cap holds the fans now

    def configure(self, s):
        self.dt_k = s.get("hp_fan_dt_k")
        self.min_pct = s.get("hp_fan_min_pct")
        self.quiet_on = s.get("hp_quiet_on")
        self.quiet_from = s.get("hp_quiet_from_h")
        self.quiet_to = s.get("hp_quiet_to_h")
        self.quiet_pct = s.get("hp_quiet_fan_pct")
        self.pi.tune(s.get("hp_fan_kp"), s.get("hp_fan_ti_s"), s.get("hp_fan_rate_pct_s"))

    def quiet(self, clock):
        """1 in the quiet hours (local time; never while the clock is not set)."""
        if not self.quiet_on or clock is None or not clock.valid:
            return 0
        h = ((clock.sod + clock.utc_off_s) % _DAY_S) // _HOUR_S
        a = self.quiet_from
        b = self.quiet_to
        if a <= b:
            return 1 if a <= h < b else 0
        return 1 if h >= a or h < b else 0

    def step(self, dt_s, running, t_air_c, te_c, ok, quiet):
        """The fans' command (%): ok = the air and the evaporating pressure are valid."""
        cap = self.quiet_pct if quiet else _FULL_PCT
        lo = self.min_pct if self.min_pct < cap else cap
        pi = self.pi
        pi.set_limits(lo, cap)
        if not running:
            pi.track(lo)
            u = 0.0
        elif not ok:
            pi.track(cap)
            u = cap
        else:
            u = pi.step((t_air_c - te_c) - self.dt_k, dt_s)
        self.capped = 1 if (quiet and running and u >= cap) else 0
        return u
