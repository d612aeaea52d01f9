# The composed controller through its real signal layer: interface, modes, manual
# values with timeout, external enable, sensor faults -> alarm + fallback, counters.
from ctlkit import Rig
from fakefs import FakeFs

from co2hr import alarms as A
from co2hr import status as S
from co2hr.gc_pressure import cop_reference_bar
from co2hr.io import (
    AI_DEMAND,
    AI_P_GC,
    AI_P_REC,
    AI_T_AMB,
    AI_T_DISCH,
    AI_T_GC_OUT,
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
    DO_INJ_STOP,
    N_OUT,
)


def test_interface_shapes():
    r = Rig()
    r.step()
    c = r.c
    assert len(c.status) == len(S.STATUS) and len(c.counters) >= len(S.COUNTERS)
    assert S.STATUS[0][0] == "mode" and S.COMMANDS[0][0] == "alarm_ack"
    assert c.status[S.ST_MODE] == 2
    assert len(c.alarms.active) == len(A.ALARMS)
    assert c.alarms.word(0) == 0 and c.alarms.history_len() == 0
    for k in range(N_OUT):
        assert 0.0 <= r.out[k] <= 100.0


def test_command_range_checked():
    r = Rig()
    for i, v in ((0, 2), (1, 101), (6, 2), (99, 0), (1, float("nan"))):
        try:
            r.c.command(i, v)
            raise AssertionError("accepted %s=%s" % (i, v))
        except ValueError:
            pass


def test_heat_recovery_raises_pressure_and_counts_forced():
    r = Rig()
    r.eng[AI_T_GC_OUT] = 15.0
    r.step(30)
    base = r.c.status[S.ST_P_GC_REF]
    assert r.c.status[S.ST_OP_STATE] == 1
    r.set("mode_cmd", 3)
    r.eng[AI_DEMAND] = 8.0
    r.step(200)
    assert r.c.status[S.ST_HR_STAGE] == 2
    assert abs(r.c.status[S.ST_P_GC_REF] - 95.0) < 0.01 > 0
    assert r.c.status[S.ST_P_GC_REF] > base + 40.0
    assert r.c.status[S.ST_OP_STATE] == 2
    assert r.c.counters[S.CNT_RUN_FORCED] > 100
    assert r.out[AO_HR_PUMP] == 80.0
    r.eng[AI_DEMAND] = 9.8
    r.step(8)  # the demand input is filtered (2 s)
    assert r.out[DO_GC_BYPASS] == 1.0 and r.c.status[S.ST_HR_STAGE] == 4
    r.eng[DI_EXT_ENABLE] = 0  # grid / heating system says stop
    r.step(1)
    assert r.out[DO_GC_BYPASS] == 0.0 and r.c.status[S.ST_HR_STAGE] == 0
    assert r.c.status[S.ST_OVERRIDES] & S.OV_EXT_OFF


def test_sensor_faults_raise_alarm_and_fallback():
    r = Rig()
    r.step(10)
    hpev_before = r.c.gc.out
    r.ok[AI_P_GC] = 0
    r.ok[AI_P_REC] = 0
    r.step(60)
    assert r.c.alarms.active[A.A_P_GC_SENSOR] and r.c.alarms.active[A.A_P_REC_SENSOR]
    # the HPEV holds at least hpev_fail_pct and the opening it had (co2hr.hp_guard); the
    # BEV opens fully: comp_run says the compressors run (co2hr.receiver)
    assert abs(r.out[AO_HPEV] - max(40.0, hpev_before)) < 1e-6
    assert r.out[AO_BEV] == 100.0
    assert r.out[DO_ALARM] == 1.0
    ov = r.c.status[S.ST_OVERRIDES]
    assert ov & S.OV_P_GC_FB and ov & S.OV_P_REC_FB
    r.ok[AI_T_GC_OUT] = 0
    r.step(30)
    assert r.c.alarms.active[A.A_T3_SENSOR] and r.out[AO_FAN] == 100.0
    # substituted: t_amb + the last measured approach + 1 K through the COP reference
    t_sub = r.eng[AI_T_AMB] + min(max(r.eng[AI_T_GC_OUT] - r.eng[AI_T_AMB], 0.0), 15.0) + 1.0
    g = r.settings.get
    want = cop_reference_bar(t_sub, g("subcool_k"), g("t_trans_c"), g("t_cond_min_c"))[0]
    assert r.c.status[S.ST_T3_SRC] == 1
    assert abs(r.c.gc.p_opt - want) < 1e-6, (r.c.gc.p_opt, want)
    r.ok[AI_T_AMB] = 0  # nothing to substitute from: the fixed reference
    r.step(60)
    assert r.c.status[S.ST_T3_SRC] == 2 and r.c.status[S.ST_P_GC_REF] == 85.0
    r.ok[AI_T_AMB] = 1
    r.ok[AI_P_GC] = 1
    r.ok[AI_P_REC] = 1
    r.ok[AI_T_GC_OUT] = 1
    r.step(5)
    assert not r.c.alarms.active[A.A_P_GC_SENSOR]
    assert r.c.alarms.active[A.A_P_GC_BLIND_STOP]  # p_gc trusted again only after 60 s
    r.step(60)
    assert r.out[DO_ALARM] == 0.0  # auto-reset alarms: relay off with the causes gone


def test_t3_fault_in_heat_recovery_gives_declared_reference():
    # forced operation stops while T3 is invalid: p_ref_fail_bar, no raise on top
    r = Rig()
    r.set("mode_cmd", 3)
    r.eng[AI_DEMAND] = 5.0
    r.step(120)
    assert r.c.status[S.ST_HR_RAISE] > 1.0
    r.ok[AI_T_GC_OUT] = 0
    r.step(120)
    assert r.c.status[S.ST_T3_SRC] == 1 and r.c.status[S.ST_HR_RAISE] == 0.0
    assert r.c.status[S.ST_P_GC_REF] == r.c.gc.p_opt  # no raise on the substitute
    assert r.c.status[S.ST_OP_STATE] == 1  # not counted as forced


def test_fast_real_rise_keeps_hp_protection():
    # +50.5 bar in one second fails the rate check, but the protections see the sample
    r = Rig()
    r.eng[AI_P_GC] = 95.0
    r.step(20)
    hpev0 = r.out[AO_HPEV]
    r.eng[AI_P_GC] = 145.5
    r.step(1)
    assert not r.c.sig.valid[AI_P_GC]
    assert r.c.gc.override == 1 and r.c.gc.comp_stop == 1
    assert r.out[DO_COMP_ENABLE] == 0.0 and r.out[AO_HPEV] > hpev0
    r.step(1)  # the new level holds: valid again, override and stop go on
    assert r.c.sig.valid[AI_P_GC] and r.c.gc.override == 1
    assert r.out[AO_HPEV] > hpev0 + 10.0


def test_rate_limits_accept_a_fast_real_rise():
    # the high side really moves ~10-30 bar/s: that is not a sensor fault
    r = Rig()
    r.eng[AI_P_GC] = 90.0
    r.step(5)
    for _ in range(3):
        r.eng[AI_P_GC] += 15.0
        r.step(1)
        assert r.c.sig.valid[AI_P_GC]


def test_hp_switch_forces_override():
    r = Rig()
    r.step(10)
    hpev0 = r.out[AO_HPEV]
    r.eng[DI_HP_OK] = 0
    r.step(3)
    assert r.c.gc.override == 1 and r.c.alarms.active[A.A_HP_SWITCH]
    assert abs(r.out[AO_HPEV] - min(100.0, hpev0 + 30.0)) < 1e-6


def test_hp_switch_overrides_with_p_gc_faulty():
    r = Rig()
    r.step(10)
    hpev_before = r.c.gc.out
    r.ok[AI_P_GC] = 0
    r.step(10)
    base = max(40.0, hpev_before)  # the fallback opening (co2hr.hp_guard: at least 40 %)
    assert abs(r.out[AO_HPEV] - base) < 1e-6
    r.eng[DI_HP_OK] = 0
    r.step(3)
    assert abs(r.out[AO_HPEV] - (base + 30.0)) < 1e-6  # driven open from there


def _hr_rig(t_w_out_c):
    r = Rig()
    r.set("mode_cmd", 3)
    r.eng[AI_T_GC_OUT] = 35.0
    r.eng[AI_T_DISCH] = 110.0
    r.eng[AI_T_W_IN] = 30.0
    r.eng[AI_T_W_OUT] = t_w_out_c
    r.eng[AI_DEMAND] = 9.9
    r.step(120)
    return r


def test_fan_reduction_and_gc_bypass_only_with_a_heat_sink():
    r = _hr_rig(50.0)  # water below its setpoint: the HRHX takes the heat
    assert r.out[AO_HR_VALVE] > 20.0 and r.c.hr.sink == 1
    assert r.c.status[S.ST_FAN_LIMIT] == 0.0 and r.out[DO_GC_BYPASS] == 1.0
    r = _hr_rig(70.0)  # water above its setpoint: the valve closes, no sink
    assert r.out[AO_HR_VALVE] == 0.0 and r.c.hr.sink == 0
    assert r.c.status[S.ST_HR_STAGE] == 4  # what the demand asks for ...
    assert r.c.status[S.ST_FAN_LIMIT] == 100.0 and r.out[DO_GC_BYPASS] == 0.0  # ... held off
    assert r.c.status[S.ST_OVERRIDES] & S.OV_NO_SINK
    assert r.out[AO_FAN] > 50.0  # the fans cool the gas cooler as usual


def _water_to(r, t_w_out_c):
    """Move the water outlet at 0.5 K/s (a sensor step would fail the rate check)."""
    t = r.eng[AI_T_W_OUT]
    while abs(t_w_out_c - t) > 1e-9:
        t = min(t + 0.5, t_w_out_c) if t_w_out_c > t else max(t - 0.5, t_w_out_c)
        r.eng[AI_T_W_OUT] = t
        r.step()


def test_hrhx_takes_all_the_co2_while_the_gc_bypass_is_open():
    r = _hr_rig(50.0)
    assert r.out[DO_GC_BYPASS] == 1.0 and r.out[AO_HR_VALVE] == 100.0
    _water_to(r, 70.0)  # 10 K over t_w_out_sp: the setpoint yields to the bypass
    r.step(60)
    assert r.c.hr.temp_fallback == 0 and r.c.hr.sink == 1
    assert r.out[AO_HR_VALVE] == 100.0 and r.out[DO_GC_BYPASS] == 1.0
    _water_to(r, 91.0)  # over t_w_max: the boiling protection still wins
    assert r.c.hr.w_hot == 1 and r.out[DO_GC_BYPASS] == 0.0
    r.step(30)
    assert r.out[AO_HR_VALVE] == 0.0
    r = _hr_rig(50.0)
    _water_to(r, 70.0)
    r.eng[AI_P_GC] = 104.0  # the HP fan safety closes the bypass: the gas cooler is
    r.step(5)  # back in the path and the valve returns to the setpoint
    assert r.out[DO_GC_BYPASS] == 0.0
    r.eng[AI_P_GC] = 90.0
    r.step(60)
    assert r.out[AO_HR_VALVE] < 100.0 and r.out[DO_GC_BYPASS] == 0.0


def test_hp_safety_lifts_fan_reduction_and_closes_bypass():
    r = _hr_rig(50.0)
    assert r.out[DO_GC_BYPASS] == 1.0
    r.eng[AI_P_GC] = 104.0  # within 2 bar of p_gc_max
    r.step(5)
    assert r.c.status[S.ST_FAN_LIMIT] == 100.0 and r.out[DO_GC_BYPASS] == 0.0
    assert r.c.status[S.ST_OVERRIDES] & S.OV_FAN_SAFETY


class _Clock:
    def __init__(self):
        self.ms = 0

    def __call__(self):
        return self.ms


def test_storage_fault_raises_alarm():
    from co2hr.storage import Store

    r = Rig()
    fs = FakeFs()
    fs.dirs.add("flash")
    fs.files["flash/store_a.dat"] = bytearray(b"not a stored copy")
    st = Store(fs, "flash")
    st.attach(r.settings, r.c, _Clock())  # a corrupt copy: defaults, fault
    r.c.store = st
    r.step(2)
    assert st.fault == 1 and r.c.alarms.active[A.A_STORAGE] and r.out[DO_ALARM] == 1.0
    st.fault = 0  # (what the store does once a save succeeds after a write error)
    r.step(1)
    assert not r.c.alarms.active[A.A_STORAGE]
    r.c.store = None
    r.step(1)
    assert not r.c.alarms.active[A.A_STORAGE]


def test_fan_failure_alarm_latched():
    r = Rig()
    r.eng[DI_FAN_OK] = 0
    r.step(15)
    assert r.c.alarms.active[A.A_FAN_FAIL]
    r.eng[DI_FAN_OK] = 1
    r.step(2)
    assert r.c.alarms.active[A.A_FAN_FAIL]
    r.c.command(0, 1)
    assert not r.c.alarms.active[A.A_FAN_FAIL]
    assert r.c.counters[S.CNT_ALARMS] >= 1


def test_manual_values_timeout_and_rate_limit():
    r = Rig()
    r.set("manual_timeout_s", 20)
    r.step(5)
    r.set("mode_cmd", 4)
    r.c.command(S.CMD_MAN_FIRST + AO_HPEV, 90.0)
    r.c.command(S.CMD_MAN_FIRST + DO_COMP_ENABLE, 0)
    prev = r.out[AO_HPEV]
    r.step()
    assert abs(r.out[AO_HPEV] - prev) <= 10.0 + 1e-9  # ramps at the HPEV rate limit
    r.step(10)
    assert abs(r.out[AO_HPEV] - 90.0) < 1e-6 and r.out[DO_COMP_ENABLE] == 0.0
    assert r.c.alarms.active[A.A_MANUAL] and r.c.status[S.ST_MANUAL_LEFT] > 0
    assert r.c.command_value(S.CMD_MAN_FIRST + AO_HPEV) == 90.0
    r.step(15)  # the timeout passes: back to auto, bumplessly
    assert r.c.command_value(S.CMD_MAN_FIRST + AO_HPEV) == -1
    assert r.out[DO_COMP_ENABLE] == 1.0 and not r.c.alarms.active[A.A_MANUAL]
    r.c.command(S.CMD_MAN_FIRST + AO_FAN, 10.0)
    r.c.command(S.CMD_MAN_RELEASE, 1)
    assert r.c.command_value(S.CMD_MAN_FIRST + AO_FAN) == -1


def test_off_releases_compressors():
    r = Rig()
    r.through_start()
    assert r.out[DO_COMP_ENABLE] == 1.0
    r.set("mode_cmd", 0)
    r.step()
    assert r.out[DO_COMP_ENABLE] == 0.0 and r.c.status[S.ST_OP_STATE] == 1  # comp_run=1
    r.eng[10] = 0
    r.step()
    assert r.c.status[S.ST_OP_STATE] == 0


def test_hp_override_and_stop_through_controller():
    r = Rig()
    r.step(5)
    r.eng[AI_P_GC] = 109.5
    r.step(8)
    assert r.c.status[S.ST_OVERRIDES] & S.OV_HP and r.c.alarms.active[A.A_HP_OVERRIDE]
    r.eng[AI_P_GC] = 114.0
    r.step(6)
    assert r.out[DO_COMP_ENABLE] == 0.0 and r.c.alarms.active[A.A_HP_STOP]
    assert r.out[AO_FAN] == 100.0 or r.c.status[S.ST_OVERRIDES] & S.OV_FAN_SAFETY
    assert r.c.counters[S.CNT_HP_STOPS] == 1


def test_energy_pulses_and_restore():
    r = Rig()
    r.c.restore_counters([999, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110])
    assert r.c.counters[0] == 0 and r.c.counters[1] == 10
    for k in range(100):
        r.eng[CI_ENERGY] = 2 * k  # 0.02 kWh/s = 72 kW
        r.step()
    assert abs(r.c.status[S.ST_P_COMP_KW] - 72.0) < 0.5
    assert 50 + 1900 <= r.c.counters[S.CNT_COMP] <= 50 + 2000
    assert r.c.counters[S.CNT_COMP_REFRIG] >= 60 + 1900
    assert r.c.counters[S.CNT_UPTIME] == 100


def test_gc_bypass_stays_shut_after_hp_safety_until_demand_falls():
    r = _hr_rig(50.0)
    assert r.out[DO_GC_BYPASS] == 1.0
    assert abs(r.c.status[S.ST_P_GC_REF] - 95.0) < 1e-6  # p_hr_max while it is open
    _ramp_p_gc(r, 104.0)  # the HP fan safety closes it (a rise the HPEV can follow)
    r.step(5)
    assert r.out[DO_GC_BYPASS] == 0.0
    r.eng[AI_P_GC] = 90.0  # the pressure is back, the demand still asks for it:
    r.step(60)
    assert r.c.fans.safety == 0 and r.out[DO_GC_BYPASS] == 0.0  # no hunting
    r.eng[AI_DEMAND] = 9.0  # falling past 9.3 V ends the block ...
    r.step(5)
    r.eng[AI_DEMAND] = 9.9  # ... so the next rise past 9.6 V opens it again
    r.step(5)
    assert r.out[DO_GC_BYPASS] == 1.0


def test_fans_full_through_hp_stop_and_after_restart():
    r = Rig()
    r.step(5)
    r.eng[AI_P_GC] = 114.0
    r.step(3)
    assert r.out[DO_COMP_ENABLE] == 0.0
    r.eng[AI_P_GC] = 82.0  # (falling at a rate the signal layer accepts)
    r.step(1)
    r.eng[AI_P_GC] = 60.0  # at least saturation at T3, or the guard distrusts it
    r.eng[AI_T_DISCH] = 75.0  # and the discharge temperature of 60 bar
    r.eng[AI_T_GC_OUT] = 20.0  # T3 at ambient while the compressors stand
    r.eng[AI_P_REC] = 52.0  # the open HPEV lets p_gc and p_rec meet (the flow test)
    r.step(100)  # restart delay (60 s) over: the compressors are enabled again
    assert r.out[DO_COMP_ENABLE] == 1.0 and r.out[AO_FAN] == 100.0
    r.step(140)  # the hold (120 s after the restart) ends; the T3 loop takes over
    assert r.out[AO_FAN] < 100.0


def _ramp_p_gc(r, p_bar, rate_bar_s=0.9):
    """p_gc moves to p_bar at rate_bar_s (below the 1 bar/s of the runaway stop)."""
    r.move({AI_P_GC: p_bar}, rate_bar_s)


def test_failed_fans_stop_compressors_at_p_gc_max():
    r = Rig()
    r.eng[AI_P_GC] = 104.9  # from the first tick (a jump would be a runaway rise)
    r.through_start()  # (the fans went to full speed meanwhile: the HP fan safety)
    r.step(3)  # fans working, the HPEV not yet at its limit: no stop below 109 bar
    assert r.out[DO_COMP_ENABLE] == 1.0 and r.c.gc.pi.u < r.c.gc.pi.hi
    r.eng[DI_FAN_OK] = 0
    r.step(2)
    assert r.out[DO_COMP_ENABLE] == 0.0 and r.c.gc.stops == 1


def test_hpev_holds_its_restart_opening_when_our_enable_stops_the_compressors():
    # comp_run invalid: "standing still" is judged from our own compressor enable.
    # Standby releases it, so the HPEV must hold hpev_fail_pct (40 %) for the restart
    # instead of winding shut on a low p_gc.
    from co2hr.io import DI_COMP_RUN

    r = Rig()
    r.ok[DI_COMP_RUN] = 0
    r.eng[AI_P_GC] = 60.0  # far below the reference: the PI alone would close the valve
    r.set("mode_cmd", 1)  # Standby
    r.step(120)
    assert r.out[DO_COMP_ENABLE] == 0.0
    assert r.out[AO_HPEV] >= 39.9, r.out[AO_HPEV]
    r.set("mode_cmd", 2)  # Max-COP: the start sequence, then the PI takes over from 40 %
    r.step(1)
    assert r.out[DO_COMP_ENABLE] == 0.0 and r.c.status[S.ST_START_LEFT] > 0
    r.through_start()
    assert r.out[DO_COMP_ENABLE] == 1.0 and r.out[AO_HPEV] >= 35.0
    r.step(120)
    assert r.out[AO_HPEV] < 20.0  # and winds towards its minimum on the low p_gc


def _cold_night(r):
    # -25 degC, subcritical at the 45 bar floor, pack running, fans stopped by the T3
    # loop (T3 far below its 8 degC floor), receiver 5 bar below its setpoint
    from co2hr.io import AI_T_AMB, DI_COMP_RUN

    r.eng[AI_T_AMB] = -25.0
    r.eng[AI_T_GC_OUT] = -20.0
    r.eng[AI_T_DISCH] = 40.0
    r.eng[AI_P_GC] = 45.0
    r.eng[AI_P_REC] = 30.0
    r.eng[DI_COMP_RUN] = 0
    r.through_start()  # the pack starts when the start sequence releases it: the
    r.eng[DI_COMP_RUN] = 1  # timings below count from there


def test_low_ambient_gc_bypass_opens_for_the_receiver_and_closes_again():
    r = Rig()
    _cold_night(r)
    # the fans run down from their safe 100 % at their rate limit, started during the
    # start sequence (~20 s); the BEV closes from its start position bev_fail_pct
    r.step(45)
    assert r.out[AO_FAN] == 0.0 and r.out[AO_BEV] == 0.0
    r.step(45)
    assert r.out[DO_GC_BYPASS] == 0.0  # the delay (60 s) runs
    r.step(15)
    assert r.out[DO_GC_BYPASS] == 1.0 and r.c.status[S.ST_GCB_REC] == 1
    r.eng[AI_T_GC_OUT] = 60.0  # bypassed hot gas at the T3 sensor
    r.step(20)
    assert r.out[AO_FAN] == 0.0  # fans held: the coil gets no CO2
    assert abs(r.c.gc.ref - r.c.gc.p_min) < 1e-9  # reference at its subcritical floor
    assert r.c.alarms.active[A.A_T3_SENSOR] == 0  # the 80 K jump is no sensor fault here
    r.eng[AI_P_REC] = 33.5  # recovering, within the hysteresis
    r.step(3)
    assert r.out[DO_GC_BYPASS] == 1.0
    r.eng[AI_P_REC] = 34.5  # back within 1 bar of the setpoint
    r.step(3)
    assert r.out[DO_GC_BYPASS] == 0.0 and r.c.status[S.ST_GCB_REC] == 0


def test_low_ambient_gc_bypass_closed_by_the_hp_fan_safety():
    r = Rig()
    _cold_night(r)
    r.step(110)
    assert r.out[DO_GC_BYPASS] == 1.0
    r.eng[AI_P_GC] = 103.5  # within 2 bar of p_gc_max: the HP fan safety
    r.step(3)
    assert r.out[DO_GC_BYPASS] == 0.0 and r.c.fans.safety == 1
    r.eng[AI_P_GC] = 45.0
    r.step(30)
    assert r.out[DO_GC_BYPASS] == 0.0  # not before the delay has run again


def test_low_ambient_gc_bypass_closes_when_the_pack_stops_or_p_gc_runs_away():
    from co2hr.io import DI_COMP_RUN

    r = Rig()
    _cold_night(r)
    r.step(110)
    assert r.out[DO_GC_BYPASS] == 1.0
    r.eng[DI_COMP_RUN] = 0
    r.step(2)
    assert r.out[DO_GC_BYPASS] == 0.0
    r.eng[DI_COMP_RUN] = 1
    r.step(70)
    assert r.out[DO_GC_BYPASS] == 1.0
    r.eng[AI_P_GC] = 57.0  # more than 10 bar above the 45 bar reference
    r.step(5)  # (through the 1 s input filter)
    assert r.out[DO_GC_BYPASS] == 0.0


def test_low_ambient_gc_bypass_off_by_setting():
    r = Rig()
    _cold_night(r)
    r.set("gcb_rec_dp_bar", 0)
    r.step(200)
    assert r.out[DO_GC_BYPASS] == 0.0


def test_hpev_shut_against_backflow_while_the_pack_stands():
    # the stopped gas cooler at -25 degC below the receiver pressure: the HPEV shuts
    # instead of holding its restart opening, so the receiver cannot drain into it
    from co2hr.io import DI_COMP_RUN

    r = Rig()
    _cold_night(r)
    r.eng[DI_COMP_RUN] = 0
    r.eng[AI_P_GC] = 40.0
    r.eng[AI_P_REC] = 35.0
    r.step(20)
    assert r.out[AO_HPEV] >= 39.9  # forward difference: the restart opening
    r.eng[AI_P_GC] = 34.7  # equalising with the receiver: still held
    r.step(10)
    assert r.out[AO_HPEV] >= 39.9 and r.c.status[S.ST_GCB_REC] == 0
    r.eng[AI_P_GC] = 20.0
    r.step(10)
    assert r.out[AO_HPEV] == 0.0 and r.c.status[S.ST_GCB_REC] == 2
    r.eng[AI_P_GC] = 38.0  # above p_rec + 2 again (say the coil warmed)
    r.step(10)
    assert r.out[AO_HPEV] >= 39.9 and r.c.status[S.ST_GCB_REC] == 0


def test_low_ambient_gc_bypass_not_under_an_hr_raise():
    # the rule is for the subcritical floor; with the reference raised for heat recovery
    # (5 V in Heat-recovery mode) it stays shut, whatever p_rec does
    r = Rig()
    _cold_night(r)
    r.eng[AI_DEMAND] = 5.0
    r.set("mode_cmd", 3)
    r.step(200)
    assert r.c.gc.ref > r.c.gc.p_min + 10.0
    assert r.out[AO_FAN] == 0.0 and r.out[DO_GC_BYPASS] == 0.0



def test_start_sequence_holds_the_compressors_until_the_hpev_is_open():
    # boot: the enable is off (SAFE_OUTPUTS too) until comp_start_delay_s has run and the
    # HPEV output is at hpev_start_pct; an HP stop runs the sequence again
    r = Rig()
    assert r.out[DO_COMP_ENABLE] == 0.0
    r.set("hpev_start_pct", 60)  # above the 30 % the valve starts from
    k = r.through_start()
    assert k >= 20 and r.out[AO_HPEV] >= 60.0 - 0.01  # (the PI moves on p_gc's noise)
    r.eng[AI_P_GC] = 114.0  # HP stop
    r.step(2)
    assert r.out[DO_COMP_ENABLE] == 0.0 and r.c.gc.comp_stop
    r.eng[AI_P_GC] = 90.0
    k = r.through_start(200)
    assert k >= 60 + 20  # comp_restart_s, then the start delay


def test_injection_stop_covers_safety_stops_not_the_operators():
    # on from boot (SAFE_OUTPUTS) through the start sequence; off once released; on through
    # an HP stop and its restart sequence, exactly until the enable returns; mode Off and
    # Standby are the operator's stop and leave it off
    r = Rig()
    r.comp_follows = True  # the compressors stand still while the enable is off
    assert r.out[DO_INJ_STOP] == 1.0
    r.step()
    assert r.out[DO_INJ_STOP] == 1.0 and r.out[DO_COMP_ENABLE] == 0.0
    r.through_start()
    assert r.out[DO_INJ_STOP] == 0.0
    r.eng[AI_P_GC] = 114.0  # HP stop
    r.step(2)
    assert r.c.gc.comp_stop and r.out[DO_INJ_STOP] == 1.0
    r.meet(50.0)  # the standstill: the open HPEV lets p_gc fall to p_rec
    for _k in range(200):
        assert r.out[DO_INJ_STOP] == (0.0 if r.out[DO_COMP_ENABLE] else 1.0)
        if r.out[DO_COMP_ENABLE]:
            break
        r.step()
    assert r.out[DO_COMP_ENABLE] == 1.0 and r.out[DO_INJ_STOP] == 0.0
    r.move({AI_P_GC: 90.0, AI_P_REC: 35.0}, 0.9)  # running again (no runaway)
    for p_gc_bar in (96.0, 102.0):  # (at a pace the signal layer's rate check accepts)
        r.eng[AI_P_GC] = p_gc_bar
        r.step(1)
    r.eng[DI_HP_OK] = 0  # the HP switch opens (p_gc above its re-arm pressure, 100 bar)
    r.step(3)
    assert r.out[DO_INJ_STOP] == 1.0
    r.eng[DI_HP_OK] = 1
    r.meet(50.0)
    for _k in range(300):  # the HP stop the rise to 102 bar made holds a while
        if not r.c.gc.comp_stop:
            break
        r.step()
    r.set("mode_cmd", 0)  # Off: the operator's stop
    r.step(5)
    assert r.out[DO_COMP_ENABLE] == 0.0 and r.out[DO_INJ_STOP] == 0.0
    r.set("mode_cmd", 2)
    r.through_start()
    assert r.out[DO_INJ_STOP] == 0.0


def test_injection_stop_manual_value_but_not_against_an_hp_stop():
    r = Rig()
    r.through_start()
    r.set("mode_cmd", 4)
    r.c.command(S.CMD_MAN_INJ_STOP, 1)  # the relay test
    r.step()
    assert r.out[DO_INJ_STOP] == 1.0 and r.c.command_value(S.CMD_MAN_INJ_STOP) == 1.0
    r.c.command(S.CMD_MAN_INJ_STOP, 0)
    r.eng[AI_P_GC] = 114.0  # HP stop: the safety keeps it on
    r.step(2)
    assert r.c.gc.comp_stop and r.out[DO_INJ_STOP] == 1.0
    r.c.command(S.CMD_MAN_INJ_STOP, -1)
    assert r.c.command_value(S.CMD_MAN_INJ_STOP) == -1
    # the manual rows of the first eight outputs are where they were
    r.c.command(S.CMD_MAN_RELEASE, 1)
    assert r.c.command_value(S.CMD_MAN_FIRST + DO_ALARM) == -1


def test_deviation_alarm_counts_only_while_the_loop_controls():
    r = Rig()
    r.set("dev_delay_s", 30)
    r.through_start()
    r.eng[AI_P_GC] = r.c.gc.ref - 15.0  # (below: far from the HP levels)
    r.eng[AI_T_DISCH] = 92.0  # the discharge temperature of that pressure (co2hr.hp_guard)
    r.step(55)  # the first minute of a run is not judged: the pressures build
    assert not r.c.alarms.active[A.A_DEV_P_GC] and r.c.dev.ms[0] == 0
    r.step(25)
    assert not r.c.alarms.active[A.A_DEV_P_GC]
    r.set("mode_cmd", 1)  # Standby: the count is frozen, not reset
    r.step(60)
    assert not r.c.alarms.active[A.A_DEV_P_GC] and r.c.alarms.active[A.A_MODE_OFF]
    assert r.out[DO_ALARM] == 0.0  # information: not in alarm_relay_mask 3
    r.set("mode_cmd", 2)
    r.through_start()
    frozen = r.c.dev.ms[0]
    r.step(55)  # settling again: still frozen
    assert not r.c.alarms.active[A.A_DEV_P_GC] and r.c.dev.ms[0] == frozen > 0
    r.step(15)
    assert r.c.alarms.active[A.A_DEV_P_GC] and not r.c.alarms.active[A.A_MODE_OFF]
    r.eng[AI_P_GC] = r.c.gc.ref
    r.step(3)
    assert not r.c.alarms.active[A.A_DEV_P_GC]


def test_p_gc_deviation_waits_while_the_pressure_rebuilds_with_the_hpev_shut():
    """p_gc 15 bar below its reference: the HPEV PI closes to its limit (hpev_min_pct).
    While p_gc climbs back (1 bar per 10 s: the compressors rebuilding it, as after the
    GC bypass closed into a cold coil) the count is held, after the first window of the
    climb; once p_gc stalls outside the band (a valve stuck open) it is counted again
    within two windows and dev_p_gc is raised. A p_gc that never climbs is raised after
    dev_delay_s (120 s)."""
    for climbs in (False, True):
        r = Rig()
        r.through_start()
        r.step(60)
        ref = r.c.gc.ref
        r.eng[AI_P_GC] = ref - 15.0
        r.eng[AI_T_DISCH] = 92.0  # the discharge temperature of that pressure
        r.step(40)
        assert r.c.gc.out <= r.c.gc.pi.lo and r.c.dev.ms[0] == 40000
        if climbs:
            for _k in range(9):  # to ref - 6: still outside the 5 bar band
                r.eng[AI_P_GC] += 1.0
                r.step(10)
            assert r.c.dev.back == 1 and r.c.dev.ms[0] <= 40000 + 20000
            assert not r.c.alarms.active[A.A_DEV_P_GC]
        counted = r.c.dev.ms[0]
        for k in range(200):
            r.step()
            if r.c.alarms.active[A.A_DEV_P_GC]:
                break
        assert r.c.alarms.active[A.A_DEV_P_GC]
        if climbs:  # the stall is seen within two windows (the flag a window decides holds
            # through the next), then 120 s are counted in all
            assert (120000 - counted) // 1000 <= k + 1 <= (120000 - counted) // 1000 + 41
        else:
            assert k + 1 == 80


def test_p_gc_deviation_waits_a_minute_after_the_gc_bypass_changes():
    """The low-ambient GC bypass closes (the receiver recovered) and p_gc then sits 10 bar
    above its reference: for the minute after the change the coil's entry into the path
    moves the pressures as after a start and the count waits; then 120 s are counted
    (dev_delay_s) and dev_p_gc is raised."""
    r = Rig()
    _cold_night(r)
    r.step(105)
    assert r.out[DO_GC_BYPASS] == 1.0
    r.eng[AI_P_REC] = 34.5
    for _k in range(10):
        r.step()
        if r.out[DO_GC_BYPASS] == 0.0:
            break
    assert r.c.dev.byp_ms == 1000  # the change's own tick
    r.eng[AI_P_GC] = r.c.gc.ref + 10.0
    for _k in range(58):  # the rest of the minute
        r.step()
        assert r.c.dev.ms[0] == 0 and r.c.dev.byp_ms < 60000
    for k in range(200):
        r.step()
        if r.c.alarms.active[A.A_DEV_P_GC]:
            break
    assert r.c.alarms.active[A.A_DEV_P_GC] and k + 1 == 120 and r.out[DO_GC_BYPASS] == 0.0


def _cycle(r, dp_bar, run_s, dp_start_bar=0.0, stop_s=60):
    """One thermostat cycle of the pack: comp_run off for stop_s, then a run of run_s whose
    first 55 s read p_gc dp_start_bar from the reference (the pressure building, within
    the minute the count waits) and the rest dp_bar. Returns the second of the run at
    which dev_p_gc was first active."""
    r.eng[DI_COMP_RUN] = 0
    r.step(stop_s)
    r.eng[DI_COMP_RUN] = 1
    first = None
    for k in range(run_s):
        r.eng[AI_P_GC] = r.c.gc.ref + (dp_start_bar if k < 55 else dp_bar)
        r.step()
        if first is None and r.c.alarms.active[A.A_DEV_P_GC]:
            first = k
    return first


def test_deviation_alarm_counts_a_stuck_hpev_over_thermostat_cycles():
    """A pack cycling on its thermostat with the HPEV stuck: p_gc sits 7 bar above its
    reference (more than dev_p_gc_bar 5) for 70 s of each run and passes through the
    reference at each start. The count is kept over the runs: raised in the second run,
    once 120 s are counted. A run back inside the band resets it."""
    r = Rig()
    r.through_start()
    r.step(60)
    assert r.c.settings.get("dev_p_gc_bar") == 5 and r.c.settings.get("dev_delay_s") == 120
    assert _cycle(r, 7.0, 130) is None
    first_ms = r.c.dev.ms[0]
    assert 69000 <= first_ms <= 71000  # the run less its first minute, +-1 tick
    first = _cycle(r, 7.0, 130, dp_start_bar=-0.5)  # settling near the reference
    # counted from the run's 60th second on (that tick included) until 120 s in all
    assert first == 59 + (120000 - first_ms) // 1000 - 1
    r.eng[AI_P_GC] = r.c.gc.ref + 4.0  # inside the band: reset, cleared
    r.step(3)  # (the signal layer's filter)
    assert not r.c.alarms.active[A.A_DEV_P_GC] and r.c.dev.ms[0] == 0
    # a run inside the band between two deviating ones starts the count anew
    assert _cycle(r, 7.0, 130) is None and _cycle(r, 4.0, 70) is None
    assert _cycle(r, 7.0, 130) is None and r.c.dev.ms[0] <= 71000
    # with the band of the old default (10 bar) the stuck valve is never seen
    r.set("dev_p_gc_bar", 10)
    assert all(_cycle(r, 7.0, 130) is None for _ in range(4))


def test_alarm_relay_mask_chooses_the_priorities():
    r = Rig()
    r.set("mode_cmd", 0)
    r.step(3)
    assert r.c.alarms.active[A.A_MODE_OFF] and r.out[DO_ALARM] == 0.0
    r.set("alarm_relay_mask", 8)  # priority 4 only
    r.step(1)
    assert r.out[DO_ALARM] == 1.0



def test_water_deviation_alarm_tells_a_shut_valve_from_too_little_heat():
    """HR water outlet 20 K below t_w_out_sp_c (60) with the 3-way valve PI fully open: while
    the water warms across the HRHX the plant is at its capacity (too little discharge heat)
    and dev_t_w_out is not counted; once the water stops warming (a valve stuck shut passes
    no gas) it is raised after dev_delay_s."""
    r = Rig()
    r.set("mode_cmd", 3)
    r.eng[AI_T_GC_OUT] = 35.0
    r.eng[AI_T_DISCH] = 110.0
    r.eng[AI_T_W_IN] = 30.0
    r.eng[AI_T_W_OUT] = 40.0
    r.eng[AI_DEMAND] = 5.0
    r.step(400)
    assert r.c.hr.w_auto == 1 and r.c.hr.valve == 100.0 and r.c.hr.warm == 1
    assert not r.c.alarms.active[A.A_DEV_T_W_OUT] and r.c.dev.ms[2] == 0
    _water_to(r, 30.2)  # no warming across the HRHX
    r.step(100)
    assert r.c.hr.warm == 0 and not r.c.alarms.active[A.A_DEV_T_W_OUT]
    r.step(30)
    assert r.c.alarms.active[A.A_DEV_T_W_OUT]


def test_receiver_deviation_alarm_tells_a_stuck_bev_from_liquid_too_cold_to_flash():
    """p_rec 6 bar below p_rec_sp_bar (35: t_sat 0.2 degC), above the low limit (28), with
    the BEV PI driven shut: at a T3 of 2 degC (the gas cooler's liquid flashes too little
    to lift the receiver) the plant is at its capacity and dev_p_rec is not counted; at a
    T3 of 20 degC the same picture is a BEV stuck open, raised after dev_delay_s."""
    r = Rig()
    r.through_start()
    r.step(60)
    r.move({AI_T_GC_OUT: 2.0}, 0.5)
    r.move({AI_P_REC: 29.0}, 0.5)
    r.step(200)
    assert r.c.rec.out <= 0.5 and r.c.rec.limit == 0 and r.c.rec.fallback == 0
    assert not r.c.alarms.active[A.A_DEV_P_REC] and r.c.dev.ms[1] == 0
    r.move({AI_T_GC_OUT: 20.0}, 0.5)  # (counted from 5.2 degC on: ~30 s of the move)
    r.step(80)
    assert not r.c.alarms.active[A.A_DEV_P_REC] and r.c.dev.ms[1] > 0
    r.step(30)
    assert r.c.alarms.active[A.A_DEV_P_REC] and r.c.rec.out <= 0.5
