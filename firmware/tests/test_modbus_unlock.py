# The service unlock as a stranger on the bus would attack it, with raw frames on every
# path the firmware serves: PDUs on the HIL link's entry, RTU frames (address, PDU, CRC)
# on the line, MBAP frames on TCP connections. The rules (docs/registers.md, "Service
# unlock"): the code is the setting unlock_code (factory default UNLOCK_CODE), never
# readable; a wrong code gets the reply of any refused write (exception 1) and costs the
# transport a growing wait; an unlock belongs to one TCP connection, one RTU line or the
# link; a broadcast never unlocks and never writes.
from modbus_fixture import UNLOCK_CODE, addr, h, make_app, req, rtu_req, tcp, tcp_req, u16, unlock

from co2hr.settings import index

P_GC_MAX = index("p_gc_max_bar")
FREE_TRIES = 2  # wrong codes a transport takes without a wait
WAIT_MAX_S = 600
CODE = "06 0258" + u16(UNLOCK_CODE)
CODE_OK = "060258" + u16(UNLOCK_CODE)
WRONG = "06 0258" + u16(UNLOCK_CODE ^ 0x0101)
SET_P_GC_MAX = "06 0001 0410"  # p_gc_max_bar = 104.0 bar
SET_OK = "0600010410"
REFUSED = "8601"


def wait_s(f):
    """The documented wait after the f-th wrong code since the last unlock."""
    return 0 if f <= FREE_TRIES else min(1 << (f - FREE_TRIES - 1), WAIT_MAX_S)


def u32(app, name):
    r = h(req(app, "04 %04x 0002" % addr("input", name)))
    return (r[2] << 24) | (r[3] << 16) | (r[4] << 8) | r[5]


def in16(app, name):
    r = h(req(app, "04 %04x 0001" % addr("input", name)))
    return (r[2] << 8) | r[3]


def tcp_in16(app, hw, cid, name):
    r = h(tcp_req(app, hw, cid, "04 %04x 0001" % addr("input", name)))
    return (r[2] << 8) | r[3]


def test_wrong_code_gets_the_reply_of_a_refused_write():
    app, hw = make_app()
    assert req(app, SET_P_GC_MAX) == REFUSED  # a write while locked
    assert req(app, WRONG) == REFUSED  # the same reply: nothing tells a wrong code apart
    assert req(app, "10 0258 0001 02" + u16(UNLOCK_CODE + 1)) == "9001"
    assert req(app, "17 0000 0001 0258 0001 02" + u16(UNLOCK_CODE - 1)) == "9701"
    assert req(app, SET_P_GC_MAX) == REFUSED
    assert req(app, "02 012c 0001") == "020100"  # settings_unlocked: no
    assert u32(app, "mb_unlock_refused") == 3 and u32(app, "mb_writes_refused") == 2


def test_the_code_is_a_setting_that_reads_0_and_changes_only_unlocked():
    app, hw = make_app()
    s = app.control.settings
    a = addr("holding", "unlock_code")
    assert req(app, "03 %04x 0001" % a) == "03020000"
    assert req(app, "06 %04x 3039" % a) == REFUSED  # locked: the code cannot be changed
    assert req(app, "02 %04x 0001" % addr("discrete", "unlock_code_default")) == "020101"
    unlock(app)
    assert req(app, "03 %04x 0001" % a) == "03020000"  # not even unlocked
    assert req(app, "17 %04x 0001 0001 0001 02 0410" % a) == "17020000"  # nor by FC 23
    assert req(app, "06 %04x 3039" % a) == "06%04x3039" % a  # 12345
    assert s.get("unlock_code") == 12345  # stored with the other settings
    assert req(app, "03 %04x 0001" % a) == "03020000"
    assert req(app, "02 %04x 0001" % addr("discrete", "unlock_code_default")) == "020100"
    # 0 leaves the code as it is: a block of settings read and written back keeps it
    assert req(app, "06 %04x 0000" % a) == "06%04x0000" % a
    assert s.get("unlock_code") == 12345
    assert req(app, "06 0258 0000") == "0602580000"  # lock
    assert req(app, CODE) == REFUSED  # the factory code no longer opens anything
    unlock(app, 12345)
    assert req(app, SET_P_GC_MAX) == SET_OK


def test_wrong_codes_cost_a_growing_wait():
    app, hw = make_app()
    t = 0
    for f in range(1, 16):
        hw.now = t
        assert req(app, WRONG) == REFUSED, f
        w = wait_s(f)
        assert in16(app, "unlock_failures") == f
        assert in16(app, "unlock_wait_s") == w, (f, w)
        if w:
            hw.now = t + w * 1000 - 1  # the right code, 1 ms early: refused like any
            assert req(app, CODE) == REFUSED, f
            assert in16(app, "unlock_wait_s") == 1
        t += w * 1000
    assert wait_s(15) == WAIT_MAX_S
    hw.now = t
    unlock(app)  # the wait is over: the right code is taken, and the count starts again
    assert in16(app, "unlock_failures") == 0 and in16(app, "unlock_wait_s") == 0
    assert u32(app, "mb_unlocks") == 1
    assert u32(app, "mb_unlock_refused") == 15 + 13  # 15 wrong, 13 early
    assert req(app, WRONG) == REFUSED
    assert in16(app, "unlock_wait_s") == 0  # one wrong code after an unlock costs nothing


def test_guessing_at_full_speed_for_a_day_takes_few_codes():
    # A client that sends a code every 0.7 ms (the ~1,500 requests/s the mpy target
    # serves over TCP) gets the same codes taken as one that sends each exactly when
    # the wait ends: the first few at once, then one per WAIT_MAX_S.
    app, hw = make_app()
    tcp(app, hw, 1, "open")
    taken = 0
    t = 0
    for k in range(200):  # the first 200 requests at full speed
        hw.now = t
        assert tcp_req(app, hw, 1, WRONG, tid=k) == REFUSED
        t += 1  # ~0.7 ms, rounded up on the ms clock
    taken = tcp_in16(app, hw, 1, "unlock_failures")
    assert taken == FREE_TRIES + 1
    day_ms = 86400 * 1000
    while True:  # the rest of the day: each code the moment the wait ends
        t += tcp_in16(app, hw, 1, "unlock_wait_s") * 1000
        if t >= day_ms:
            break
        hw.now = t
        app.modbus.poll()
        if app.modbus.tcp.clients() == 0:
            tcp(app, hw, 1, "open")  # idle-closed during a long wait: back again
        assert tcp_req(app, hw, 1, WRONG) == REFUSED
        taken += 1
        assert tcp_in16(app, hw, 1, "unlock_failures") == taken
    # a day: 12 codes in the first 1,023 s, then one per 600 s: 155 of 65,535 codes
    assert taken == 155, taken


def test_unlock_belongs_to_one_tcp_connection():
    app, hw = make_app()
    tcp(app, hw, 1, "open")
    tcp(app, hw, 2, "open")
    assert tcp_req(app, hw, 1, CODE) == CODE_OK
    assert tcp_req(app, hw, 2, SET_P_GC_MAX) == REFUSED
    assert tcp_req(app, hw, 2, "02 012c 0001") == "020100"  # not unlocked, as 2 sees it
    assert tcp_req(app, hw, 2, "03 0258 0001") == "03020000"  # no seconds left for 2
    assert tcp_req(app, hw, 1, "02 012c 0001") == "020101"
    assert tcp_req(app, hw, 1, SET_P_GC_MAX) == SET_OK
    assert req(app, "06 0001 0411") == REFUSED  # the link's session is its own
    assert rtu_req(app, hw, "06 0001 0411") == REFUSED  # and the RTU line's
    assert abs(app.control.settings.values[P_GC_MAX] - 104.0) < 1e-9


def test_unlock_ends_when_the_client_disconnects_or_times_out():
    app, hw = make_app()
    tcp(app, hw, 1, "open")
    assert tcp_req(app, hw, 1, CODE) == CODE_OK
    tcp(app, hw, 1, "close")
    tcp(app, hw, 2, "open")  # takes the slot 1 had
    assert tcp_req(app, hw, 2, SET_P_GC_MAX) == REFUSED
    assert tcp_req(app, hw, 2, CODE) == CODE_OK
    hw.now += 60 * 1000 + 1  # tcp_idle_s
    assert tcp(app, hw, 2, "poll") == (b"", True)
    tcp(app, hw, 3, "open")
    assert tcp_req(app, hw, 3, SET_P_GC_MAX) == REFUSED
    assert tcp_req(app, hw, 3, SET_P_GC_MAX) == REFUSED


def test_unlock_times_out_on_a_busy_connection():
    app, hw = make_app()
    tcp(app, hw, 1, "open")
    assert tcp_req(app, hw, 1, CODE) == CODE_OK
    for k in range(10):  # a request every 59 s keeps the connection, not the unlock
        hw.now += 59 * 1000
        assert tcp_req(app, hw, 1, "03 0258 0001") == "0302" + u16(600 - 59 * (k + 1))
    hw.now += 10 * 1000 + 1
    assert tcp_req(app, hw, 1, SET_P_GC_MAX) == REFUSED


def test_rtu_unlock_is_the_lines_own():
    app, hw = make_app()
    assert rtu_req(app, hw, CODE) == CODE_OK
    tcp(app, hw, 1, "open")
    assert tcp_req(app, hw, 1, SET_P_GC_MAX) == REFUSED
    assert req(app, SET_P_GC_MAX) == REFUSED
    assert rtu_req(app, hw, SET_P_GC_MAX) == SET_OK  # between requests the line stays open
    assert rtu_req(app, hw, "02 012c 0001") == "020101"
    hw.now += 600 * 1000 + 1
    assert rtu_req(app, hw, "06 0001 0411") == REFUSED


def test_an_unlock_left_alone_for_days_stays_closed():
    # The ms clock wraps at 2**30 (12.4 days); an expiry looked at only when asked would
    # seem to lie in the future again after 6.2 days without a request.
    app, hw = make_app()
    assert rtu_req(app, hw, CODE) == CODE_OK
    for _ in range(8):  # a wrong code on TCP too: its wait must end as well
        tcp(app, hw, 1, "open")
        tcp_req(app, hw, 1, WRONG)
        hw.now = (hw.now + WAIT_MAX_S * 1000) & 0x3FFFFFFF
    for _ in range(8 * 24):  # 8 days of an idle line, the board polling all along
        hw.now = (hw.now + 3600 * 1000) & 0x3FFFFFFF
        app.modbus.poll()
    assert rtu_req(app, hw, SET_P_GC_MAX) == REFUSED
    assert rtu_req(app, hw, "02 012c 0001") == "020100"
    tcp(app, hw, 2, "open")
    assert tcp_req(app, hw, 2, CODE) == CODE_OK  # no wait left over either


def test_broadcast_never_unlocks_and_never_writes():
    app, hw = make_app()
    s = app.control.settings
    v0 = s.version
    mode = addr("holding", "mode_cmd")
    # the two frames that once switched the plant Off without a reply or a trace
    assert rtu_req(app, hw, CODE, unit=0) is None
    assert rtu_req(app, hw, "06 %04x 0000" % mode, unit=0) is None
    assert s.version == v0 and s.get("mode_cmd") == 2
    assert rtu_req(app, hw, SET_P_GC_MAX) == REFUSED  # the line did not unlock either
    # not even while the line is unlocked: a broadcast has no sender to hold an unlock
    assert rtu_req(app, hw, CODE) == CODE_OK
    assert rtu_req(app, hw, "06 %04x 0000" % mode, unit=0) is None
    assert rtu_req(app, hw, "10 0000 0002 04 0000 0410", unit=0) is None
    assert rtu_req(app, hw, "05 %04x ff00" % addr("coil", "alarm_ack"), unit=0) is None
    assert rtu_req(app, hw, "06 %04x 03e8" % addr("holding", "man_hpev_pct"), unit=0) is None
    assert rtu_req(app, hw, "06 0258 0000", unit=0) is None  # nor lock the line
    assert rtu_req(app, hw, "02 012c 0001") == "020101"
    assert s.version == v0 and s.get("mode_cmd") == 2
    assert req(app, "06 %04x 0000" % mode, unit=0) is None  # the link's broadcast too
    assert s.version == v0
    assert u32(app, "mb_broadcast_refused") == 8  # every one of them counted


def test_commands_need_the_unlock():
    app, hw = make_app()
    man_hpev = addr("holding", "man_hpev_pct")
    writes = (
        ("06 %04x 01f4" % man_hpev, "86"),  # HPEV 50 %
        ("06 %04x 0001" % addr("holding", "man_comp_enable"), "86"),
        ("06 %04x 0001" % addr("holding", "manual_release"), "86"),
        ("06 %04x 0001" % addr("holding", "alarm_hist_clear"), "86"),
        ("06 %04x 0001" % addr("holding", "alarm_ack"), "86"),
        ("05 %04x ff00" % addr("coil", "alarm_ack"), "85"),
        ("0f %04x 0001 01 01" % addr("coil", "alarm_ack"), "8f"),
        ("10 %04x 0002 04 01f4 01f4" % man_hpev, "90"),
    )
    tcp(app, hw, 1, "open")
    for pdu, fc in writes:
        assert req(app, pdu) == fc + "01", pdu
        assert tcp_req(app, hw, 1, pdu) == fc + "01", pdu
        assert rtu_req(app, hw, pdu) == fc + "01", pdu
    assert req(app, "03 %04x 0001" % man_hpev) == "0302fff6"  # still auto (-1.0)
    assert not any(app.control.modes.man_set)
    unlock(app)
    for pdu, fc in writes:
        assert req(app, pdu)[:2] == "%02x" % (int(fc, 16) & 0x7F), pdu
    assert req(app, "03 %04x 0001" % man_hpev) == "030201f4"


def test_frames_spanning_the_unlock_register():
    app, hw = make_app()
    s = app.control.settings
    v0 = s.version
    code = u16(UNLOCK_CODE)
    assert req(app, "10 0257 0002 04 0000" + code) == "9002"  # 599 is not mapped
    assert req(app, "10 0258 0002 04" + code + "0000") == "9002"  # nor is 601
    assert req(app, "02 012c 0001") == "020100"
    # FC 23 writes a setting before its read: locked, nothing written, nothing read
    assert req(app, "17 0258 0001 0001 0001 02 0410") == "9701"
    assert req(app, "10 0000 0002 04 0000 0410") == "9001"  # a block of settings
    assert req(app, "10 0190 0010 20" + "0001" * 16) == "9001"  # comm settings + code
    assert s.version == v0
    # FC 23 that writes the code and reads the unlock register: the write comes first
    assert req(app, "17 0258 0001 0258 0001 02" + code) == "17020258"  # 600 s left
    assert req(app, SET_P_GC_MAX) == SET_OK


def test_parallel_connections_share_one_wait():
    app, hw = make_app()
    for cid in range(1, 5):
        tcp(app, hw, cid, "open")
    for cid in range(1, 5):  # four guessers, one wrong code each
        assert tcp_req(app, hw, cid, WRONG) == REFUSED
    assert in16(app, "unlock_failures") == 0  # (the link's own count)
    # the third wrong code starts a wait for all of them: the fourth was not compared
    assert tcp_req(app, hw, 1, "04 %04x 0002" % addr("input", "unlock_wait_s")) == \
        "0404" + u16(wait_s(3)) + u16(3)
    assert tcp_req(app, hw, 2, CODE) == REFUSED  # the right code, during the wait
    hw.now += wait_s(3) * 1000
    assert tcp_req(app, hw, 3, CODE) == CODE_OK
    assert tcp_req(app, hw, 4, SET_P_GC_MAX) == REFUSED  # 3's unlock, not 4's


def test_guessing_on_tcp_does_not_lock_the_rtu_line_or_the_link_out():
    app, hw = make_app()
    tcp(app, hw, 1, "open")
    for f in range(1, 13):
        assert tcp_req(app, hw, 1, WRONG) == REFUSED
        hw.now += wait_s(f) * 1000
        if wait_s(f) >= 60:
            tcp(app, hw, 1, "open")  # idle-closed meanwhile: the guesser comes back
    assert rtu_req(app, hw, CODE) == CODE_OK
    unlock(app)


def test_tcp_read_only_mode_refuses_every_write():
    app, hw = make_app()
    tcp(app, hw, 1, "open")
    assert tcp_req(app, hw, 1, CODE) == CODE_OK
    unlock(app)
    ro = addr("holding", "tcp_read_only")
    assert req(app, "06 %04x 0001" % ro) == "06%04x0001" % ro
    assert tcp_req(app, hw, 1, SET_P_GC_MAX) == REFUSED  # unlocked before: still refused
    assert tcp_req(app, hw, 1, CODE) == REFUSED  # no code is taken over TCP at all
    assert tcp_req(app, hw, 1, "03 0001 0001")[:4] == "0302"  # reads go on
    assert rtu_req(app, hw, CODE) == CODE_OK  # the RTU line is not affected
    assert rtu_req(app, hw, SET_P_GC_MAX) == SET_OK


def test_tcp_client_allowlist():
    app, hw = make_app()
    unlock(app)
    a = addr("holding", "tcp_allow_ip1")
    # 192.168.1.0/24; ip1..ip4 then the prefix length
    assert req(app, "10 %04x 0005 0a 00c0 00a8 0001 0000 0018" % a) == "10%04x0005" % a
    assert tcp(app, hw, 1, "open", peer=bytes([192, 168, 1, 77])) == (b"", False)
    assert tcp(app, hw, 2, "open", peer=bytes([192, 168, 2, 1])) == (b"", True)
    assert tcp(app, hw, 3, "open") == (b"", True)  # 127.0.0.1
    assert u32(app, "mb_tcp_not_allowed") == 2
    assert tcp_req(app, hw, 1, "03 0000 0001")[:4] == "0302"
    assert req(app, "06 %04x 0020" % (a + 4)) == "06%04x0020" % (a + 4)  # /32: 192.168.1.0
    assert tcp(app, hw, 1, "poll") == (b"", True)  # a client no longer allowed is closed
    assert req(app, "06 %04x 0000" % (a + 4)) == "06%04x0000" % (a + 4)  # 0: every client
    assert tcp(app, hw, 4, "open", peer=bytes([10, 0, 0, 9])) == (b"", False)


def test_a_changed_code_is_stored_with_the_settings_and_kept_after_a_reboot():
    from fakefs import FakeFs

    from co2hr.storage import Store

    fs = FakeFs()
    app, hw = make_app()
    store = Store(fs, "flash")
    store.attach(app.control.settings, app.control, hw.ticks_ms)
    unlock(app)
    a = addr("holding", "unlock_code")
    assert req(app, "06 %04x d431" % a) == "06%04xd431" % a  # 54321
    store.save()
    app2, hw2 = make_app()  # the next boot
    Store(fs, "flash").attach(app2.control.settings, app2.control, hw2.ticks_ms)
    assert req(app2, CODE) == REFUSED
    unlock(app2, 54321)
    assert req(app2, "03 %04x 0001" % a) == "03020000"
