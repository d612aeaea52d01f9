# The control tick: signals -> modes and heat-recovery staging -> pressure, receiver and
# fan loops -> GC bypass -> output stage -> alarms, counters and status, once per tick.
# docs/control.md describes the strategy, every loop's fallbacks and every protection.
# Each loop has its own module; this one composes them and owns the output stage:
#   co2hr.signals      terminal values -> engineering units with a validity flag
#   co2hr.modes        the operating mode and the manual values
#   co2hr.hr_staging   the 0-10 V demand staging, the HR pump and the 3-way valve
#   co2hr.gc_pressure  HPEV: gas cooler pressure reference and loop, the HP protections
#   co2hr.hp_guard     whether p_gc can be trusted, and the stop while it cannot
#   co2hr.receiver     BEV: receiver pressure
#   co2hr.fans         gas cooler fans, with the HP fan safety
#   co2hr.gc_bypass    every rule of the gas cooler bypass valve
#   co2hr.start_seq    the start and restart sequence (compressor enable held off)
#   co2hr.deviation    the deviation alarms of the loops in automatic control
#   co2hr.energy       operating state and energy counters (co2hr.heatmeter: the heat meter)
#   co2hr.alarms       the alarm table and its states (the causes are set here)
# Order matters where a stage reads another's result: the loops see the GC bypass as
# the last tick left it (its decision needs the fan safety of this tick), the alarms and
# the status see this tick's.
# Output stage (_outputs): in mode Manual an output with a manual value (COMMANDS man_*)
# takes it, except where a safety keeps the output: the HP override keeps the HPEV and
# the fans, the water over-temperature the 3-way valve, the HP stop the compressor
# enable and the injection-stop relay (_inj_stop()). The start sequence (co2hr.start_seq)
# holds the compressor enable off, the HPEV at least at hpev_start_pct and the BEV at
# bev_fail_pct after boot, an HP stop and mode Off/Standby; a manual compressor enable
# waits for it too.
# A loop whose output a manual value takes tracks the real output, so it resumes
# bumplessly. Then every % output moves at most its rate limit per second towards its
# target, whatever asked for it (loop, manual value, safety, fallback), so no transfer
# makes it jump; the switches are set as they are.
# Storage: boot.build() sets self.store (co2hr.storage.Store) when there is flash; its
# `fault` raises the storage_fault alarm.
from micropython import const

from co2hr import alarms as A
from co2hr import status as S
from co2hr.alarms import Alarms
from co2hr.deviation import Deviation
from co2hr.energy import Energy
from co2hr.fans import FULL_SPEED_PCT, Fans
from co2hr.gc_bypass import GcBypass
from co2hr.gc_pressure import GcPressure
from co2hr.heatmeter import HM_FAILED
from co2hr.hp_guard import IMPLAUSIBLE, HpGuard
from co2hr.hpev_test import HpevTest
from co2hr.hr_staging import HrStaging
from co2hr.io import (
    AI_P_GC,
    AI_P_REC,
    AI_T_DISCH,
    AI_T_GC_OUT,
    AO_BEV,
    AO_FAN,
    AO_HPEV,
    AO_HR_PUMP,
    AO_HR_VALVE,
    CI_ENERGY,
    DI_COMP_RUN,
    DI_EXT_ENABLE,
    DI_FAN_OK,
    DI_HP_OK,
    DO_ALARM,
    DO_COMP_ENABLE,
    DO_GC_BYPASS,
    DO_INJ_STOP,
    SAFE_OUTPUTS,
)
from co2hr.modes import HEAT_RECOVERY, MANUAL, MAX_COP, OFF, STANDBY, Modes
from co2hr.pi import clamp
from co2hr.receiver import Receiver
from co2hr.settings import Settings, index
from co2hr.signals import F_RATE, Signals
from co2hr.start_seq import StartSeq
from co2hr.ticks import ticks_diff

_DT_MIN_MS = const(1)  # the tick length used is clamped into this range
_DT_MAX_MS = const(10000)
_N_ANALOG_OUT = const(5)  # outputs 0..4 are % and rate-limited; 5..7 are switches
_HR_PUMP_RATE_PCT_S = const(10)  # the HR pump's rate limit (no setting)
_MODE_CMD = index("mode_cmd")
_N_CAL = const(9)  # the cal_* settings: one per analog sensor, INPUTS order


def _man_output(i):
    """The output whose manual value COMMANDS row i is (-1: none)."""
    if S.CMD_MAN_FIRST <= i < S.CMD_MAN_FIRST + S.CMD_MAN_N:
        return i - S.CMD_MAN_FIRST
    if i == S.CMD_MAN_INJ_STOP:
        return DO_INJ_STOP
    return -1


class Controller:
    def __init__(self, board, settings=None):
        self.settings = settings if settings is not None else Settings()
        self.sig = Signals(board.get("inputs", {}))
        self.gc = GcPressure()
        self.guard = HpGuard()
        self.hpev_test = HpevTest()
        self.rec = Receiver()
        self.byp = GcBypass()
        self.fans = Fans()
        self.hr = HrStaging()
        self.modes = Modes()
        self.alarms = Alarms()
        self.start = StartSeq()
        self.dev = Deviation()
        self.relay_mask = 3  # alarm_relay_mask
        self.energy = Energy(self.sig.p1[CI_ENERGY])
        self.counters = self.energy.counters
        self.status = [0.0] * S.N_STATUS
        self.store = None  # set by boot.build(): the settings/counters store (.fault)
        self.clock = None  # set by boot.build(): co2hr.clock.Clock, the calendar
        self.events = None  # set by boot.build(): co2hr.eventlog.EventLog (tick() below)
        self.p_hp_alarm = 0.0  # from the settings (_configure())
        self.t_disch_max = 0.0
        self.prev_out = list(SAFE_OUTPUTS)  # the output stage ramps from here
        self.rate = [0.0] * _N_ANALOG_OUT  # the output stage's rate limits, %/s
        # Per-tick constants (MicroPython boxes every float result, so what depends only
        # on the settings or the tick length is computed when those change, not per tick):
        self._step = [0.0] * _N_ANALOG_OUT  # rate * dt: the output stage's largest move
        self._nstep = [0.0] * _N_ANALOG_OUT  # -(rate * dt)
        self._dt_ms = -1  # the tick length (ms) dt and _step were computed for
        self._dt = 0.0
        self.now_s = 0.0
        self._last_ms = None
        self._period_ms = int(board.get("tick_ms", 1000))
        self._ver = -1
        self._alarm_seen = 0
        self._stops_seen = 0
        self._inj_latch = 1  # the injection stop (_inj_stop()): on from boot, as SAFE_OUTPUTS
        self._configure()

    # --- settings
    def _configure(self):
        s = self.settings
        self._ver = s.version
        self.sig.configure(s.get("filt_p_s"), s.get("filt_t_s"), s.get("sensor_stuck_s"),
                           s.get("p_stuck_s"))
        c0 = index("cal_p_gc_bar")  # (looked up here: a module name costs heap)
        for k in range(_N_CAL):
            self.sig.calibrate(k, s.values[c0 + k])
        self.gc.configure(s)
        self.guard.configure(self.gc)
        self.rec.configure(s)
        self.byp.configure(s, self.rec.sp)
        self.fans.configure(s, self.gc.p_max)
        self.hr.configure(s)
        self.modes.configure(s)
        self.energy.configure(s)
        self.start.configure(s)
        self.dev.configure(s)
        self.relay_mask = int(s.get("alarm_relay_mask"))
        self.rate[AO_HPEV] = s.get("hpev_rate_pct_s")
        self.rate[AO_BEV] = s.get("bev_rate_pct_s")
        self.rate[AO_HR_VALVE] = s.get("hrv_rate_pct_s")
        self.rate[AO_FAN] = s.get("fan_rate_pct_s")
        self.rate[AO_HR_PUMP] = _HR_PUMP_RATE_PCT_S
        self._dt_ms = -1  # rates changed: recompute the output-stage steps
        # the alarm sits between the reference ceiling and the override
        self.p_hp_alarm = clamp(s.get("p_hp_alarm_bar"), self.gc.p_max, self.gc.p_ovr)
        self.t_disch_max = s.get("t_disch_max_c")

    # --- technician commands (COMMANDS rows)
    def command(self, i, value):
        if i < 0 or i >= S.N_COMMANDS:
            raise ValueError("no command %d" % i)
        t = S.COMMAND_TABLE
        if not (value == value) or value < t.lo(i) or value > t.hi(i):  # NaN fails too
            raise ValueError("%s=%s outside %s..%s" % (t.name(i), value, t.lo(i), t.hi(i)))
        if i == S.CMD_ALARM_ACK:
            if value:
                self.alarms.ack_all(self.now_s)
                self.guard.ack()
                self.hpev_test.ack()
        elif _man_output(i) >= 0:
            self.modes.set_manual(_man_output(i), value, self.now_s)
        elif i == S.CMD_MAN_RELEASE:
            if value:
                self.modes.release()
        elif i == S.CMD_HIST_CLEAR:
            if value:
                self.alarms.history_clear()
        elif i == S.CMD_ALARM_ACK_CODE:
            self.alarms.ack_code(int(value), self.now_s)
            self.guard.ack()  # (checked again at once: it latches again while it lies)
            if int(value) == self.alarms.code[A.A_HPEV_BLOCKED]:
                self.hpev_test.ack()  # (a lockout: only its own code, or all, ends it)
        elif i == S.CMD_BMS_DEMAND:
            self.hr.bms_write(value, self.now_s)

    def command_value(self, i):
        """Read-back of a COMMANDS row (manual values, -1 when auto)."""
        k = _man_output(i)
        if k >= 0:
            return self.modes.man[k] if self.modes.man_set[k] else -1
        if i == S.CMD_BMS_DEMAND:
            return self.hr.bms_v
        return 0

    def restore_counters(self, values):
        self.energy.restore(values)

    # --- the tick
    def step(self, now_ms, raw, ok, out):
        """One control tick: terminal values raw (ok: read) in, the outputs into out."""
        dt_ms = self._tick_length(now_ms)
        dt = self._dt
        self.now_s += dt
        now_s = self.now_s
        sig = self.sig
        sig.update(raw, ok, dt)
        mode = self.modes.update(self.settings.values[_MODE_CMD], now_s)
        prev = self.prev_out  # the outputs of the last tick
        gc = self.gc
        hr = self.hr
        byp = self.byp
        # heat recovery: permission, staging, pump and 3-way valve; the bypass's HR rule
        hr.staging(hr.demand(sig, dt, now_s), hr.permit(mode, sig))
        hr.water(sig, dt, prev[AO_HR_VALVE], prev[DO_GC_BYPASS] > 0.5, prev[AO_HR_PUMP], now_s)
        byp.request(hr)
        # the loops; the compressors stand still: comp_run off, or while it is invalid
        # our enable released in the last tick
        if sig.valid[DI_COMP_RUN]:
            still = sig.value[DI_COMP_RUN] < 0.5
        else:
            still = prev[DO_COMP_ENABLE] < 0.5
        gc.reference(sig, hr.raise_frac, dt, byp.hr_open, byp.hold)
        guard = self.guard
        guard.step(sig, not still, byp.hr_open or byp.hold, gc, dt)
        gc.step(sig, dt, now_s, still, prev[AO_FAN] >= FULL_SPEED_PCT, guard)
        self.hpev_test.step(sig, still, gc.stops, prev[AO_HPEV], dt, now_s)
        self.rec.step(sig, dt, not still, guard.rec_bad)
        self.fans.step(sig, gc, hr.fan_cut, byp.hold, now_s, dt)
        byp.step(sig, prev, hr, gc, self.fans, still, now_s)
        # outputs, then what they and the loops report
        self._outputs(out, mode)
        self._alarms(out, mode, now_s)
        self.dev.step(self, not still and not self.start.holding, dt_ms, now_s)
        if self.events is not None:  # mode changes, HP stops, the clock and log alarms
            self.events.tick(self, mode, now_s)
        al = self.alarms
        self.energy.step(self, out, dt_ms, dt)
        self.energy.count_events(al.activations - self._alarm_seen, gc.stops - self._stops_seen)
        self._alarm_seen = al.activations
        self._stops_seen = gc.stops
        self._report(mode, now_s)

    def _tick_length(self, now_ms):
        """dt in integer ms since the last tick (clamped to _DT_MIN_MS .. _DT_MAX_MS); the
        float self._dt is made once per length. Applies changed settings first."""
        if self._last_ms is None:
            dt_ms = self._period_ms
        else:
            dt_ms = ticks_diff(now_ms, self._last_ms)
            if dt_ms < _DT_MIN_MS:
                dt_ms = _DT_MIN_MS
            elif dt_ms > _DT_MAX_MS:
                dt_ms = _DT_MAX_MS
        self._last_ms = now_ms
        if self.settings.version != self._ver:
            self._configure()
        if dt_ms != self._dt_ms:
            self._dt_ms = dt_ms
            dt = dt_ms / 1000.0
            self._dt = dt
            for k in range(_N_ANALOG_OUT):
                step = self.rate[k] * dt
                self._step[k] = step
                self._nstep[k] = -step
        return dt_ms

    def _outputs(self, out, mode):
        """The output stage (see the header)."""
        gc = self.gc
        hr = self.hr
        fans = self.fans
        modes = self.modes
        prev = self.prev_out
        hpev = gc.out
        bev = self.rec.out
        hrv = hr.valve
        fan = fans.out
        pump = hr.pump
        byp = self.byp.out
        want = not (mode == OFF or mode == STANDBY or gc.comp_stop or self.guard.stop
                    or self.hpev_test.stop)
        st_ = self.start
        held = st_.step(want, prev[AO_HPEV], self.now_s)
        comp = 0.0 if held else 1.0
        if held and want:  # the start positions (see the header)
            if hpev < st_.start_pct:
                hpev = st_.start_pct
                gc.pi.track(hpev)
            bev = self.rec.fail_pct
            self.rec.pi.track(prev[AO_BEV])
        if mode == MANUAL:
            man = modes.man
            if modes.manual(AO_HPEV) and not gc.override:
                hpev = man[AO_HPEV]
                gc.pi.track(prev[AO_HPEV])
            if modes.manual(AO_BEV):
                bev = man[AO_BEV]
                self.rec.pi.track(prev[AO_BEV])
            if modes.manual(AO_HR_VALVE) and not hr.w_hot:
                hrv = man[AO_HR_VALVE]
                hr.valve_pi.track(prev[AO_HR_VALVE])
            if modes.manual(AO_FAN) and not gc.override:
                fan = man[AO_FAN]
                fans.pi.track(prev[AO_FAN])
            if modes.manual(AO_HR_PUMP):
                pump = man[AO_HR_PUMP]
            if modes.manual(DO_GC_BYPASS):
                byp = 1.0 if man[DO_GC_BYPASS] > 0.5 else 0.0
            if modes.manual(DO_COMP_ENABLE) and not gc.comp_stop and not held:
                comp = 1.0 if man[DO_COMP_ENABLE] > 0.5 else 0.0
        self._ramp(out, AO_HPEV, hpev)
        self._ramp(out, AO_BEV, bev)
        self._ramp(out, AO_HR_VALVE, hrv)
        self._ramp(out, AO_FAN, fan)
        self._ramp(out, AO_HR_PUMP, pump)
        out[DO_GC_BYPASS] = byp
        out[DO_COMP_ENABLE] = comp
        prev[DO_GC_BYPASS] = byp
        prev[DO_COMP_ENABLE] = comp  # "standing still" when comp_run is invalid
        self._inj_stop(out, held, mode)

    def _inj_stop(self, out, held, mode):
        """The injection-stop relay (docs/control.md "Injection stop"): on while a safety
        stops the compressors (the HP stop, the HP switch open, p_gc not trusted) and
        through the start sequence that follows (and the one after a boot: the reset
        stopped them too), until the enable is released. Mode Off/Standby is the
        operator's stop: it clears it. In mode Manual its manual value rules, except
        against a safety stop."""
        gc = self.gc
        stop = (gc.comp_stop or gc.hp_trip or self.guard.stop  # (p_gc untrusted: a safety)
                or self.hpev_test.stop)
        if stop:
            self._inj_latch = 1
        elif not held or mode == OFF or mode == STANDBY:
            self._inj_latch = 0
        inj = 1.0 if self._inj_latch else 0.0
        if self.modes.manual(DO_INJ_STOP) and not stop:
            inj = 1.0 if self.modes.man[DO_INJ_STOP] > 0.5 else 0.0
        out[DO_INJ_STOP] = inj

    def _ramp(self, out, k, target):
        prev = self.prev_out[k]
        target = clamp(target, 0.0, 100.0)
        if target != prev:  # (an output at its target costs no float work)
            d = target - prev
            if d > self._step[k]:
                target = prev + self._step[k]
            elif d < self._nstep[k]:
                target = prev - self._step[k]
        self.prev_out[k] = target
        out[k] = target

    def _alarms(self, out, mode, now_s):
        """Every alarm's cause for this tick; the common alarm relay."""
        sig = self.sig
        v = sig.value
        ok_ = sig.valid
        gc = self.gc
        hr = self.hr
        al = self.alarms
        for k in range(len(A.SENSOR_INPUT)):
            i = A.SENSOR_INPUT[k]
            bad = sig.kind[i] != 0 and not ok_[i]
            # a T3 rate fault while the low-ambient GC bypass holds is the process (see
            # co2hr.gc_bypass), and T3 is not used meanwhile
            if bad and self.byp.hold and i == AI_T_GC_OUT and sig.fault[i] == F_RATE:
                bad = False
            al.set(A.SENSOR_ALARM[k], bad, now_s)
        al.high(A.A_HP_HIGH, v[AI_P_GC] if ok_[AI_P_GC] else 0.0, self.p_hp_alarm, now_s)
        al.set(A.A_HP_SWITCH, gc.hp_trip, now_s)
        al.set(A.A_HP_OVERRIDE, gc.override, now_s)
        al.set(A.A_HP_STOP, gc.comp_stop, now_s)
        p_rec_ok = ok_[AI_P_REC] and not self.guard.rec_bad
        al.high(A.A_P_REC_HIGH, v[AI_P_REC] if p_rec_ok else 0.0, self.rec.hi, now_s)
        al.low(A.A_P_REC_LOW, v[AI_P_REC] if p_rec_ok else 100.0, self.rec.lo, now_s)
        al.set(A.A_W_HOT, hr.w_hot, now_s)
        al.high(A.A_T_DISCH_HIGH, v[AI_T_DISCH] if ok_[AI_T_DISCH] else 0.0,
                self.t_disch_max, now_s)
        al.set(A.A_FAN_FAIL, gc.fans_failed, now_s)
        al.set(A.A_MANUAL, self.modes.any_manual(), now_s)
        al.set(A.A_MAN_IDLE, self.modes.idle_manual(), now_s)
        al.set(A.A_NO_BACKHEAT, hr.on and hr.no_backheat, now_s)
        di_bad = 0
        for i in (DI_COMP_RUN, DI_HP_OK, DI_EXT_ENABLE, DI_FAN_OK):
            if sig.kind[i] != 0 and not ok_[i]:
                di_bad = 1
        al.set(A.A_DI_FAULT, di_bad, now_s)
        st_ = self.store
        al.set(A.A_STORAGE, st_ is not None and st_.fault, now_s)
        al.set(A.A_HEAT_METER, self.energy.meter.state >= HM_FAILED, now_s)
        al.set(A.A_MODE_OFF, mode == OFF or mode == STANDBY, now_s)
        al.set(A.A_P_GC_IMPLAUSIBLE, self.guard.trust == IMPLAUSIBLE, now_s)
        al.set(A.A_P_GC_BLIND_STOP, self.guard.stop, now_s)
        al.set(A.A_P_REC_IMPLAUSIBLE, self.guard.rec_bad, now_s)
        al.set(A.A_HPEV_BLOCKED, self.hpev_test.blocked, now_s)
        relay = 1.0 if al.relay(self.relay_mask) else 0.0
        if self.modes.manual(DO_ALARM):
            relay = 1.0 if self.modes.man[DO_ALARM] > 0.5 else 0.0
        out[DO_ALARM] = relay

    def _report(self, mode, now_s):
        """The STATUS values (co2hr.status) for this tick."""
        gc = self.gc
        hr = self.hr
        fans = self.fans
        rec = self.rec
        en = self.energy
        st = self.status
        st[S.ST_MODE] = mode
        st[S.ST_P_GC_REF] = gc.ref
        st[S.ST_P_GC_OPT] = gc.p_opt
        st[S.ST_REGIME] = gc.regime
        st[S.ST_HR_STAGE] = hr.stage
        st[S.ST_OP_STATE] = en.state
        st[S.ST_T3_SP] = fans.sp
        st[S.ST_HPEV_PI] = gc.pi.u
        st[S.ST_BEV_PI] = rec.pi.u
        st[S.ST_FAN_PI] = fans.pi.u
        st[S.ST_HRV_PI] = hr.valve_pi.u
        ov = S.OV_HP if gc.override else 0
        ov |= S.OV_COMP_STOP if gc.comp_stop else 0
        ov |= S.OV_W_HOT if hr.w_hot else 0
        ov |= S.OV_NO_BACKHEAT if (hr.on and hr.no_backheat) else 0
        ov |= S.OV_FAN_SAFETY if fans.safety else 0
        ov |= S.OV_P_GC_FB if gc.fallback else 0
        ov |= S.OV_P_REC_FB if rec.fallback else 0
        ov |= S.OV_T3_FB if gc.t3_fallback else 0
        ov |= S.OV_MANUAL if self.modes.any_manual() else 0
        if not hr.ext_ok and (mode == HEAT_RECOVERY or mode == MAX_COP):
            ov |= S.OV_EXT_OFF
        ov |= S.OV_DEMAND_FB if not hr.demand_ok else 0
        ov |= S.OV_P_REC_LIM if rec.limit else 0
        ov |= S.OV_W_FB if hr.temp_fallback else 0
        ov |= S.OV_P_GC_LIM if gc.limiting else 0
        if hr.on and (hr.fan_reduce > 0.0 or hr.bypass) and not hr.sink:
            ov |= S.OV_NO_SINK
        st[S.ST_OVERRIDES] = ov
        st[S.ST_Q_HR_KW] = en.q_hr_kw
        st[S.ST_P_COMP_KW] = en.p_comp_kw
        st[S.ST_EHR] = en.ehr()
        st[S.ST_MANUAL_LEFT] = self.modes.manual_left_s(now_s)
        st[S.ST_ALARMS_ACTIVE] = self.alarms.n_active
        st[S.ST_FAN_LIMIT] = fans.limit
        st[S.ST_HR_RAISE] = gc.raise_bar
        st[S.ST_Q_HR_METER_KW] = en.meter.q_kw
        st[S.ST_HR_METER] = en.meter.state
        st[S.ST_GCB_REC] = (S.GCB_REC_OPEN if self.byp.rec_open else
                            S.GCB_REC_NO_BACKFLOW if gc.no_back else S.GCB_REC_OFF)
        st[S.ST_T3_SRC] = gc.t3_src
        st[S.ST_START_LEFT] = self.start.left_s
        st[S.ST_P_GC_TRUST] = self.guard.trust
        st[S.ST_P_GC_SUB] = self.guard.p_sub if self.guard.p_sub > 0.0 else 0.0
