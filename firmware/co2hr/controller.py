# Control law composition: signals -> modes/staging -> loops -> output stage -> alarms,
# status and counters, once per tick (DOMAIN.md section 2).
#
# Fallbacks when an input a loop needs is invalid (each also raises its alarm):
#   p_gc     HPEV to hpev_fail_pct (fixed safe opening); the HP protections go on with
#            the last good value, or the newer sample when it is higher and only failed
#            the rate/stuck check, and with the HP switch (which alone forces the
#            override, valid p_gc or not)
#   T3       pressure reference p_ref_fail_bar without any HR raise (no forcing while
#            the regime is unknown); fans 100 %
#   t_amb    fans 100 %
#   p_rec    BEV to bev_fail_pct
#   demand   heat recovery off (no forcing)
#   t_disch / t_w_in / t_w_out   HRHX bypassed (3-way valve 0)
#   p_suc    EHR estimate uses 27 bar; energy pulses invalid: no compressor energy
#   comp_run (invalid)  the compressor counts as running while it is enabled
# Output stage: every % output moves at most its rate limit per second, whatever the
# mode, manual value, safety or fallback asks for, so no transfer makes it jump.
# HP stop: the fans run at full speed through it and FAN_HOLD_S after the restart. The
# stop means the heat rejection could not keep up; the T3 loop winds down to 0 while
# the compressors stand (T3 = ambient) and restarted at 5 %/s, while the restart drove
# p_gc from 50 to 108 bar (fan_failure_hot_day after the fans came back).
# Heat sink: fan reduction and the GC bypass act only while the HRHX takes the heat
# (co2hr.hr_staging `sink`); the HP safeties (p_gc within 2 bar of p_gc_max, override,
# HP switch) lift every fan limit and close the GC bypass, which then stays shut until
# the demand falls past 9.3 V. While the bypass is open the pressure reference stays
# at p_hr_max (co2hr.gc_pressure) and the 3-way valve sends all the CO2 through the
# HRHX (co2hr.hr_staging).
# Low ambient (DOMAIN.md 2.3): the GC bypass also opens for the receiver pressure
# (co2hr.receiver.RecBypass) while the compressors run, fans stopped; either rule may
# open it, the same HP safeties close both. While it is open the reference stays at its
# subcritical floor (co2hr.gc_pressure) and the fans stay stopped.
# Storage: boot.build() sets self.store (co2hr.storage.Store) when there is flash; its
# `fault` raises the storage_fault alarm.
from co2hr import alarms as A
from co2hr import status as S
from co2hr.alarms import Alarms
from co2hr.energy import Energy
from co2hr.fans import Fans
from co2hr.gc_pressure import REG_SUB, GcPressure
from co2hr.hr_staging import HrStaging
from co2hr.io import (
    AI_DEMAND,
    AI_P_GC,
    AI_P_REC,
    AI_P_SUC,
    AI_T_AMB,
    AI_T_DISCH,
    AI_T_GC_OUT,
    AI_T_TANK,
    AI_T_W_IN,
    AI_T_W_OUT,
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
    N_OUT,
    SAFE_OUTPUTS,
)
from co2hr.modes import HEAT_RECOVERY, MAX_COP, OFF, STANDBY, Modes
from co2hr.pi import clamp
from co2hr.receiver import RecBypass, Receiver
from co2hr.signals import F_RATE, F_STUCK, Signals
from co2hr.ticks import ticks_diff

FAN_FULL_PCT = 99.5  # fan output counted as full speed
FAN_HOLD_S = 120.0  # fans stay at full speed this long after an HP stop cleared
GCB_DP_GC_BAR = 10.0  # low-ambient GC bypass closes when p_gc is this far above its ref
N_ANALOG_OUT = 5  # outputs 0..4 are % and rate-limited; 5..7 are switches
_SENSOR_ALARMS = (
    (AI_P_GC, A.A_P_GC_SENSOR),
    (AI_P_REC, A.A_P_REC_SENSOR),
    (AI_P_SUC, A.A_P_SUC_SENSOR),
    (AI_T_GC_OUT, A.A_T3_SENSOR),
    (AI_T_AMB, A.A_T_AMB_SENSOR),
    (AI_T_DISCH, A.A_T_DISCH_SENSOR),
    (AI_T_W_IN, A.A_T_W_IN_SENSOR),
    (AI_T_W_OUT, A.A_T_W_OUT_SENSOR),
    (AI_T_TANK, A.A_T_TANK_SENSOR),
    (AI_DEMAND, A.A_DEMAND_SENSOR),
)


class Controller:
    def __init__(self, board, settings=None):
        if settings is None:
            from co2hr.settings import Settings

            settings = Settings()
        self.settings = settings
        self.sig = Signals(board.get("inputs", {}))
        self.gc = GcPressure()
        self.rec = Receiver()
        self.rbyp = RecBypass()  # low-ambient GC bypass for the receiver pressure
        self.fans = Fans()
        self.hr = HrStaging()
        self.modes = Modes()
        self.alarms = Alarms()
        self.energy = Energy()
        self.counters = self.energy.counters
        self.status = [0.0] * S.N_STATUS
        self.prev_out = list(SAFE_OUTPUTS)  # the output stage ramps from here
        self.rate = [0.0] * N_ANALOG_OUT
        # Per-tick constants (MicroPython boxes every float result, so what depends only
        # on the settings or the tick length is computed when those change, not per tick):
        self._step = [0.0] * N_ANALOG_OUT  # rate * dt: the output stage's largest move
        self._nstep = [0.0] * N_ANALOG_OUT  # -(rate * dt)
        self._dt_ms = -1  # the tick length (ms) dt and _step were computed for
        self._dt = 0.0
        self.now_s = 0.0
        self._last_ms = None
        self._period_ms = int(board.get("tick_ms", 1000))
        self._ver = -1
        self._alarm_seen = 0
        self._stops_seen = 0
        self._fan_hold_s = -1.0  # fans held at full speed until (after an HP stop)
        self._byp_block = 0  # GC bypass held shut after the HP fan safety closed it
        self._fan_guard = 0  # HP fan safety (hysteresis, see step())
        self._fg_ref = -1.0  # reference the fan safety levels below were made for
        self._fg_on = 0.0  # ref + 5
        self._fg_off = 0.0  # ref + 1
        self._gcb_hi = 0.0  # ref + GCB_DP_GC_BAR
        self.kwh_per_pulse = self.sig.p1[CI_ENERGY]
        self.store = None  # set by boot.build(): the settings/counters store (.fault)
        self._configure()

    # --- settings
    def _configure(self):
        s = self.settings
        self._ver = s.version
        self.sig.configure(s.get("filt_p_s"), s.get("filt_t_s"), s.get("sensor_stuck_s"))
        self.gc.configure(s)
        self.rec.configure(s)
        self.rbyp.configure(s, self.rec.sp)
        self.fans.configure(s)
        self.hr.configure(s)
        self.modes.configure(s)
        self.rate[AO_HPEV] = s.get("hpev_rate_pct_s")
        self.rate[AO_BEV] = s.get("bev_rate_pct_s")
        self.rate[AO_HR_VALVE] = s.get("hrv_rate_pct_s")
        self.rate[AO_FAN] = s.get("fan_rate_pct_s")
        self.rate[AO_HR_PUMP] = 10.0
        self._dt_ms = -1  # rates changed: recompute the output-stage steps
        self.p_gc_max = self.gc.p_max
        self.p_gc_near_max = self.p_gc_max - 2.0  # fan safety threshold
        self.p_gc_fan_off = self.p_gc_max - 5.0  # fan safety ends below (and ref + 1)
        # the alarm sits between the reference ceiling and the override
        self.p_hp_alarm = clamp(s.get("p_hp_alarm_bar"), self.p_gc_max, self.gc.p_ovr)
        self.p_rec_hi = self.rec.hi
        self.p_rec_lo = self.rec.lo
        self.t_disch_max = s.get("t_disch_max_c")
        self.hr_flow = s.get("hr_flow_kg_s")

    # --- technician commands (COMMANDS rows)
    def command(self, i, value):
        if i < 0 or i >= S.N_COMMANDS:
            raise ValueError("no command %d" % i)
        row = S.COMMANDS[i]
        if not (value == value) or value < row[1] or value > row[2]:
            raise ValueError("%s=%s outside %s..%s" % (row[0], value, row[1], row[2]))
        if i == S.CMD_ALARM_ACK:
            if value:
                self.alarms.ack_all(self.now_s)
        elif S.CMD_MAN_FIRST <= i < S.CMD_MAN_FIRST + N_OUT:
            self.modes.set_manual(i - S.CMD_MAN_FIRST, value, self.now_s)
        elif i == S.CMD_MAN_RELEASE:
            if value:
                self.modes.release()
        elif i == S.CMD_HIST_CLEAR:
            if value:
                self.alarms.history_clear()

    def command_value(self, i):
        """Read-back of a COMMANDS row (manual values, -1 when auto)."""
        if S.CMD_MAN_FIRST <= i < S.CMD_MAN_FIRST + N_OUT:
            k = i - S.CMD_MAN_FIRST
            return self.modes.man[k] if self.modes.man_set[k] else -1
        return 0

    def restore_counters(self, values):
        self.energy.restore(values)

    # --- the tick
    def step(self, now_ms, raw, ok, out):
        # dt in integer ms (clamped to 1 ms .. 10 s); the float is made once per length
        if self._last_ms is None:
            dt_ms = self._period_ms
        else:
            dt_ms = ticks_diff(now_ms, self._last_ms)
            if dt_ms < 1:
                dt_ms = 1
            elif dt_ms > 10000:
                dt_ms = 10000
        self._last_ms = now_ms
        if self.settings.version != self._ver:
            self._configure()
        if dt_ms != self._dt_ms:
            self._set_dt(dt_ms)
        dt = self._dt
        self.now_s += dt
        now_s = self.now_s
        sig = self.sig
        sig.update(raw, ok, dt)
        v = sig.value
        ok_ = sig.valid
        modes = self.modes
        mode = modes.update(self.settings.values[0], now_s)

        # --- heat recovery permission and staging
        ext_ok = ok_[DI_EXT_ENABLE] and v[DI_EXT_ENABLE] > 0.5
        if mode == HEAT_RECOVERY:
            allow = 2
        elif mode == MAX_COP or mode == 4:
            allow = 1
        else:
            allow = 0
        if not ext_ok:
            allow = 0
        demand_ok = ok_[AI_DEMAND]
        if not demand_ok:
            allow = 0
        hr = self.hr
        hr.staging(v[AI_DEMAND], allow)
        temps_ok = ok_[AI_T_DISCH] and ok_[AI_T_W_IN] and ok_[AI_T_W_OUT]
        hr.water(v[AI_T_DISCH], v[AI_T_W_IN], v[AI_T_W_OUT], temps_ok, dt,
                 self.prev_out[AO_HR_VALVE], self.prev_out[DO_GC_BYPASS] > 0.5)

        # --- gas cooler pressure
        gc = self.gc
        rbyp = self.rbyp
        gc.reference(v[AI_T_GC_OUT], ok_[AI_T_GC_OUT], hr.raise_frac, dt,
                     hr.gc_bypass and not self._byp_block, rbyp.hold)
        p_ok = ok_[AI_P_GC]
        p_gc = v[AI_P_GC]
        p_prot = p_gc  # invalid p_gc: the last good value (value holds it) ...
        if not p_ok:
            f = sig.fault[AI_P_GC]
            if f == F_RATE or f == F_STUCK:  # ... or the newer sample if higher
                if sig.sample[AI_P_GC] > p_prot:
                    p_prot = sig.sample[AI_P_GC]
            elif sig.kind[AI_P_GC] == 0:
                p_prot = -1.0  # not wired: unknown
        hp_trip = ok_[DI_HP_OK] and v[DI_HP_OK] < 0.5
        # compressors standing still (comp_run, or our enable released): the HPEV holds
        # its safe opening instead of winding shut, so a restart does not compress
        # against a closed valve (a pressure spike within seconds)
        if ok_[DI_COMP_RUN]:
            still = v[DI_COMP_RUN] < 0.5
        else:
            still = self.prev_out[DO_COMP_ENABLE] < 0.5
        fan_fail = ok_[DI_FAN_OK] and v[DI_FAN_OK] < 0.5
        fans_full = self.prev_out[AO_FAN] >= FAN_FULL_PCT
        hpev = gc.step(p_gc, p_ok, dt, now_s, p_prot, hp_trip, still, fan_fail, fans_full,
                       v[AI_P_REC] if ok_[AI_P_REC] else -1.0)
        if gc.comp_stop:  # fans full through an HP stop and FAN_HOLD_S after it
            self._fan_hold_s = now_s + FAN_HOLD_S

        # --- receiver
        bev = self.rec.step(v[AI_P_REC], ok_[AI_P_REC], dt)

        # --- fans: the HP fan safety lifts every fan limit (noise cap, HR reduction)
        # when the HPEV cannot hold the pressure: p_gc within 2 bar of p_gc_max or more
        # than 5 bar above its reference; it ends when p_gc is back below both
        # p_gc_max - 5 and ref + 1 (hysteresis, so the fans do not hunt at the limit)
        # (the low-ambient bypass, open, lifts p_gc 5-7 bar above its floor within
        # seconds while the HPEV opens for the gas: that is not the fans' business, they
        # have no CO2 to cool; it closes itself at ref + GCB_DP_GC_BAR, see below)
        if gc.ref != self._fg_ref:  # (floats only when the reference moved)
            self._fg_ref = gc.ref
            self._fg_on = gc.ref + 5.0
            self._fg_off = gc.ref + 1.0
            self._gcb_hi = gc.ref + GCB_DP_GC_BAR
        if p_prot > self.p_gc_near_max or (p_prot > self._fg_on and not rbyp.hold):
            self._fan_guard = 1
        elif p_prot < self.p_gc_fan_off and p_prot < self._fg_off:
            self._fan_guard = 0
        fans = self.fans
        # low-ambient GC bypass open (hold): the coil gets no CO2, and T3 is the bypassed
        # gas; the fans stay stopped (full reduction, a T3 rate fault is no reason to run
        # them; the safeties lift it and close the bypass)
        fan = fans.step(v[AI_T_GC_OUT], ok_[AI_T_GC_OUT] or rbyp.hold, v[AI_T_AMB],
                        ok_[AI_T_AMB], gc.regime == REG_SUB, 1.0 if rbyp.hold else hr.fan_cut,
                        self._fan_guard or now_s < self._fan_hold_s, gc.override,
                        v[AI_T_DISCH], ok_[AI_T_DISCH], dt)

        # --- compressor enable
        comp = 0.0 if (mode == OFF or mode == STANDBY or gc.comp_stop) else 1.0

        # --- output targets, manual values, output stage
        prev = self.prev_out
        tgt0 = hpev
        tgt1 = bev
        tgt2 = hr.valve
        tgt3 = fan
        tgt4 = hr.pump
        # the GC bypass stays shut once the HP fan safety had to close it, until the
        # demand falls past 9.3 V (hr.bypass off): reopening as soon as the fans pulled
        # p_gc down made the valve hunt every ~30 s (hr_demand_ramp: 26 switchings)
        if hr.gc_bypass and fans.safety:
            self._byp_block = 1
        elif not hr.bypass:
            self._byp_block = 0
        # low-ambient bypass for the receiver pressure (co2hr.receiver.RecBypass): the
        # compressors must run; the HP safeties close it as they close the HR bypass
        # (only at the subcritical floor: not under an HR raise, where hr_demand_ramp at
        # 10 degC, 92 bar and 7.6 V opened it once)
        rbyp.step(v[AI_P_REC], ok_[AI_P_REC], prev[AO_BEV],
                  gc.regime == REG_SUB and gc.ref <= gc.p_min,
                  prev[AO_FAN] <= 0.0,
                  still or gc.override or gc.comp_stop or fans.safety or p_prot > self._gcb_hi,
                  now_s)
        byp = 1.0 if (((hr.gc_bypass and not self._byp_block) or rbyp.open)
                      and not fans.safety) else 0.0
        if modes.mode == 4:
            if modes.manual(AO_HPEV) and not gc.override:
                tgt0 = modes.man[AO_HPEV]
                gc.pi.track(prev[AO_HPEV])
            if modes.manual(AO_BEV):
                tgt1 = modes.man[AO_BEV]
                self.rec.pi.track(prev[AO_BEV])
            if modes.manual(AO_HR_VALVE) and not hr.w_hot:
                tgt2 = modes.man[AO_HR_VALVE]
                hr.valve_pi.track(prev[AO_HR_VALVE])
            if modes.manual(AO_FAN) and not gc.override:
                tgt3 = modes.man[AO_FAN]
                fans.pi.track(prev[AO_FAN])
            if modes.manual(AO_HR_PUMP):
                tgt4 = modes.man[AO_HR_PUMP]
            if modes.manual(DO_GC_BYPASS):
                byp = 1.0 if modes.man[DO_GC_BYPASS] > 0.5 else 0.0
            if modes.manual(DO_COMP_ENABLE) and not gc.comp_stop:
                comp = 1.0 if modes.man[DO_COMP_ENABLE] > 0.5 else 0.0
        self._ramp(out, AO_HPEV, tgt0, dt)
        self._ramp(out, AO_BEV, tgt1, dt)
        self._ramp(out, AO_HR_VALVE, tgt2, dt)
        self._ramp(out, AO_FAN, tgt3, dt)
        self._ramp(out, AO_HR_PUMP, tgt4, dt)
        out[DO_GC_BYPASS] = byp
        out[DO_COMP_ENABLE] = comp
        prev[DO_GC_BYPASS] = byp
        prev[DO_COMP_ENABLE] = comp  # "standing still" when comp_run is invalid

        # --- alarms
        al = self.alarms
        for k in range(len(_SENSOR_ALARMS)):
            row = _SENSOR_ALARMS[k]
            bad = sig.kind[row[0]] != 0 and not ok_[row[0]]
            # the low-ambient bypass switching moves T3 25 K/s (coil outlet liquid <->
            # discharge gas at the mix point): a rate fault then is the process, and T3
            # is not used meanwhile (reference at its floor, fans held)
            if bad and rbyp.hold and row[0] == AI_T_GC_OUT and sig.fault[row[0]] == F_RATE:
                bad = False
            al.set(row[1], bad, now_s)
        al.high(A.A_HP_HIGH, p_gc if p_ok else 0.0, self.p_hp_alarm, now_s)
        al.set(A.A_HP_SWITCH, hp_trip, now_s)
        al.set(A.A_HP_OVERRIDE, gc.override, now_s)
        al.set(A.A_HP_STOP, gc.comp_stop, now_s)
        p_rec_ok = ok_[AI_P_REC]
        al.high(A.A_P_REC_HIGH, v[AI_P_REC] if p_rec_ok else 0.0, self.p_rec_hi, now_s)
        al.low(A.A_P_REC_LOW, v[AI_P_REC] if p_rec_ok else 100.0, self.p_rec_lo, now_s)
        al.set(A.A_W_HOT, hr.w_hot, now_s)
        al.high(A.A_T_DISCH_HIGH, v[AI_T_DISCH] if ok_[AI_T_DISCH] else 0.0,
                self.t_disch_max, now_s)
        al.set(A.A_FAN_FAIL, fan_fail, now_s)
        man = modes.any_manual()
        al.set(A.A_MANUAL, man, now_s)
        al.set(A.A_NO_BACKHEAT, hr.on and hr.no_backheat, now_s)
        di_bad = 0
        for i in (DI_COMP_RUN, DI_HP_OK, DI_EXT_ENABLE, DI_FAN_OK):
            if sig.kind[i] != 0 and not ok_[i]:
                di_bad = 1
        al.set(A.A_DI_FAULT, di_bad, now_s)
        st_ = self.store
        al.set(A.A_STORAGE, st_ is not None and st_.fault, now_s)
        relay = 1.0 if al.relay() else 0.0
        if modes.manual(DO_ALARM):
            relay = 1.0 if modes.man[DO_ALARM] > 0.5 else 0.0
        out[DO_ALARM] = relay

        # --- operating state and counters
        if ok_[DI_COMP_RUN]:
            running = 1 if v[DI_COMP_RUN] > 0.5 else 0
        else:
            running = 1 if comp > 0.5 else 0
        forced = gc.raise_bar > 0.5
        en = self.energy
        en.step(dt_ms, dt, running, forced, out[AO_HR_PUMP], self.hr_flow, v[AI_T_W_IN],
                v[AI_T_W_OUT], ok_[AI_T_W_IN] and ok_[AI_T_W_OUT], v[CI_ENERGY],
                ok_[CI_ENERGY], self.kwh_per_pulse, gc.p_opt, gc.ref, v[AI_P_SUC],
                ok_[AI_P_SUC])
        en.count_events(al.activations - self._alarm_seen, gc.stops - self._stops_seen)
        self._alarm_seen = al.activations
        self._stops_seen = gc.stops

        # --- status
        st = self.status
        st[S.ST_MODE] = mode
        st[S.ST_P_GC_REF] = gc.ref
        st[S.ST_P_GC_OPT] = gc.p_opt
        st[S.ST_REGIME] = gc.regime
        st[S.ST_HR_STAGE] = hr.stage
        st[S.ST_OP_STATE] = en.state
        st[S.ST_T3_SP] = fans.sp
        st[S.ST_HPEV_PI] = gc.pi.u
        st[S.ST_BEV_PI] = self.rec.pi.u
        st[S.ST_FAN_PI] = fans.pi.u
        st[S.ST_HRV_PI] = hr.valve_pi.u
        ov = 0
        if gc.override:
            ov |= S.OV_HP
        if gc.comp_stop:
            ov |= S.OV_COMP_STOP
        if hr.w_hot:
            ov |= S.OV_W_HOT
        if hr.on and hr.no_backheat:
            ov |= S.OV_NO_BACKHEAT
        if fans.safety:
            ov |= S.OV_FAN_SAFETY
        if gc.fallback:
            ov |= S.OV_P_GC_FB
        if self.rec.fallback:
            ov |= S.OV_P_REC_FB
        if gc.t3_fallback:
            ov |= S.OV_T3_FB
        if man:
            ov |= S.OV_MANUAL
        if not ext_ok and (mode == HEAT_RECOVERY or mode == MAX_COP):
            ov |= S.OV_EXT_OFF
        if not demand_ok:
            ov |= S.OV_DEMAND_FB
        if self.rec.limit:
            ov |= S.OV_P_REC_LIM
        if hr.temp_fallback:
            ov |= S.OV_W_FB
        if gc.limiting:
            ov |= S.OV_P_GC_LIM
        if hr.on and (hr.fan_reduce > 0.0 or hr.bypass) and not hr.sink:
            ov |= S.OV_NO_SINK
        st[S.ST_OVERRIDES] = ov
        st[S.ST_Q_HR_KW] = en.q_hr_kw
        st[S.ST_P_COMP_KW] = en.p_comp_kw
        st[S.ST_EHR] = en.ehr()
        st[S.ST_MANUAL_LEFT] = modes.manual_left_s(now_s)
        st[S.ST_ALARMS_ACTIVE] = al.n_active
        st[S.ST_FAN_LIMIT] = fans.limit
        st[S.ST_HR_RAISE] = gc.raise_bar
        st[S.ST_GCB_REC] = 1 if rbyp.open else 2 if gc.no_back else 0

    def _set_dt(self, dt_ms):
        self._dt_ms = dt_ms
        dt = dt_ms / 1000.0
        self._dt = dt
        for k in range(N_ANALOG_OUT):
            step = self.rate[k] * dt
            self._step[k] = step
            self._nstep[k] = -step

    def _ramp(self, out, k, target, dt):
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
