# Calendar counters (co2hr.encal) through the composed controller and the real clock:
# a night that crosses 30 September -> 1 October (local time) splits the compressor
# energy between the months and between the rest of the year and the heating season;
# the table survives a restore as the storage gives it back.
from ctlkit import Rig

from co2hr import status as S
from co2hr.clock import CLK_MODBUS
from co2hr.clock import Clock as RtClock
from co2hr.encal import N_SAVED, SLOT_WORDS
from co2hr.io import CI_ENERGY

_COMP = 4  # comp_wh among the calendar's 8 values (counters 1..8)


def _rig():
    r = Rig()
    clk = RtClock(lambda: r.t_ms, r.settings)
    r.c.clock = clk
    return r, clk


def _run(r, clk, n):
    for _ in range(n):
        r.eng[CI_ENERGY] += 1  # 10 Wh a second
        r.step()
        clk.poll()


def test_a_night_across_the_heating_season_start_splits_the_counters():
    r, clk = _rig()
    _run(r, clk, 5)  # before the clock is set: in no period
    before = r.c.counters[S.CNT_COMP]
    clk.set_civil(2026, 9, 30, 21, 30, 0, CLK_MODBUS)  # 23:30 local (CEST)
    _run(r, clk, 1800)  # to midnight
    at_midnight = r.c.counters[S.CNT_COMP]
    _run(r, clk, 1200)
    cal = r.c.energy.cal
    assert (clk.year, clk.month, clk.heating) == (2026, 10, 1)
    m0, m1 = cal.value(1, 0, _COMP), cal.value(1, 1, _COMP)
    s0, s1 = cal.value(0, 0, _COMP), cal.value(0, 1, _COMP)
    total = r.c.counters[S.CNT_COMP]
    assert m1 == s1 and m0 == s0  # the month and the season changed together
    assert abs(m0 - (total - at_midnight)) <= 10 and m0 >= 11990  # 1200 s of 10 Wh
    assert m0 + m1 == total - before > 0  # what came before the clock was set: nowhere
    assert abs(cal.value(1, 0, 0) + cal.value(1, 0, 1) - 1200) <= 1  # running s (a tick)
    # over Modbus: year, month, then u32 values high word first, newest slot first
    assert [cal.word(1, k) for k in (0, 1)] == [2026, 10]
    assert [cal.word(1, SLOT_WORDS + k) for k in (0, 1)] == [2026, 9]
    assert [cal.word(0, k) for k in (0, 1)] == [2026, 1]  # heating season 2026/27
    assert [cal.word(0, SLOT_WORDS + k) for k in (0, 1)] == [2026, 0]  # the rest, 2026
    hi, lo = cal.word(1, 2 + 2 * _COMP), cal.word(1, 3 + 2 * _COMP)
    assert (hi << 16) | lo == m0
    assert cal.word(1, 2 * SLOT_WORDS) == 0  # no third month yet


def test_thirteen_months_kept_and_restored():
    r, clk = _rig()
    clk.set_civil(2026, 1, 15, 12, 0, 0, CLK_MODBUS)
    _run(r, clk, 2)
    for m in range(2, 13):  # a day in each month of 2026, then two in 2027
        clk.set_civil(2026, m, 15, 12, 0, 0, CLK_MODBUS)
        _run(r, clk, m)
    for m in (1, 2):
        clk.set_civil(2027, m, 15, 12, 0, 0, CLK_MODBUS)
        _run(r, clk, 20 + m)
    cal = r.c.energy.cal
    assert [cal.word(1, j * SLOT_WORDS + 1) for j in range(13)] == [
        2, 1, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2]
    assert cal.word(1, 12 * SLOT_WORDS) == 2026
    assert cal.value(1, 0, _COMP) == 220 and cal.value(1, 1, _COMP) == 210
    assert cal.value(1, 12, _COMP) == 20  # February 2026 (January has left the ring)
    saved = list(r.c.counters)
    assert len(saved) == len(S.COUNTERS) + N_SAVED
    q = Rig()
    q.c.restore_counters(saved)
    assert q.c.counters[len(S.COUNTERS):] == saved[len(S.COUNTERS):]
    assert q.c.energy.cal.value(1, 1, _COMP) == 210
    q.c.restore_counters(saved[:len(S.COUNTERS)])  # a file from before the calendar
    assert q.c.energy.cal.value(1, 1, _COMP) == 210  # (left as it was)
