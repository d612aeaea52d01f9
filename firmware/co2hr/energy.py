# Operating state and energy counters (docs/control.md, "Operating state and counters").
# Each tick is registered as stopped, refrigeration-only ("refrigeration plant with
# surplus heat") or forced ("heat pump": the pressure is raised above the COP optimum
# for heat recovery), and hours, recovered heat and compressor energy are counted per
# state. Counters are 32-bit unsigned integers; fractions are carried between ticks.
#
# Recovered heat: no heat meter is wired, so it is estimated from the pump speed, the
#   nominal water flow and the water temperature rise across the HRHX.
# Compressor power: from the S0 energy-meter pulse count (kwh_per_pulse from the board).
# Running: the comp_run input, or while it is invalid our compressor enable. Forced: the
#   reference is raised more than FORCED_RAISE_BAR above the COP optimum.
# EHR (efficiency of heat recovery) = heat recovered while forced / extra compressor
#   energy caused by forcing. The extra energy is estimated from the compressor power
#   and the pressure ratios: work ~ (p/p_suc)**0.23 - 1 (polytropic, k ~ 1.3), so
#   extra = P * (1 - w(p_opt)/w(p_ref)). The suction pressure (or 27 bar, -7 degC,
#   when it is invalid) sets the ratio.
# Allocation (MicroPython boxes every float result): time counters run on integer
# milliseconds, and products whose inputs did not change since the last tick (the pump
# factor of the heat estimate, the energy of a pulse count, the extra energy of forcing
# per tick, which needs two powers) are reused, not recomputed.
from co2hr.io import AI_P_SUC, AI_T_W_IN, AI_T_W_OUT, CI_ENERGY, DI_COMP_RUN
from co2hr.status import (
    CNT_ALARMS,
    CNT_COMP,
    CNT_COMP_EXTRA,
    CNT_COMP_FORCED,
    CNT_COMP_REFRIG,
    CNT_COMP_STARTS,
    CNT_HP_STOPS,
    CNT_HR_FORCED,
    CNT_HR_REFRIG,
    CNT_RUN_FORCED,
    CNT_RUN_REFRIG,
    CNT_UPTIME,
    N_COUNTERS,
)

ST_STOPPED = 0  # operating states (status op_state)
ST_REFRIG = 1
ST_FORCED = 2
FORCED_RAISE_BAR = 0.5  # an HR raise above this counts as forced operation
_CP_W_KJ = 4.186
_MASK = 0xFFFFFFFF
_P_SUC_DEFAULT = 27.0


class Energy:
    def __init__(self, kwh_per_pulse=0.0):
        self.kwh_per_pulse = kwh_per_pulse  # of the energy meter (the board file)
        self.flow_kg_s = 0.0  # HR water flow at 100 % pump speed (configure())
        self.counters = [0] * N_COUNTERS
        self._frac = [0.0] * N_COUNTERS
        self.state = ST_STOPPED
        self.q_hr_kw = 0.0
        self.p_comp_kw = 0.0
        self._ms = [0] * N_COUNTERS  # ms not yet counted, for the counters in seconds
        self._pulses_seen = -1.0  # last pulse count seen, -1 = none yet
        self._pulse_ms = 0  # time since the last pulse
        self._run_prev = 0
        self._q_pump = -1.0  # pump_pct the heat factor _q_k was computed for (< 0: none)
        self._q_k = 0.0  # pump_pct * 0.01 * flow * cp
        self._dn = -1.0  # pulse increment _e_wh was computed for
        self._e_wh = 0.0
        self._p_wh = -1.0  # energy and time the power p_comp_kw was computed from
        self._p_ms = 0
        # inputs the forced-state extra energy per tick _x_wh was computed for
        self._x_opt = -1.0
        self._x_ref = -1.0
        self._x_ps = -1.0
        self._x_kw = -1.0
        self._x_dt = -1.0
        self._x_wh = 0.0

    def configure(self, s):
        self.flow_kg_s = s.get("hr_flow_kg_s")
        self._q_pump = -1.0  # the heat factor is made again with the new flow

    def restore(self, values):
        """Counters from storage; uptime is since boot and is not restored."""
        for i in range(1, N_COUNTERS):
            if i < len(values):
                self.set_count(i, values[i])

    def _add(self, i, x):
        if x <= 0.0 or not (x == x):
            return
        n = int(x)
        if x == n:  # a whole number (e.g. Wh of whole pulses): no float work
            self._inc(i, n)
            return
        f = self._frac[i] + x
        n = int(f)
        if n:
            f -= n
            self._inc(i, n)
        self._frac[i] = f

    def _add_ms(self, i, dt_ms):
        """Add time to a counter in seconds (integer arithmetic: no floats)."""
        ms = self._ms[i] + dt_ms
        if ms >= 1000:
            self._inc(i, ms // 1000)
            ms %= 1000
        self._ms[i] = ms

    def set_count(self, i, n):
        n = int(n)
        if n < 0 or n > _MASK:
            n &= _MASK
        self.counters[i] = n

    def _inc(self, i, n):
        # 32-bit wrap, masked only when it wraps: on a 32-bit port 0xFFFFFFFF is a long
        # int, and `&` with it would allocate a long result every time
        c = self.counters[i] + n
        if c > _MASK:
            c &= _MASK
        self.counters[i] = c

    def step(self, sig, gc, comp_enable, pump_pct, dt_ms, dt_s):
        """One tick of dt_ms (dt_s: the same in seconds, as a float). sig: comp_run, the
        water temperatures, the pulse count, p_suc; gc: the pressure loop (the HR raise,
        optimum and reference); comp_enable, pump_pct: this tick's outputs."""
        self._add_ms(CNT_UPTIME, dt_ms)
        if sig.valid[DI_COMP_RUN]:
            running = 1 if sig.value[DI_COMP_RUN] > 0.5 else 0
        else:
            running = 1 if comp_enable > 0.5 else 0
        if running and not self._run_prev:
            self._inc(CNT_COMP_STARTS, 1)
        self._run_prev = running
        forced = gc.raise_bar > FORCED_RAISE_BAR
        self.state = ST_STOPPED if not running else ST_FORCED if forced else ST_REFRIG
        # recovered heat, kW
        q = 0.0
        t_w_in = sig.value[AI_T_W_IN]
        t_w_out = sig.value[AI_T_W_OUT]
        if (sig.valid[AI_T_W_IN] and sig.valid[AI_T_W_OUT] and pump_pct > 0.0
                and t_w_out > t_w_in):
            if pump_pct != self._q_pump:
                self._q_pump = pump_pct
                self._q_k = pump_pct * 0.01 * self.flow_kg_s * _CP_W_KJ
            q = self._q_k * (t_w_out - t_w_in)
        self.q_hr_kw = q
        e_wh = self._pulses(sig, dt_ms)
        self._add(CNT_COMP, e_wh)
        hr_wh = q * dt_s / 3.6 if q > 0.0 else 0.0
        if self.state == ST_REFRIG:
            self._add_ms(CNT_RUN_REFRIG, dt_ms)
            self._add(CNT_HR_REFRIG, hr_wh)
            self._add(CNT_COMP_REFRIG, e_wh)
        elif self.state == ST_FORCED:
            self._add_ms(CNT_RUN_FORCED, dt_ms)
            self._add(CNT_HR_FORCED, hr_wh)
            self._add(CNT_COMP_FORCED, e_wh)
            p_suc = sig.value[AI_P_SUC]
            ps = p_suc if (sig.valid[AI_P_SUC] and p_suc > 1.0) else _P_SUC_DEFAULT
            p_opt = gc.p_opt
            p_ref = gc.ref
            if self.p_comp_kw > 0.0 and p_ref > p_opt > ps:  # (no power: adds nothing)
                self._add(CNT_COMP_EXTRA, self._extra_wh(p_opt, p_ref, ps, dt_s))

    def _pulses(self, sig, dt_ms):
        """Compressor energy of this tick from the pulses, Wh (a counter reset or wrap
        restarts the base); sets p_comp_kw."""
        e_wh = 0.0
        kwh_per_pulse = self.kwh_per_pulse
        if sig.valid[CI_ENERGY] and kwh_per_pulse > 0.0:
            pulses = sig.value[CI_ENERGY]
            if self._pulses_seen >= 0.0 and pulses >= self._pulses_seen:
                dn = pulses - self._pulses_seen
                if dn != self._dn:  # (kwh_per_pulse is the board's, fixed)
                    self._dn = dn
                    self._e_wh = dn * kwh_per_pulse * 1000.0
                e_wh = self._e_wh
                self._pulse_ms += dt_ms
                if dn > 0:
                    # Wh over seconds -> kW, unless the energy and time are as last time
                    if e_wh != self._p_wh or self._pulse_ms != self._p_ms:
                        self._p_wh = e_wh
                        self._p_ms = self._pulse_ms
                        self.p_comp_kw = e_wh * 3.6 / (self._pulse_ms / 1000.0)
                    self._pulse_ms = 0
                elif self._pulse_ms > 60000 and self.p_comp_kw > 0.0:
                    # no pulse for a minute: the power is at most one pulse per period
                    cap = kwh_per_pulse * 3600.0 / (self._pulse_ms / 1000.0)
                    if self.p_comp_kw > cap:
                        self.p_comp_kw = cap
                        self._p_wh = -1.0  # no longer the cached power
            self._pulses_seen = pulses
        else:
            self.p_comp_kw = 0.0
            self._p_wh = -1.0
        return e_wh

    def _extra_wh(self, p_opt, p_ref, ps, dt_s):
        """Extra compressor energy of forcing in this tick (Wh); recomputed only when
        the pressures, the power or the tick length changed."""
        kw = self.p_comp_kw
        if (p_opt != self._x_opt or p_ref != self._x_ref or ps != self._x_ps
                or kw != self._x_kw or dt_s != self._x_dt):
            self._x_opt = p_opt
            self._x_ref = p_ref
            self._x_ps = ps
            self._x_kw = kw
            self._x_dt = dt_s
            w_opt = (p_opt / ps) ** 0.23 - 1.0
            w_ref = (p_ref / ps) ** 0.23 - 1.0
            self._x_wh = kw * (1.0 - w_opt / w_ref) * dt_s / 3.6
        return self._x_wh

    def ehr(self):
        extra = self.counters[CNT_COMP_EXTRA]
        if extra <= 0:
            return 0.0
        return self.counters[CNT_HR_FORCED] / extra

    def count_events(self, alarms_new, hp_stops_new):
        """Add events since the last call (restored counters keep counting)."""
        if alarms_new > 0:
            self._inc(CNT_ALARMS, alarms_new)
        if hp_stops_new > 0:
            self._inc(CNT_HP_STOPS, hp_stops_new)
