# The clock and event-log registers as raw Modbus frames (dual: CPython and
# MicroPython): the clock is set by one FC 16 of holding 620..625 after the unlock; an
# impossible date is exception 3 and changes nothing; a partial block is exception 2;
# the window at input 700.. shows the log's records word for word from the index each
# master writes for itself (no unlock, even on a read-only TCP port).
import evkit as K
from fakefs import FakeFs
from modbus_fixture import BOARD, BusHw, FlashHw, req, tcp, tcp_req, u16, unlock

from co2hr import eventlog as E
from co2hr.boot import build
from co2hr.evstore import REC
from co2hr.modbus.evregs import ENTRY_WORDS, WIN_ENTRIES, WIN_HEAD


def _app():
    hw = BusHw()
    return build(hw, BOARD), hw


def _clock_block(y, mo, d, hh, mi, s):
    return "10 026c 0006 0c" + "".join(u16(v) for v in (y, mo, d, hh, mi, s))


def _words(resp_hex):
    b = bytes.fromhex(resp_hex)
    assert b[0] in (3, 4) and b[1] == len(b) - 2, resp_hex
    return [(b[2 + 2 * i] << 8) | b[3 + 2 * i] for i in range(b[1] // 2)]


def _inputs(app, addr, n):
    return _words(req(app, "04 %s %s" % (u16(addr), u16(n))))


def test_the_clock_block_needs_the_unlock_and_takes_a_real_date():
    app, _hw = _app()
    assert req(app, _clock_block(2025, 9, 30, 21, 59, 50)) == "9001"  # locked
    assert _inputs(app, 660, 2) == [0, 0]
    unlock(app)
    assert req(app, _clock_block(2025, 9, 30, 21, 59, 50)) == "10026c0006"
    w = _inputs(app, 660, 11)
    # set by Modbus; local 2025-09-30 23:59:50 (CEST, +120 min); not yet the heating season
    assert w == [1, 1, 2025, 9, 30, 23, 59, 50, 120, 0, 1]
    assert _inputs(app, 672, 2) == [1759269590 >> 16, 1759269590 & 0xFFFF]
    assert _words(req(app, "03 026c 0006")) == [2025, 9, 30, 21, 59, 50]  # UTC


def test_an_impossible_date_is_exception_3_and_changes_nothing():
    app, _hw = _app()
    unlock(app)
    for bad in ((2025, 2, 29, 12, 0, 0), (2025, 4, 31, 12, 0, 0), (2025, 13, 1, 0, 0, 0),
                (2025, 1, 1, 24, 0, 0), (2023, 6, 1, 0, 0, 0), (2025, 6, 1, 0, 60, 0)):
        assert req(app, _clock_block(*bad)) == "9003", bad
    assert _inputs(app, 660, 1) == [0]  # still not set
    assert req(app, _clock_block(2024, 2, 29, 12, 0, 0)) == "10026c0006"  # a leap day
    assert req(app, _clock_block(2025, 2, 29, 12, 0, 0)) == "9003"
    assert _words(req(app, "03 026c 0003")) == [2024, 2, 29]  # the good one stands
    assert app.clock.version == 1


def test_the_block_is_written_whole_or_not_at_all():
    app, _hw = _app()
    unlock(app)
    assert req(app, "06 026c 07e9") == "8602"  # FC 6 of one field
    assert req(app, "10 026c 0003 06 07e9 0001 0001") == "9002"  # half the block
    assert req(app, "10 026d 0006 0c 0001 0001 0000 0000 0000 0000") == "9002"  # not at 620
    assert _inputs(app, 660, 1) == [0]
    assert req(app, "10 0276 0001 02 0001") == "9002"  # half the index (holding 630)


def _log_records(app):
    """The log's records by seq, as the firmware holds them: on flash, then in RAM."""
    ev = app.events
    out = {}
    b = bytearray(REC)
    s = ev.store.oldest() if ev.store is not None else ev.next_seq()
    while s != ev.next_seq() + ev.n:
        if not ev.read_pending(s, b, 0):
            ev.store.read_run(s, 1, b)
        out[s] = bytes(b)
        s += 1
    return out


def _check_window(w, recs, first, n):
    assert (w[0] << 16 | w[1]) == first and w[2] == n
    for j in range(n):
        r = recs[first + j]
        e = w[WIN_HEAD + j * ENTRY_WORDS:WIN_HEAD + (j + 1) * ENTRY_WORDS]
        assert e[:7] == [(r[2 * k] << 8) | r[2 * k + 1] for k in range(7)], j
        assert e[7] == (first + j) & 0xFFFF


def _window(app, tcp_cid=None, hw=None):
    if tcp_cid is None:
        a = _inputs(app, 700, 125)
        b = _inputs(app, 825, WIN_HEAD + WIN_ENTRIES * ENTRY_WORDS - 125)
    else:
        a = _words(tcp_req(app, hw, tcp_cid, "04 02bc 007d"))
        b = _words(tcp_req(app, hw, tcp_cid, "04 0339 %s" % u16(
            WIN_HEAD + WIN_ENTRIES * ENTRY_WORDS - 125)))
    return a + b


def test_the_window_shows_the_records_word_for_word():
    app, _hw = _app()
    ev = app.events
    for k in range(5):  # (this build has no flash: the entries wait in RAM)
        ev.add(K.EV_SETTING, 100 + k, k, k + 1, E.SRC_RTU)
    recs = _log_records(app)
    w = _window(app)
    _check_window(w, recs, min(recs), len(recs))
    assert w[3] == len(recs)  # all of them in RAM
    assert _inputs(app, 680, 4)[2:] == [0, ev.next_seq() + ev.n - 1]  # ev_newest_seq


def test_the_window_over_flash_and_ram():
    fs = FakeFs()
    fs.dirs.add("flash")
    hw = FlashHw(fs)
    app = build(hw, BOARD, "flash")
    ev = app.events
    for k in range(40):
        ev.add(K.EV_COMMAND, 500 + k, 0, k, E.SRC_TCP)
        if k == 29:
            ev.flush()  # 30 and the boot's on flash, 10 waiting
    recs = _log_records(app)
    assert ev.n == 10 and len(recs) > WIN_ENTRIES
    _check_window(_window(app), recs, max(recs) - WIN_ENTRIES + 1, WIN_ENTRIES)
    s = max(recs) - 15  # a window with both
    assert req(app, "10 0276 0002 04 0000 " + u16(s)) == "1002760002"
    w = _window(app)
    _check_window(w, recs, s, 16)
    assert w[3] == 10


def test_each_master_moves_its_own_window_without_unlocking():
    app, hw = _app()
    ev = app.events
    for k in range(3):
        ev.add(K.EV_COMMAND, 500 + k, 0, k, E.SRC_FIRMWARE)
    s0 = ev.next_seq()
    app.control.settings.set("tcp_read_only", 1)
    tcp(app, hw, 1, "open")
    tcp(app, hw, 2, "open")
    assert tcp_req(app, hw, 1, "10 0276 0002 04 0000 %s" % u16(s0 + 2)) == "1002760002"
    w1 = _window(app, 1, hw)
    w2 = _window(app, 2, hw)  # the other connection still reads the newest
    assert (w1[0] << 16 | w1[1]) == s0 + 2 and w1[2] == ev.n - 2
    assert (w2[0] << 16 | w2[1]) == s0 and w2[2] == ev.n
    assert tcp_req(app, hw, 1, _clock_block(2025, 1, 1, 0, 0, 0)) == "9001"  # read-only
    assert tcp_req(app, hw, 1, "10 0276 0002 04 4000 0000") == "9003"  # seq < 2**30
    assert tcp_req(app, hw, 1, "10 0276 0002 04 0000 %s" % u16(s0 + 500)) is not None
    assert _window(app, 1, hw)[2] == 0  # past the newest: empty
    assert tcp_req(app, hw, 1, "10 0276 0002 04 0000 0001") is not None
    w = _window(app, 1, hw)
    assert (w[0] << 16 | w[1]) == s0  # before the oldest: from the oldest
    tcp(app, hw, 1, "close")
    tcp(app, hw, 1, "open")  # a new connection starts at the newest again
    assert _words(tcp_req(app, hw, 1, "03 0276 0002")) == [0, 0]


def test_the_board_columns_are_the_tables_counts_and_limits():
    # What a board reads of evregs' tables (the build computes it; they stay on the
    # host): every source's row count and the clock block's limits.
    from co2hr.modbus import evregs as EV

    for src in (EV.S_CLOCK, EV.S_CLOCK32, EV.S_EVLOG32, EV.S_EVLOG, EV.S_CLOCKSET):
        assert EV.count(src) == len(EV.table(src))
    lim = EV._CLOCKSET_LIMITS
    for k in range(len(EV.CLOCKSET)):
        r = EV.CLOCKSET[k]
        assert (EV._u16(lim, 2 * k), EV._u16(lim, 2 * k + 1)) == (r[3], r[4])
