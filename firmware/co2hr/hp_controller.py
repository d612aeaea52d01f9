# The heat pump application's control tick (a board file with "app": "heatpump";
# co2hr.boot chooses it). docs/heatpump.md ("The application") describes the strategy.
# It shares the signals, modes, PI, alarms, start sequence, storage, event log and
# Modbus layers with the supermarket plant (co2hr.controller) and adds its own loops:
#   co2hr.hp_capacity   the heat demand -> whether and how fast the compressor runs
#   co2hr.hp_schedule   the grid's enable, the price rule with the tank, short cycling
#   co2hr.defrost       the outdoor coil's defrost on demand (timed fallback)
#   co2hr.hp_gc         HPEV: the gas cooler pressure loop and the high-side protections
#   co2hr.hp_supply     the supply setpoint and the water pump that holds it
#   co2hr.hp_fans       the evaporator fans, capped in the quiet hours
#   co2hr.hp_meters     heat, electricity, defrost counters and their calendar
# The compressor runs when mode (Max-COP, Heat recovery or Manual), schedule, defrost and
# the high side all let it, and the start sequence (co2hr.start_seq) has the HPEV at its
# start opening. Mode Manual: an output with a manual value (COMMANDS man_*) takes it,
# except that the HP override keeps the HPEV and a high-side stop the compressor
# enable and speed. Every % output moves at most its rate limit per second.
from micropython import const

from co2hr import alarms as A
from co2hr import status as S
from co2hr.alarms import Alarms
from co2hr.co2sat import t_sat_c
from co2hr.defrost import DRIP, END_TIME, FANS_ONLY, HOT_GAS, RUN, Defrost
from co2hr.hp_capacity import HpCapacity
from co2hr.hp_fans import HpFans
from co2hr.hp_gc import STOP_BLIND, STOP_DISCH, STOP_P_GC, STOP_SWITCH, HpGc
from co2hr.hp_meters import HpMeters
from co2hr.hp_schedule import N_PRICES, HpSchedule
from co2hr.hp_supply import HpSupply
from co2hr.io import (
    AI_P_GC,
    AI_P_SUC,
    AI_T_AMB,
    AI_T_COIL,
    AI_T_DISCH,
    AI_T_TANK,
    AI_T_W_IN,
    AI_T_W_OUT,
    AO_BEV,
    AO_COMP_SPEED,
    AO_FAN,
    AO_HPEV,
    AO_HR_PUMP,
    CI_ENERGY,
    DI_BOILER,
    DI_COMP_RUN,
    DI_EXT_ENABLE,
    DI_FAN_OK,
    DO_ALARM,
    DO_COMP_ENABLE,
    N_OUT,
    SAFE_OUTPUTS,
)
from co2hr.modes import OFF, STANDBY, Modes
from co2hr.pi import clamp, ramp
from co2hr.settings import Settings, index
from co2hr.signals import Signals
from co2hr.start_seq import StartSeq
from co2hr.ticks import ticks_diff

_DT_MIN_MS = const(1)
_DT_MAX_MS = const(10000)
_MODE_CMD = index("mode_cmd")
_N_CAL = const(9)  # the cal_* settings: one per analog sensor, INPUTS order
_DT_EVAP_FAIL_K = 8.0  # p_suc invalid: the evaporator taken this far below the air
_T_EVAP_FAIL_C = -10.0  # ... and with the air invalid too
_BEV_RATE_PCT_S = const(10)
_FAN_FAIL_PCT = const(10)  # the fan contact is judged above this command
_UNIX_H_2000 = const(262968)  # the unix hour of 2000-01-01 00:00 UTC, the clock's day 0
_RUN_MODE_OFF = const(8)  # STATUS hp_run_why beyond co2hr.hp_schedule's WHY_*
_RUN_HP_STOP = const(9)
_RUN_DEFROST = const(10)


def _man_output(i):
    """The output whose manual value COMMANDS row i is (-1: none)."""
    if S.CMD_MAN_FIRST <= i < S.CMD_MAN_FIRST + S.CMD_MAN_N:
        return i - S.CMD_MAN_FIRST
    if i == S.CMD_MAN_COMP_SPEED:
        return AO_COMP_SPEED
    return -1


class HpController:
    HEATPUMP = 1  # the application: co2hr.modbus.registers serves its groups

    def __init__(self, board, settings=None):
        self.settings = settings if settings is not None else Settings()
        self.sig = Signals(board.get("inputs", {}))
        self.modes = Modes()
        self.alarms = Alarms()
        self.start = StartSeq()
        self.cap = HpCapacity()
        self.sched = HpSchedule()
        self.df = Defrost()
        self.gc = HpGc()  # (.stops: the event log's HP stops)
        self.sup = HpSupply()
        self.fans = HpFans()
        self.energy = HpMeters(self.sig.p1[CI_ENERGY])  # (.cal: the calendar registers)
        self.counters = self.energy.counters
        self.status = [0.0] * (S.N_STATUS + S.N_HP_STATUS)
        self.store = None  # set by boot.build(), as for co2hr.controller
        self.clock = None
        self.events = None
        self.relay_mask = 3
        self.df_bev_pct = 100.0  # from the settings (_configure())
        self.df_comp_pct = 40.0
        self.t_return_max = 45.0
        self.drive_min = 0.29
        self.prev_out = list(SAFE_OUTPUTS)
        self.rate = [0.0] * N_OUT  # %/s per output (0: a switch, set as it is)
        self.price = [0] * (N_PRICES + 3)  # the price vector as written (holding 300..)
        self.now_s = 0.0
        self.t_evap = 0.0
        self.run_why = 0
        self._dt = 1.0
        self._dt_ms = -1
        self._last_ms = None
        self._period_ms = int(board.get("tick_ms", 1000))
        self._ver = -1
        self._seen = [0, 0, 0, 0]  # alarm activations, HP stops, starts, defrosts counted
        self._configure()

    # --- settings
    def _configure(self):
        s = self.settings
        self._ver = s.version
        self.sig.configure(s.get("filt_p_s"), s.get("filt_t_s"), s.get("sensor_stuck_s"),
                           s.get("p_stuck_s"))
        c0 = index("cal_p_gc_bar")
        for k in range(_N_CAL):
            self.sig.calibrate(k, s.values[c0 + k])
        for m in (self.modes, self.cap, self.sched, self.df, self.gc, self.sup, self.fans,
                  self.energy):
            m.configure(s)
        self.start.delay_s = s.get("comp_start_delay_s")
        self.start.start_pct = s.get("hp_hpev_start_pct")
        self.relay_mask = int(s.get("alarm_relay_mask"))
        self.df_bev_pct = s.get("df_bev_pct")
        self.df_comp_pct = s.get("df_comp_pct")
        self.t_return_max = s.get("hp_t_return_max_c")
        self.drive_min = s.get("hp_drive_min_pct") / 100.0
        r = self.rate
        r[AO_HPEV] = s.get("hp_hpev_rate_pct_s")
        r[AO_BEV] = _BEV_RATE_PCT_S
        r[AO_FAN] = s.get("hp_fan_rate_pct_s")
        r[AO_HR_PUMP] = s.get("hp_pump_rate_pct_s")
        r[AO_COMP_SPEED] = s.get("hp_comp_rate_pct_s")

    # --- technician commands (COMMANDS rows) and the price vector
    def command(self, i, value):
        if i < 0 or i >= S.N_COMMANDS:
            raise ValueError("no command %d" % i)
        t = S.COMMAND_TABLE
        if not (value == value) or value < t.lo(i) or value > t.hi(i):  # NaN fails too
            raise ValueError("%s=%s outside %s..%s" % (t.name(i), value, t.lo(i), t.hi(i)))
        if i == S.CMD_ALARM_ACK:
            if value:
                self.alarms.ack_all(self.now_s)
                self.gc.ack()
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
            if int(value) == self.alarms.code[A.A_HPEV_BLOCKED]:
                self.gc.ack()
        elif i == S.CMD_BMS_DEMAND:
            self.cap.bms_write(value, self.now_s)

    def command_value(self, i):
        k = _man_output(i)
        if k >= 0:
            return self.modes.man[k] if self.modes.man_set[k] else -1
        if i == S.CMD_BMS_DEMAND:
            return self.cap.bms_v
        return 0

    def price_ok(self, i, raw):
        """A price word (holding 300 + i) the vector may take."""
        if i == N_PRICES:
            return 1 <= raw <= N_PRICES
        return True

    def price_write(self, i, raw):
        """Holding 300 + i: a price (signed), the count, the first hour; its low word
        hands the vector to the schedule."""
        p = self.price
        p[i] = raw - 0x10000 if i < N_PRICES and raw > 32767 else raw
        if i == N_PRICES + 2:
            h0 = (p[N_PRICES + 1] << 16) | raw
            n = p[N_PRICES]
            if 1 <= n <= N_PRICES:
                self.sched.set_prices(h0, p[:n])

    def price_word(self, i):
        v = self.price[i]
        return v & 0xFFFF

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
        prev = self.prev_out
        v = sig.value
        vok = sig.valid
        if vok[DI_COMP_RUN]:
            running = v[DI_COMP_RUN] >= 0.5
        else:
            running = prev[DO_COMP_ENABLE] >= 0.5
        te = self._t_evap(sig)
        gc = self.gc
        self.cap.step(sig, now_s, gc.override)
        grid = vok[DI_EXT_ENABLE] and v[DI_EXT_ENABLE] >= 0.5
        # a high-side stop counts as the grid's: the start delay and the least stop time
        # run again before the next start
        hour = self._hour()
        sched_on = self.sched.step(dt, hour, grid and not gc.stop and not gc.locked,
                                   self.cap.want, v[AI_T_TANK], vok[AI_T_TANK])
        df = self.df
        # the defrost's load: the compressor's flow as a share of the most (its speed)
        load = 0.0
        if running:
            load = self.drive_min * 100.0 + (1.0 - self.drive_min) * prev[AO_COMP_SPEED]
        df.step(dt, v[AI_T_AMB], vok[AI_T_AMB], v[AI_P_SUC], vok[AI_P_SUC],
                 v[AI_T_COIL], vok[AI_T_COIL], load, prev[AO_FAN])
        boiler = vok[DI_BOILER] and v[DI_BOILER] >= 0.5
        sp = self.sup.setpoint(v[AI_T_AMB], vok[AI_T_AMB], boiler)
        gc.step(sig, dt, running, te, sp, now_s)
        want = self._want_run(mode, sched_on)
        held = self.start.step(want, prev[AO_HPEV], now_s)
        self._targets(out, running, te, want and not held)
        self._outputs(out, mode)
        self._alarms(out, mode, now_s)
        if self.events is not None:
            self.events.tick(self, mode, now_s)
        self._count(dt_ms, running, grid)
        self._report(mode, sp, hour)

    def _tick_length(self, now_ms):
        """dt in integer ms since the last tick (clamped); applies changed settings."""
        if self._last_ms is None:
            dt_ms = self._period_ms
        else:
            dt_ms = clamp(ticks_diff(now_ms, self._last_ms), _DT_MIN_MS, _DT_MAX_MS)
        self._last_ms = now_ms
        if self.settings.version != self._ver:
            self._configure()
        if dt_ms != self._dt_ms:
            self._dt_ms = dt_ms
            self._dt = dt_ms / 1000.0
        return dt_ms

    def _hour(self):
        """The unix hour (unix time / 3600) of the clock; -1 while it is not set (the
        price rule then has no hour to rank: co2hr.hp_schedule)."""
        c = self.clock
        if c is None or not c.valid:
            return -1
        return c.days * 24 + c.sod // 3600 + _UNIX_H_2000

    def _t_evap(self, sig):
        v = sig.value
        if sig.valid[AI_P_SUC]:
            self.t_evap = t_sat_c(v[AI_P_SUC])
        elif sig.valid[AI_T_AMB]:
            self.t_evap = v[AI_T_AMB] - _DT_EVAP_FAIL_K
        else:
            self.t_evap = _T_EVAP_FAIL_C
        return self.t_evap

    def _want_run(self, mode, sched_on):
        """The compressor may run this tick (before the start sequence); sets run_why."""
        if mode == OFF or mode == STANDBY:
            self.run_why = _RUN_MODE_OFF
            return 0
        if self.gc.stop or self.gc.locked:
            self.run_why = _RUN_HP_STOP
            return 0
        st = self.df.state
        if st == FANS_ONLY or st == DRIP:
            self.run_why = _RUN_DEFROST
            return 0
        self.run_why = self.sched.why  # (a hot gas defrost runs while the schedule lets it)
        return 1 if sched_on else 0

    def _targets(self, out, running, te, enable):
        """What the loops ask of each output this tick (before manual values and rates)."""
        sig = self.sig
        v = sig.value
        vok = sig.valid
        df = self.df
        out[AO_HPEV] = self.gc.out
        hot = df.state == HOT_GAS
        out[AO_BEV] = self.df_bev_pct if hot else 0.0
        pump = self.sup.step(self._dt, v[AI_T_W_OUT], vok[AI_T_W_OUT], running)
        out[AO_HR_PUMP] = pump
        lim = self.cap.limit(self._dt, pump, v[AI_T_W_OUT], vok[AI_T_W_OUT], self.sup.sp)
        quiet = self.fans.quiet(self.clock)
        fan = self.fans.step(self._dt, running and df.state == RUN, v[AI_T_AMB], te,
                             vok[AI_T_AMB] and vok[AI_P_SUC], quiet)
        fan = df.fans_pct(fan)
        if quiet and fan > self.fans.quiet_pct:
            fan = self.fans.quiet_pct
        out[AO_FAN] = fan
        if enable:
            speed = self.df_comp_pct if hot else self.cap.want_pct
            if speed > lim:
                speed = lim
            if self.gc.override and speed > self.cap.min_pct:
                speed = self.cap.min_pct
        else:
            speed = 0.0
        out[AO_COMP_SPEED] = speed
        out[DO_COMP_ENABLE] = 1.0 if enable else 0.0

    def _outputs(self, out, mode):
        """Manual values (the safeties over them), then the rate limits."""
        modes = self.modes
        prev = self.prev_out
        gc = self.gc
        for k in range(N_OUT):
            if k == DO_ALARM or not modes.manual(k):
                continue
            if k == AO_HPEV and gc.override:
                continue
            if (k == DO_COMP_ENABLE or k == AO_COMP_SPEED) and (
                    gc.stop or gc.locked or self.start.holding):
                continue
            out[k] = modes.man[k]
        for k in range(N_OUT):
            r = self.rate[k]
            if r > 0.0:
                out[k] = ramp(prev[k], out[k], r * self._dt)
            prev[k] = out[k]
        if out[DO_COMP_ENABLE] < 0.5:
            out[AO_COMP_SPEED] = 0.0
            prev[AO_COMP_SPEED] = 0.0

    def _alarms(self, out, mode, now_s):
        sig = self.sig
        v = sig.value
        vok = sig.valid
        al = self.alarms
        gc = self.gc
        for k in range(len(A.SENSOR_INPUT)):
            i = A.SENSOR_INPUT[k]
            al.set(A.SENSOR_ALARM[k], sig.kind[i] != 0 and not vok[i], now_s)
        al.high(A.A_HP_HIGH, v[AI_P_GC] if vok[AI_P_GC] else 0.0, gc.p_ovr, now_s)
        al.set(A.A_HP_SWITCH, gc.stop == STOP_SWITCH, now_s)
        al.set(A.A_HP_OVERRIDE, gc.override, now_s)
        al.set(A.A_HP_STOP, gc.stop == STOP_P_GC or gc.stop == STOP_DISCH, now_s)
        al.set(A.A_P_GC_BLIND_STOP, gc.stop == STOP_BLIND, now_s)
        al.set(A.A_HPEV_BLOCKED, gc.locked, now_s)
        al.high(A.A_T_DISCH_HIGH, v[AI_T_DISCH] if vok[AI_T_DISCH] else 0.0,
                gc.t_disch_max, now_s)
        fan_bad = out[AO_FAN] > _FAN_FAIL_PCT and sig.kind[DI_FAN_OK] != 0 and not (
            vok[DI_FAN_OK] and v[DI_FAN_OK] >= 0.5)
        al.set(A.A_FAN_FAIL, fan_bad, now_s)
        al.set(A.A_MANUAL, self.modes.any_manual(), now_s)
        al.set(A.A_MAN_IDLE, self.modes.idle_manual(), now_s)
        st_ = self.store
        al.set(A.A_STORAGE, st_ is not None and st_.fault, now_s)
        al.set(A.A_MODE_OFF, mode == OFF or mode == STANDBY, now_s)
        al.set(A.A_DF_TIMEOUT, self.df.end == END_TIME, now_s)
        al.set(A.A_SUPPLY_SHORT, self.sup.short, now_s)
        al.high(A.A_RETURN_HIGH, v[AI_T_W_IN] if vok[AI_T_W_IN] else 0.0,
                self.t_return_max, now_s)
        relay = 1.0 if al.relay(self.relay_mask) else 0.0
        if self.modes.manual(DO_ALARM):
            relay = 1.0 if self.modes.man[DO_ALARM] > 0.5 else 0.0
        out[DO_ALARM] = relay

    def _count(self, dt_ms, running, grid):
        en = self.energy
        st = self.df.state
        en.step(self.sig, dt_ms, running, st != RUN, not grid, self.clock)
        seen = self._seen
        now = (self.alarms.activations, self.gc.stops, self.sched.starts, self.df.count)
        en.count(now[0] - seen[0], now[1] - seen[1], now[2] - seen[2], now[3] - seen[3])
        for k in range(4):
            seen[k] = now[k]

    def _report(self, mode, sp, hour):
        st = self.status
        gc = self.gc
        hp = S.N_STATUS
        st[S.ST_MODE] = mode
        st[S.ST_P_GC_REF] = gc.ref_bar
        st[S.ST_P_GC_OPT] = gc.press.p_opt
        st[S.ST_OP_STATE] = 1 if self.prev_out[DO_COMP_ENABLE] >= 0.5 else 0
        st[S.ST_HPEV_PI] = gc.pi.u
        st[S.ST_FAN_PI] = self.fans.pi.u
        st[S.ST_ALARMS_ACTIVE] = self.alarms.n_active
        st[S.ST_MANUAL_LEFT] = self.modes.manual_left_s(self.now_s)
        st[S.ST_START_LEFT] = self.start.left_s
        st[hp + S.HS_P_OPT] = gc.press.p_opt
        st[hp + S.HS_P_SUPPLY] = gc.press.p_supply
        st[hp + S.HS_P_WHY] = 2 if gc.press.capped else gc.press.supply_bound
        st[hp + S.HS_SUPPLY_SP] = sp
        st[hp + S.HS_SUPPLY_SHORT] = self.sup.short
        st[hp + S.HS_RUN_WHY] = self.run_why
        df = self.df
        st[hp + S.HS_DF_STATE] = df.state
        st[hp + S.HS_DF_WHY] = df.why
        st[hp + S.HS_DF_RISE] = (df.f / df.f0 - 1.0) * 100.0 if df.f0 > 0.0 else 0.0
        st[hp + S.HS_DF_FALLBACK] = df.fallback
        st[hp + S.HS_T_EVAP] = self.t_evap
        st[hp + S.HS_FAN_CAP] = self.fans.capped
        en = self.energy
        st[hp + S.HS_Q_HEAT_KW] = en.q_kw
        st[hp + S.HS_COP] = en.cop
        st[hp + S.HS_SCOP] = en.scop()
        st[hp + S.HS_COMP_WANT] = self.cap.want_pct if self.cap.want else 0.0
        st[hp + S.HS_PRICE_CHEAP] = self.sched.cheap(hour) if hour >= 0 else -1
