# The composed controller through its real signal layer: interface, modes, manual
# values with timeout, external enable, sensor faults -> alarm + fallback, counters.
from ctlkit import Rig

from co2hr import alarms as A
from co2hr import status as S
from co2hr.io import (
    AI_DEMAND,
    AI_P_GC,
    AI_P_REC,
    AI_T_GC_OUT,
    AO_BEV,
    AO_FAN,
    AO_HPEV,
    AO_HR_PUMP,
    CI_ENERGY,
    DI_EXT_ENABLE,
    DI_FAN_OK,
    DO_ALARM,
    DO_COMP_ENABLE,
    DO_GC_BYPASS,
    N_OUT,
)


def test_interface_shapes():
    r = Rig()
    r.step()
    c = r.c
    assert len(c.status) == len(S.STATUS) and len(c.counters) == len(S.COUNTERS)
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
    r.ok[AI_P_GC] = 0
    r.ok[AI_P_REC] = 0
    r.step(60)
    assert r.c.alarms.active[A.A_P_GC_SENSOR] and r.c.alarms.active[A.A_P_REC_SENSOR]
    assert abs(r.out[AO_HPEV] - 40.0) < 1e-6 and abs(r.out[AO_BEV] - 20.0) < 1e-6
    assert r.out[DO_ALARM] == 1.0
    ov = r.c.status[S.ST_OVERRIDES]
    assert ov & S.OV_P_GC_FB and ov & S.OV_P_REC_FB
    r.ok[AI_T_GC_OUT] = 0
    r.step(30)
    assert r.c.alarms.active[A.A_T3_SENSOR] and r.out[AO_FAN] == 100.0
    assert r.c.status[S.ST_P_GC_REF] == 85.0
    r.ok[AI_P_GC] = 1
    r.ok[AI_P_REC] = 1
    r.ok[AI_T_GC_OUT] = 1
    r.step(5)
    assert not r.c.alarms.active[A.A_P_GC_SENSOR]
    assert r.out[DO_ALARM] == 0.0  # auto-reset alarms: relay off with the causes gone


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
    r.step(3)
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
