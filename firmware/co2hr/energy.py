# Operating state and energy counters (docs/control.md, "Operating state and counters").
# Each tick is registered as stopped, refrigeration-only ("refrigeration plant with
# surplus heat") or forced ("heat pump": the plant is run away from Max-COP operation
# for heat recovery), and hours, recovered heat and compressor energy are counted per
# state. Counters are 32-bit unsigned integers; fractions are carried between ticks.
#
# The state is decided against the unforced reference p_unf, the Max-COP reference the
# plant would run at without forcing, which forcing itself cannot move: while any heat
# recovery acts (staging on, or the 3-way valve still open) it is the COP reference at
# ambient + fan_approach_k (what the fans hold T3 to in Max-COP operation), since fan
# reduction, the GC bypass and the HRHX all change the measured T3; otherwise (and
# while the ambient is invalid) it is the COP reference at the measured T3 (p_opt).
# Where the fans at full speed could not bring T3 down to ambient + approach when heat
# recovery began, that shortfall (T3 - ambient - approach then) is added for the rest
# of the episode, or p_unf would sit below what the plant ran at unforced.
# Forced, while the compressors run, when any of:
#   * the reference in force is more than FORCED_RAISE_BAR above p_unf and the HR raise
#     acts (or the GC bypass is open for HR), or has not yet wound back down since: to
#     p_unf, or to the COP reference at the measured T3 (a plain reference ramp after a
#     T3 step is no forcing),
#   * the fans are held below what Max-COP operation would command: the HR fan
#     reduction acts, the speed stands at that limit and T3 is above the fan setpoint,
#   * the GC bypass is open for heat recovery (co2hr.gc_bypass hr_open).
# Every running tick's compressor energy and recovered heat go to exactly one state:
# forced, or else refrigeration (a stopped tick is in neither; comp_wh counts every
# pulse), so comp_refrig_wh + comp_forced_wh is comp_wh while the compressors run.
#
# Recovered heat: estimated from the pump speed, the nominal water flow and the water
#   temperature rise across the HRHX, in integer micro-Wh per tick (carried into Wh).
#   With a heat meter set (co2hr.heatmeter) the meter's pulses are booked instead, and
#   the estimate again while the meter has failed (with what it estimated since the
#   meter's last pulse, so nothing is left out).
# Compressor power: from the S0 energy-meter pulse count (kwh_per_pulse from the board).
# Running: the comp_run input, or while it is invalid our compressor enable.
# EHR (efficiency of heat recovery) = heat recovered while forced / extra compressor
#   energy caused by forcing. The extra energy is estimated from the compressor power
#   and the pressure ratios: work ~ (p/p_suc)**0.23 - 1 (polytropic, k ~ 1.3), so
#   extra = P * (1 - w(p_unf)/w(p_ref)). The suction pressure (or 27 bar, -7 degC,
#   when it is invalid) sets the ratio.
# Calendar: counters 1..8 are also kept per tax season and month (co2hr.encal), in the
# same list after the N_COUNTERS lifetime counters (`counters`, stored as one).
# Allocation (MicroPython boxes every float result): time counters run on integer
# milliseconds, and products whose inputs did not change since the last tick (the pump
# factor of the heat estimate, the energy of a pulse count, the extra energy of forcing
# per tick, which needs two powers, the unforced reference at an ambient) are reused,
# not recomputed.
from micropython import const

from co2hr.co2sat import TC_P, TC_T, p_sat_bar
from co2hr.encal import N_SAVED, Calendar
from co2hr.gc_pressure import cop_ref_bar
from co2hr.heatmeter import BOOK_ESTIMATE, HeatMeter
from co2hr.io import (
    AI_P_SUC,
    AI_T_AMB,
    AI_T_GC_OUT,
    AO_FAN,
    AO_HR_PUMP,
    AO_HR_VALVE,
    CI_ENERGY,
    DI_COMP_RUN,
    DO_COMP_ENABLE,
    DO_GC_BYPASS,
)
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
FORCED_RAISE_BAR = 0.5  # a reference this far above p_unf counts as forced operation
_FAN_AT_LIMIT_PCT = 0.5  # fans within this of their HR-reduced limit stand at it
_CP_W_KJ = 4.186
_MASK = 0xFFFFFFFF
_P_SUC_DEFAULT = 27.0
_UWH = const(1000000)  # micro-Wh per Wh


class Energy:
    def __init__(self, kwh_per_pulse=0.0):
        self.kwh_per_pulse = kwh_per_pulse  # of the energy meter (the board file)
        self.flow_kg_s = 0.0  # HR water flow at 100 % pump speed (configure())
        self.counters = [0] * (N_COUNTERS + N_SAVED)  # then the calendar (co2hr.encal)
        self.cal = Calendar(self.counters, N_COUNTERS)
        self._frac = [0.0] * N_COUNTERS
        self.state = ST_STOPPED
        self.q_hr_kw = 0.0
        self.p_comp_kw = 0.0
        self._ms = [0] * N_COUNTERS  # ms not yet counted, for the counters in seconds
        self._uwh = [0] * N_COUNTERS  # micro-Wh not yet counted (the heat counters)
        self.meter = HeatMeter()
        self._uwh_k = 0.0  # micro-Wh per kW over a tick of _k_ms
        self._k_ms = -1
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
        self.p_unf = 0.0  # the unforced reference of this tick (see the header)
        self.raised = 0  # the HR raise acts, or the reference has not wound back since
        # the COP reference at ambient + approach (settings from configure())
        self.approach = 0.0
        self._subcool = 0.0
        self._t_trans = 0.0
        self._t_cond_min = 0.0
        self._p0 = 0.0
        self._dp0 = 0.0
        self._dt0 = 0.0
        self._amb = float("nan")  # ambient _p_amb was computed for (NaN: recompute)
        self._p_amb = 0.0
        self._hr_was = 0  # heat recovery acted in the last tick
        self._excess = 0.0  # T3 above amb + approach when it began (the fans' shortfall)

    def configure(self, s):
        self.flow_kg_s = s.get("hr_flow_kg_s")
        self._q_pump = -1.0  # the heat factor is made again with the new flow
        self.approach = s.get("fan_approach_k")
        self._subcool = s.get("subcool_k")
        self._t_trans = s.get("t_trans_c")
        self._t_cond_min = s.get("t_cond_min_c")
        t0 = self._t_trans + self._subcool  # where the transition zone starts
        if t0 < self._t_cond_min:
            t0 = self._t_cond_min
        self._p0 = p_sat_bar(t0)
        self._dp0 = TC_P[0] - self._p0
        self._dt0 = TC_T[0] - self._t_trans
        self._amb = float("nan")
        self.meter.configure(s)

    def restore(self, values):
        """Counters from storage; uptime is since boot and is not restored. The
        calendar only as a whole (a table of another length is left empty)."""
        n = len(values)
        for i in range(1, N_COUNTERS):
            if i < n:
                self.set_count(i, values[i])
        if n == N_COUNTERS + N_SAVED:
            for i in range(N_COUNTERS, n):
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

    def step(self, c, out, dt_ms, dt_s):
        """One tick of dt_ms (dt_s: the same in seconds, as a float), after the output
        stage. c: the controller (its signals, pressure loop, HR staging, fans and GC
        bypass of this tick); out: this tick's outputs."""
        sig = c.sig
        gc = c.gc
        self.cal.tick(c.clock)  # a new month or season: this tick counts there
        self._add_ms(CNT_UPTIME, dt_ms)
        if sig.valid[DI_COMP_RUN]:
            running = 1 if sig.value[DI_COMP_RUN] > 0.5 else 0
        else:
            running = 1 if out[DO_COMP_ENABLE] > 0.5 else 0
        if running and not self._run_prev:
            self._inc(CNT_COMP_STARTS, 1)
        self._run_prev = running
        forced = self._forced(c, out)
        self.state = ST_STOPPED if not running else ST_FORCED if forced else ST_REFRIG
        # recovered heat, kW
        # (the water rise is co2hr.hr_staging's: both water temperatures valid, pumped)
        q = 0.0
        dt_w_k = c.hr.dt_w_k
        pump_pct = out[AO_HR_PUMP]
        if pump_pct > 0.0 and dt_w_k > 0.0:
            if pump_pct != self._q_pump:
                self._q_pump = pump_pct
                self._q_k = pump_pct * 0.01 * self.flow_kg_s * _CP_W_KJ
            q = self._q_k * dt_w_k
        self.q_hr_kw = q
        e_wh = self._pulses(sig, dt_ms)
        self._add(CNT_COMP, e_wh)
        self._heat(sig, q, dt_ms, dt_s)
        if self.state == ST_FORCED:
            self._add_ms(CNT_RUN_FORCED, dt_ms)
            self._add(CNT_COMP_FORCED, e_wh)
            p_suc = sig.value[AI_P_SUC]
            ps = p_suc if (sig.valid[AI_P_SUC] and p_suc > 1.0) else _P_SUC_DEFAULT
            p_unf = self.p_unf
            p_ref = gc.ref
            if self.p_comp_kw > 0.0 and p_ref > p_unf > ps:  # (no power: adds nothing)
                self._add(CNT_COMP_EXTRA, self._extra_wh(p_unf, p_ref, ps, dt_s))
        elif self.state == ST_REFRIG:
            self._add_ms(CNT_RUN_REFRIG, dt_ms)
            self._add(CNT_COMP_REFRIG, e_wh)

    def _heat(self, sig, q, dt_ms, dt_s):
        """Book this tick's recovered heat to its state: the meter's Wh, or the estimate
        q (kW) over the tick (co2hr.heatmeter decides which)."""
        e_uwh = 0
        if q > 0.0:
            if dt_ms != self._k_ms:
                self._k_ms = dt_ms
                self._uwh_k = dt_s * _UWH / 3.6
            e_uwh = int(q * self._uwh_k)
        st = self.state
        hm = self.meter
        m_wh = hm.step(sig, dt_ms, e_uwh, st)
        if m_wh == BOOK_ESTIMATE:
            if hm.fell:  # the meter just failed: what it left out since its last pulse
                self._inc(CNT_HR_REFRIG, hm.since_wh[ST_REFRIG])
                self._add_uwh(CNT_HR_REFRIG, hm.since_uwh[ST_REFRIG])
                self._inc(CNT_HR_FORCED, hm.since_wh[ST_FORCED])
                self._add_uwh(CNT_HR_FORCED, hm.since_uwh[ST_FORCED])
                hm.clear_since()
            if st != ST_STOPPED and e_uwh > 0:
                self._add_uwh(CNT_HR_FORCED if st == ST_FORCED else CNT_HR_REFRIG, e_uwh)
        elif m_wh > 0 and st != ST_STOPPED:
            self._inc(CNT_HR_FORCED if st == ST_FORCED else CNT_HR_REFRIG, m_wh)

    def _add_uwh(self, i, n):
        """Add micro-Wh to a counter in Wh (integer arithmetic: no floats)."""
        u = self._uwh[i] + n
        if u >= _UWH:
            self._inc(i, u // _UWH)
            u %= _UWH
        self._uwh[i] = u

    def _unforced(self, c, out):
        """p_unf for this tick (see the header)."""
        sig = c.sig
        gc = c.gc
        active = c.hr.on or out[AO_HR_VALVE] > 0.0
        if not active or not sig.valid[AI_T_AMB]:
            self._hr_was = 0
            return gc.p_opt
        amb = sig.value[AI_T_AMB]
        if not self._hr_was:
            # HR begins: what T3 stood above amb + approach unforced (fans at full speed
            # in a warm hour) is kept as the fans' shortfall (a float on this edge only)
            self._hr_was = 1
            ex = 0.0
            if sig.valid[AI_T_GC_OUT]:
                ex = sig.value[AI_T_GC_OUT] - amb - self.approach
            self._excess = ex if ex > 0.0 else 0.0
            self._amb = float("nan")
        if amb != self._amb:  # (floats only when the ambient moved)
            self._amb = amb
            p = cop_ref_bar(amb + self.approach + self._excess, self._subcool, self._t_trans,
                            self._t_cond_min, gc.p_min, self._p0, self._dp0, self._dt0)
            self._p_amb = p if p < gc.p_lim else gc.p_lim
        return self._p_amb

    def _forced(self, c, out):
        """Whether this tick is forced operation (see the header); sets p_unf, raised."""
        gc = c.gc
        fans = c.fans
        p_unf = self._unforced(c, out)
        self.p_unf = p_unf
        above = gc.ref > p_unf + FORCED_RAISE_BAR
        if gc.raise_bar > 0.0 or c.byp.hr_open:
            self.raised = 1 if above else 0
        elif not above or gc.ref <= gc.p_opt + FORCED_RAISE_BAR:
            self.raised = 0  # wound back, or down to what Max-COP asks for at T3
        if self.raised:
            return 1
        if (c.hr.fan_cut > 0.0 and fans.limit < fans.cap
                and out[AO_FAN] >= fans.limit - _FAN_AT_LIMIT_PCT
                and c.sig.valid[AI_T_GC_OUT] and c.sig.value[AI_T_GC_OUT] > fans.sp):
            return 1
        return 1 if (c.byp.hr_open and out[DO_GC_BYPASS] > 0.5) else 0

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

    def _extra_wh(self, p_unf, p_ref, ps, dt_s):
        """Extra compressor energy of forcing in this tick (Wh); recomputed only when
        the pressures, the power or the tick length changed."""
        kw = self.p_comp_kw
        if (p_unf != self._x_opt or p_ref != self._x_ref or ps != self._x_ps
                or kw != self._x_kw or dt_s != self._x_dt):
            self._x_opt = p_unf
            self._x_ref = p_ref
            self._x_ps = ps
            self._x_kw = kw
            self._x_dt = dt_s
            w_opt = (p_unf / ps) ** 0.23 - 1.0
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
