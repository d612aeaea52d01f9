# The heat pump's counters: heat, electricity, run and defrost time, starts and defrosts
# (co2hr.status HP_COUNTERS), kept per month and season by the calendar (co2hr.encal),
# and the heating COP now and since the counters began. docs/heatpump.md ("Counters").
#
# The counter list is the common COUNTERS (uptime, alarms, HP stops, starts), then
# HP_COUNTERS, then their calendar: one list, persisted whole by the store. Heat comes
# from the heat meter's pulses (hr_meter_wh_per_pulse), electricity from the energy
# meter's (the board's kwh_per_pulse); a pulse counter that goes back (a reset, a wrap)
# restarts its base. All counts are ints; the fraction of a Wh or of a second waits in
# a remainder, so nothing is lost between ticks. COP now: over the last _WINDOW_MS of
# running with heat counted (0: not known yet).
from micropython import const

from co2hr.encal import N_SAVED, Calendar
from co2hr.io import CI_ENERGY, CI_HEAT
from co2hr.status import (
    CNT_ALARMS,
    CNT_COMP_STARTS,
    CNT_HP_STOPS,
    CNT_UPTIME,
    HC_DEFROST_S,
    HC_DEFROST_WH,
    HC_DEFROSTS,
    HC_ELEC,
    HC_GRID_OFF,
    HC_HEAT,
    HC_RUN,
    HC_STARTS,
    N_COUNTERS,
    N_HP_COUNTERS,
)

_HP = N_COUNTERS  # where HP_COUNTERS start in the list  # build: constant
_N_ALL = N_COUNTERS + N_HP_COUNTERS  # the calendar starts here  # build: constant
_WINDOW_MS = const(600000)
_MASK = 0xFFFFFFFF  # u32 counters, as co2hr.energy's (masked only when they wrap)


class HpMeters:
    def __init__(self, kwh_per_pulse=0.0):
        self.counters = [0] * (_N_ALL + N_SAVED)
        self.cal = Calendar(self.counters, _N_ALL, _HP)
        self.kwh_per_pulse = kwh_per_pulse  # the board's energy meter
        self.wh_per_pulse = 0  # the heat meter (hr_meter_wh_per_pulse)
        # Wh per pulse of each meter (energy, heat) as floats: made here and in
        # configure(), not per tick (a float is a heap object on the board)
        self._per_wh = [kwh_per_pulse * 1000.0, 0.0]
        self._seen = [-1.0, -1.0]  # the pulse counts last seen (energy, heat)
        self._rest_wh = [0.0, 0.0]  # the fraction of a Wh not counted yet
        self._ms = [0, 0, 0, 0]  # ms not yet a whole second: uptime, run, defrost, grid
        self._win = [0, 0, 0]  # the COP window: ms, heat Wh, electricity Wh
        self.q_kw = 0.0
        self.cop = 0.0

    def configure(self, s):
        self.wh_per_pulse = int(s.get("hr_meter_wh_per_pulse"))
        self._per_wh[1] = float(self.wh_per_pulse)

    def restore(self, values):
        """From storage: uptime is since boot; the calendar only as a whole."""
        n = len(values)
        if n != len(self.counters):
            n = _N_ALL if n > _N_ALL else n
        for i in range(1, n):
            v = int(values[i])
            self.counters[i] = v & _MASK if v < 0 or v > _MASK else v

    def _pulses(self, sig, k, i, per_wh):
        """Wh of this tick from pulse input i (k: its slot), per_wh Wh per pulse."""
        if not sig.valid[i] or per_wh <= 0.0:
            self._seen[k] = -1.0
            return 0
        n = sig.value[i]
        last = self._seen[k]
        self._seen[k] = n
        if last < 0.0 or n < last or n == last:
            return 0
        x = (n - last) * per_wh + self._rest_wh[k]
        wh = int(x)
        self._rest_wh[k] = x - wh
        return wh

    def _secs(self, k, i, dt_ms):
        ms = self._ms[k] + dt_ms
        if ms >= 1000:
            self._add(i, ms // 1000)
            ms %= 1000
        self._ms[k] = ms

    def _add(self, i, n):
        c = self.counters[i] + n
        self.counters[i] = c & _MASK if c > _MASK else c

    def _window(self, dt_ms, heat_wh, elec_wh):
        w = self._win
        w[0] += dt_ms
        w[1] += heat_wh
        w[2] += elec_wh
        if w[0] >= _WINDOW_MS:
            self.q_kw = w[1] * 3.6 / (w[0] / 1000.0)
            self.cop = w[1] / w[2] if w[2] > 0 else 0.0
            w[0] = w[1] = w[2] = 0

    def step(self, sig, dt_ms, running, defrosting, grid_off, clock):
        """One tick of counting: the states of this tick."""
        self.cal.tick(clock)
        heat = self._pulses(sig, 1, CI_HEAT, self._per_wh[1])
        elec = self._pulses(sig, 0, CI_ENERGY, self._per_wh[0])
        if heat:
            self._add(_HP + HC_HEAT, heat)
        if elec:
            self._add(_HP + HC_ELEC, elec)
            if defrosting:
                self._add(_HP + HC_DEFROST_WH, elec)
        self._secs(0, CNT_UPTIME, dt_ms)
        if running:
            self._secs(1, _HP + HC_RUN, dt_ms)
            self._window(dt_ms, heat, elec)
        if defrosting:
            self._secs(2, _HP + HC_DEFROST_S, dt_ms)
        if grid_off:
            self._secs(3, _HP + HC_GRID_OFF, dt_ms)

    def count(self, alarms, hp_stops, starts, defrosts):
        """Events of this tick (how many of each)."""
        if alarms:
            self._add(CNT_ALARMS, alarms)
        if hp_stops:
            self._add(CNT_HP_STOPS, hp_stops)
        if starts:
            self._add(CNT_COMP_STARTS, starts)
            self._add(_HP + HC_STARTS, starts)
        if defrosts:
            self._add(_HP + HC_DEFROSTS, defrosts)

    def scop(self):
        e = self.counters[_HP + HC_ELEC]
        return self.counters[_HP + HC_HEAT] / e if e > 0 else 0.0

