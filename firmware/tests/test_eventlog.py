# The event log (dual: CPython and MicroPython): what the firmware logs - boots and the
# store's findings, alarms raised/cleared/acknowledged, every setting change with its
# source, mode changes, HP stops, unlock and lock - through the real hooks (boot.build,
# the controller, the Modbus server and its transports); entries wait in RAM at most
# FLUSH_WITHIN_MS; bursts merge, a flood is held to the quota and counted, never more
# appends than the quota allows; a failing flash raises event_log_fault and loses
# nothing the buffer can hold; with nothing happening, the hooks allocate nothing.
import gc
import json

import evkit as K
from ctlkit import NOMINAL, Rig, terminals
from fakefs import FakeFs
from modbus_fixture import BOARD, FlashHw, req, rtu_req, tcp, tcp_req, u16, unlock

from co2hr import eventlog as E
from co2hr.alarms import ALARMS
from co2hr.boot import build
from co2hr.clock import Clock
from co2hr.evstore import REC, EvStore, sealed
from co2hr.io import AI_P_GC, N_IN
from co2hr.modbus.registers import UNLOCK_CODE, setting_address
from co2hr.settings import SCHEMA, Settings, index
from co2hr.storage import SLOTS, encode_slot


class Ms:
    """The App's ms clock for a log outside an App."""

    def __init__(self):
        self.t = 0

    def __call__(self):
        return self.t & 0x3FFFFFFF


def _fs():
    fs = FakeFs()
    fs.dirs.add("flash")
    return fs


def _bare(fs=None):
    ms = Ms()
    clock = Clock(ms, Settings())
    st = None
    if fs is not None:
        st = EvStore(fs, "flash")
        st.open()
    return E.EventLog(st, clock), ms


def _entries(ev):
    """(kind, key, a, b, merged, source) of every entry kept, flash then RAM."""
    out = []
    b = bytearray(REC)
    st = ev.store
    s = st.oldest() if st is not None else ev.next_seq()
    end = ev.next_seq() + ev.n
    while s != end:
        if not ev.read_pending(s, b, 0):
            st.read_run(s, 1, b)
        if sealed(b, 0):
            out.append((b[6], b[8] << 8 | b[9], b[10] << 8 | b[11], b[12] << 8 | b[13],
                        b[7] & 15, (b[7] >> 4) & 7))
        s += 1
    return out


def _kinds(ev, kind):
    return [e for e in _entries(ev) if e[0] == kind]


def _app(fs):
    hw = FlashHw(fs)
    return build(hw, BOARD, "flash"), hw


def _run(app, hw, s, ok=1):
    """s seconds of the loop (1 s passes), every input at the nominal operating point
    (ok 1) or failed (ok 0)."""
    raw = terminals(NOMINAL)
    for _ in range(s):
        for i in range(N_IN):
            hw.okv[i] = ok
            hw.raw[i] = raw[i]
        hw.set_now(hw.now + 1000)
        app.service()


def _raw(k):
    row = SCHEMA[k]
    return int(round(row[1] * row[5]))


def _code_row(code):
    for i in range(len(ALARMS)):
        if ALARMS[i][0] == code:
            return i
    raise KeyError(code)


# --- what is logged -----------------------------------------------------------------------
def test_first_boot_then_a_reboot_log_the_boot_and_the_store_findings():
    fs = _fs()
    app, hw = _app(fs)
    ev = app.events
    got = _entries(ev)
    assert got[0][0] == K.EV_BOOT and got[0][2] == 1  # settings: first boot
    assert got[1][:2] == (K.EV_STORAGE, K.STORE_FIRST_BOOT)
    _run(app, hw, 5)
    assert ev.n == 0 and ev.store.appends >= 1  # on flash within FLUSH_WITHIN_MS
    assert _kinds(ev, K.EV_MODE)[0][2:4] == (0xFFFF, 2)  # the mode at boot: Max-COP
    app2, _hw2 = _app(fs)
    boots = _kinds(app2.events, K.EV_BOOT)
    assert len(boots) == 2 and boots[1][2] == 0  # settings from the newest stored copy
    assert len(_kinds(app2.events, K.EV_STORAGE)) == 1  # the first boot's only


def test_a_refused_stored_value_is_logged_with_its_register():
    fs = _fs()
    app, hw = _app(fs)
    _run(app, hw, 12)  # the store has saved
    st = app.store
    d = json.loads(st.payload())  # the next copy the store would write
    d["settings"]["tz_summer_time"] = 7  # the right kind, outside its range
    fs.files["flash/" + SLOTS[1 - st.slot]] = bytearray(
        encode_slot(d["seq"], json.dumps(d).encode()))
    app2, _hw = _app(fs)
    refused = [e for e in _kinds(app2.events, K.EV_STORAGE) if e[1] == K.STORE_REFUSED]
    assert len(refused) == 1 and refused[0][2] == setting_address(index("tz_summer_time"))


def test_alarms_raised_cleared_and_acknowledged():
    fs = _fs()
    app, hw = _app(fs)
    _run(app, hw, 8, ok=0)  # every input failed: sensor alarms after their delays
    raised = [e for e in _kinds(app.events, K.EV_ALARM) if e[2] == K.WHAT_RAISED]
    assert 10 in [e[1] for e in raised]  # p_gc_sensor
    assert [e[5] for e in raised] == [E.SRC_FIRMWARE] * len(raised)
    _run(app, hw, 3)
    assert [e for e in _kinds(app.events, K.EV_ALARM) if e[1] == 10 and K.WHAT_CLEARED in (
        e[2], e[3])]
    latched = [e for e in raised if ALARMS[_code_row(e[1])][6]]
    unlock(app)
    assert req(app, "06 01f4 0001") == "0601f40001"  # alarm_ack (holding 500)
    acks = [e for e in _kinds(app.events, K.EV_ALARM) if e[2] == K.WHAT_ACKED]
    assert acks and [e[5] for e in acks] == [E.SRC_HIL] * len(acks)
    for e in latched:  # a latched alarm whose cause is gone clears with its ack
        assert [a for a in acks if a[1] == e[1] and a[3] == K.WHAT_CLEARED], e


def test_every_setting_change_with_old_new_and_the_source():
    fs = _fs()
    app, hw = _app(fs)
    ev = app.events
    k = index("p_rec_sp_bar")
    a = setting_address(k)
    old0, old1 = _raw(k), _raw(k + 1)
    unlock(app)
    # one FC 16 over two settings: one entry per register that changed
    assert req(app, "10 %s 0002 04 %s %s" % (u16(a), u16(old0 + 5), u16(old1))) == (
        "10" + u16(a) + "0002")
    got = _kinds(ev, K.EV_SETTING)
    assert got == [(K.EV_SETTING, a, old0, old0 + 5, 0, E.SRC_HIL)]
    _run(app, hw, 3)
    assert req(app, "06 %s %s" % (u16(a), u16(old0 + 5))) is not None  # the same value
    assert len(_kinds(ev, K.EV_SETTING)) == 1  # no change, no entry
    # over the RTU line and a TCP connection: their own sources
    assert rtu_req(app, hw, "06 0258 " + u16(UNLOCK_CODE)) is not None
    assert rtu_req(app, hw, "06 %s %s" % (u16(a), u16(old0 + 6))) is not None
    tcp(app, hw, 1, "open")
    assert tcp_req(app, hw, 1, "06 0258 " + u16(UNLOCK_CODE)) is not None
    assert tcp_req(app, hw, 1, "06 %s %s" % (u16(a), u16(old0 + 7))) is not None
    srcs = [(e[3], e[5]) for e in _kinds(ev, K.EV_SETTING)]
    assert srcs == [(old0 + 5, E.SRC_HIL), (old0 + 6, E.SRC_RTU), (old0 + 7, E.SRC_TCP)]
    unl = _kinds(ev, K.EV_UNLOCK)
    assert [e[5] for e in unl] == [E.SRC_HIL, E.SRC_RTU, E.SRC_TCP]
    tcp(app, hw, 1, "close")
    _run(app, hw, 1)
    assert _kinds(ev, K.EV_LOCK)[-1][2:] == (K.LOCK_CLOSED, 0, 0, E.SRC_TCP)


def test_unlock_timeout_explicit_lock_and_wrong_codes():
    fs = _fs()
    app, hw = _app(fs)
    ev = app.events
    unlock(app)
    assert req(app, "06 0258 0000") == "0602580000"  # lock again
    assert _kinds(ev, K.EV_LOCK)[-1][2] == K.LOCK_BY_MASTER
    unlock(app)
    _run(app, hw, int(SCHEMA[index("unlock_timeout_s")][1]) + 2)
    assert req(app, "03 0000 0001") is not None  # the next request sees it expired
    assert _kinds(ev, K.EV_LOCK)[-1][2] == K.LOCK_TIMEOUT
    for _ in range(3):
        req(app, "06 0258 " + u16(UNLOCK_CODE ^ 0x55))
    wrong = _kinds(ev, K.EV_CODE_WRONG)
    assert len(wrong) == 1 and wrong[0][4] == 2  # merged: 3 wrong codes, one entry
    assert wrong[0][3] == 1  # after the third the line waits 1 s


def test_mode_changes_and_hp_stops_from_the_tick():
    r = Rig()
    ev, ms = _bare()
    r.c.events = ev
    r.c.alarms.events = ev
    r.step(2)
    assert _kinds(ev, K.EV_MODE) == [(K.EV_MODE, 0, 0xFFFF, 2, 0, E.SRC_FIRMWARE)]
    ev.flush()  # (a change while the first entry waits would merge into it)
    r.set("mode_cmd", 1)
    r.step(1)
    assert _kinds(ev, K.EV_MODE)[-1][2:4] == (2, 1)
    r.set("mode_cmd", 2)
    r.eng[AI_P_GC] = 112.0  # past the HP stop
    p_at_stop = None
    for _ in range(4):
        r.step(1)
        if r.c.gc.stops and p_at_stop is None:
            p_at_stop = r.c.sig.value[AI_P_GC]  # what the controller acted on
    stops = _kinds(ev, K.EV_HP_STOP)
    assert len(stops) == 1 and stops[0][2] == int(p_at_stop * 10) and p_at_stop > 95


def test_the_clock_and_the_log_alarms():
    fs = _fs()
    app, hw = _app(fs)
    a_clock = _code_row(K.CODE_CLOCK_NOT_SET)
    a_log = _code_row(K.CODE_LOG_FAULT)
    al = app.control.alarms
    _run(app, hw, 65)
    assert al.active[a_clock] and not al.active[a_log]
    assert app.clock.set_civil(2025, 3, 1, 12, 0, 0, 1)
    _run(app, hw, 2)
    assert not al.active[a_clock]
    fs.fail_writes = True  # the flash fails: the entries wait, the alarm says so
    unlock(app)
    k = index("p_rec_sp_bar")
    assert req(app, "06 %s %s" % (u16(setting_address(k)), u16(_raw(k) + 3))) is not None
    _run(app, hw, 4)
    assert al.active[a_log] and app.events.n >= 2 and app.events.fault
    fs.fail_writes = False
    _run(app, hw, int(K.RETRY_MS // 1000) + 2)
    assert app.events.n == 0 and not app.events.fault and not al.active[a_log]
    assert _kinds(app.events, K.EV_SETTING)[-1][3] == _raw(k) + 3  # nothing lost


# --- how much is written ----------------------------------------------------------------------
def test_a_burst_of_writes_to_one_register_merges_into_one_entry():
    ev, ms = _bare(_fs())
    for v in range(5):
        ev.source = E.SRC_RTU
        ev.setting(index("p_rec_sp_bar"), 35 + v, 36 + v)
    ev.source = E.SRC_FIRMWARE
    got = _kinds(ev, K.EV_SETTING)
    assert got == [(K.EV_SETTING, setting_address(index("p_rec_sp_bar")), 350, 400, 4,
                    E.SRC_RTU)]
    assert ev.merged == 4
    ms.t += K.FLUSH_WITHIN_MS
    ev.poll()
    assert ev.n == 0 and ev.store.appends == 1


def test_a_flood_is_held_to_the_quota_and_counted():
    fs = _fs()
    ev, ms = _bare(fs)
    keys = 40
    for j in range(K.QUOTA_BURST + 60):
        ev.add(K.EV_COMMAND, 500 + j % keys, 0, j, E.SRC_TCP)
        if j % keys == keys - 1:  # every key once, then an append: no merging
            ms.t += 10
            ev.flush()
    ev.flush()
    cmds = _kinds(ev, K.EV_COMMAND)
    assert len(cmds) == K.QUOTA_BURST and ev.lost == 60
    assert ev.store.appends <= K.QUOTA_BURST
    ms.t += K.QUOTA_REFILL_MS  # one more entry per refill period
    ev.add(K.EV_COMMAND, 999, 0, 1, E.SRC_TCP)
    ev.add(K.EV_COMMAND, 998, 0, 1, E.SRC_TCP)
    assert ev.n == 1 and ev.lost == 61
    ev.add(K.EV_BOOT, 0, 0, 0, E.SRC_FIRMWARE)  # a boot is outside the quota
    assert ev.n == 2
    ev.flush()
    assert not _kinds(ev, K.EV_LOST)  # the count waits LOST_WITHIN_MS for more
    ms.t += K.LOST_WITHIN_MS
    ev.poll()
    assert _kinds(ev, K.EV_LOST) == [(K.EV_LOST, 0, 0, 61, 0, E.SRC_FIRMWARE)]
    assert ev.n == 0


def test_a_full_buffer_is_written_from_a_request_and_counted_from_the_tick():
    ev, ms = _bare(_fs())
    for j in range(K.N_PEND + 4):  # a master's FC 16 over many settings
        ev.add(K.EV_SETTING, j, 0, 1, E.SRC_RTU)
    assert ev.lost == 0 and ev.store.appends == 1 and ev.n == 4
    ev.flush()
    for j in range(K.N_PEND + 3):  # the tick never writes flash: the rest is counted
        ev.add(K.EV_ALARM, 100 + j, 1, 1, E.SRC_FIRMWARE)
    assert ev.n == K.N_PEND and ev.lost == 3 and ev.store.appends == 2


def test_ram_only_log_keeps_counting():
    ev, ms = _bare(None)
    ev.add(K.EV_BOOT, 1, 0, 0, E.SRC_FIRMWARE)
    assert ev.next_seq() == 1 and ev.n == 1
    ms.t += K.FLUSH_WITHIN_MS
    ev.poll()
    assert ev.n == 0 and ev.next_seq() == 2


def test_nothing_happening_allocates_nothing():
    fs = _fs()
    app, hw = _app(fs)
    _run(app, hw, 70)  # the boot's entries written, clock_not_set raised
    ev = app.events
    ctrl = app.control
    mode = ctrl.modes.mode
    if not hasattr(gc, "mem_alloc"):  # CPython: the same calls, nothing logged
        n = ev.version
        for _ in range(50):
            ev.tick(ctrl, mode, ctrl.now_s)
            ev.poll()
            app.clock.poll()
        assert ev.version == n
        return
    a0 = gc.mem_alloc()
    for _ in range(200):
        hw.now += 1000
        app.clock.poll()
        ev.tick(ctrl, mode, ctrl.now_s)
        ev.poll()
    assert gc.mem_alloc() - a0 == 0


def test_an_rtc_time_taken_while_an_entry_is_made_logs_first_and_both_are_whole():
    fs = _fs()
    app, hw = _app(fs)
    hw.set_rtc(1767225600 * 1000)  # the HIL host's RTC, set after the boot
    _run(app, hw, 1)  # the tick's mode entry takes the clock, which logs its set first
    got = _entries(app.events)
    kinds = [e[0] for e in got]
    assert kinds[-2:] == [K.EV_CLOCK, K.EV_MODE], got
    b = bytearray(REC)
    for j in range(app.events.n):  # every waiting slot is a whole record
        assert app.events.read_pending(app.events.next_seq() + j, b, 0) and sealed(b, 0)


def test_commands_are_logged_with_their_value_and_source():
    fs = _fs()
    app, hw = _app(fs)
    unlock(app)
    i = 1  # man_hpev_pct (holding 501), -1..100 % x 10
    assert req(app, "06 01f5 %s" % u16(-10)) == "0601f5" + u16(-10)
    assert req(app, "06 01f5 %s" % u16(250)) == "0601f5" + u16(250)  # merged: the last
    cmds = _kinds(app.events, K.EV_COMMAND)
    assert cmds == [(K.EV_COMMAND, i, 0, 250, 1, E.SRC_HIL)]
