# What a technician reads and does about alarms, in the firmware: acknowledging one alarm
# by its code, the words of unacknowledged alarms and of present causes (as raw FC 4
# frames), why each input is invalid, and the manual_idle warning for manual values
# that do nothing because the mode is not Manual (a paired run with and without them).
from ctlkit import Rig, command_index
from modbus_fixture import addr, make_app, req, u16, unlock

from co2hr import alarms as A
from co2hr.alarms import ALARMS, Alarms
from co2hr.io import AI_P_GC, AO_HPEV, INPUTS
from co2hr.modes import MANUAL
from co2hr.signals import F_OPEN


def _row(name):
    for i in range(len(ALARMS)):
        if ALARMS[i][1] == name:
            return i
    raise KeyError(name)


def test_index_constants_name_their_rows():
    assert ALARMS[A.A_MAN_IDLE][0] == 70 and ALARMS[A.A_MAN_IDLE][1] == "manual_idle"
    assert ALARMS[A.A_MAN_IDLE][3] == 3  # a warning: it never pulls the alarm relay
    assert command_index("alarm_ack_code") == 11


def test_ack_code_acknowledges_that_alarm_only():
    a = Alarms()
    hi, sw = _row("hp_high"), _row("hp_switch")  # both latched, priority 1
    for t in range(6):
        a.high(hi, 110.0, 106.0, float(t))
        a.set(sw, 1, float(t))
    a.high(hi, 100.0, 106.0, 6.0)
    a.set(sw, 0, 6.0)  # both causes gone: latched, still active
    assert a.active[hi] and a.active[sw] and a.relay() == 1
    a.ack_code(ALARMS[hi][0], 7.0)
    assert not a.active[hi] and a.active[sw] and not a.acked[sw] and a.relay() == 1
    a.ack_code(99, 7.0)  # no such code: nothing
    assert a.active[sw]
    a.ack_code(ALARMS[sw][0], 7.0)
    assert not a.active[sw] and a.relay() == 0


def test_words_active_unacknowledged_and_cause():
    a = Alarms()
    i = _row("p_rec_sensor")  # delay 2 s, not latched
    k, b = i // 16, 1 << (i % 16)
    a.set(i, 1, 0.0)
    assert a.word(k, 2) & b and not a.word(k) & b and not a.word(k, 1) & b  # delay runs
    a.set(i, 1, 2.0)
    assert a.word(k) & b and a.word(k, 1) & b and a.word(k, 2) & b
    a.ack(i, 3.0)  # cause present: stays active, acknowledged
    assert a.word(k) & b and not a.word(k, 1) & b and a.word(k, 2) & b
    a.set(i, 0, 4.0)
    assert a.word(k) == 0 and a.word(k, 1) == 0 and a.word(k, 2) == 0


def test_unacked_cause_and_fault_registers_as_raw_frames():
    app, hw = make_app()
    hw.raw[0], hw.okv[0] = 2.0, 1  # p_gc 4-20 mA at 2 mA: open loop
    for _ in range(4):  # p_gc_sensor has a 2 s delay
        app.service()
        hw.now += 1000
    i = _row("p_gc_sensor")
    k, bit = i // 16, 1 << (i % 16)
    for name in ("alarm_word_%d", "alarm_unacked_word_%d", "alarm_cause_word_%d"):
        r = req(app, "04 %04x 0001" % addr("input", name % k))
        assert int(r[4:], 16) & bit, (name, r)
    f = addr("input", INPUTS[AI_P_GC] + "_fault")
    assert req(app, "04 %04x 0001" % f) == "0402" + u16(F_OPEN)
    # acknowledging that alarm by its code: active, no longer unacknowledged
    unlock(app)
    ack = addr("holding", "alarm_ack_code")
    assert req(app, "06 %04x %s" % (ack, u16(ALARMS[i][0]))) == "06%04x%s" % (
        ack, u16(ALARMS[i][0]))
    assert int(req(app, "04 %04x 0001" % addr("input", "alarm_word_%d" % k))[4:], 16) & bit
    assert not int(req(app, "04 %04x 0001" % addr("input", "alarm_unacked_word_%d" % k))[4:],
                   16) & bit
    assert req(app, "06 %04x 0000" % ack)[:2] == "86"  # 0 is no code: exception
    # the three groups read in one request each, with the measurements' fault codes
    n = len(INPUTS)
    r = req(app, "04 %04x %04x" % (f - AI_P_GC, n))
    assert r[:4] == "04%02x" % (2 * n)


def _idle_run(with_manual):
    rig = Rig()
    rig.step(5)
    if with_manual:
        rig.c.command(command_index("man_hpev_pct"), 80.0)  # mode is Max-COP: no effect
    rig.step(5)
    return rig


def test_manual_value_outside_manual_mode_is_kept_flagged_and_does_nothing():
    plain, idle = _idle_run(False), _idle_run(True)
    assert idle.out[AO_HPEV] == plain.out[AO_HPEV]  # the output is the loop's
    assert idle.c.alarms.active[A.A_MAN_IDLE] and not plain.c.alarms.active[A.A_MAN_IDLE]
    assert not idle.c.alarms.active[A.A_MANUAL]
    assert idle.c.command_value(command_index("man_hpev_pct")) == 80.0  # accepted and kept
    assert idle.out[7] == plain.out[7]  # a warning: the alarm relay is not pulled
    idle.set("mode_cmd", MANUAL)
    idle.step(12)
    assert not idle.c.alarms.active[A.A_MAN_IDLE] and idle.c.alarms.active[A.A_MANUAL]
    assert abs(idle.out[AO_HPEV] - 80.0) < 0.01  # now in force
    idle.set("mode_cmd", 2)
    idle.c.command(command_index("manual_release"), 1)
    idle.step()
    assert not idle.c.alarms.active[A.A_MAN_IDLE]
