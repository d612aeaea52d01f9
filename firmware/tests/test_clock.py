# The real-time clock (dual: CPython and MicroPython): set to a UTC date it keeps time
# from the ms clock across midnight, months and years; the local calendar follows
# tz_offset_min and EU summer time (the switch at 01:00 UTC, the heating season from 1
# October 00:00 local); a board RTC is believed only when plausible and keeps the time
# across a reset (BoardHardware on the pin-level fakes, its RTC running with the test
# clock); every set is written to it; advancing and stamping allocate nothing.
import gc

from fakefs import FakeFs
from hwfakes import BOARD, Clock, rig_machine

from co2hr import dates
from co2hr.boot import build
from co2hr.clock import CLK_MODBUS, CLK_NTP, CLK_RTC
from co2hr.clock import Clock as RtClock
from co2hr.hil_link import LinkHardware
from co2hr.settings import Settings, index


def _clock(tz_min=60, summer=1):
    s = Settings()
    s.set("tz_offset_min", tz_min)
    s.set("tz_summer_time", summer)
    hw = LinkHardware()
    c = RtClock(hw.ticks_ms, s, hw)
    return c, hw, s


def _run(c, hw, ms, step=1000):
    """Advance the link's clock by ms in steps (1 s: as the loop polls between ticks)."""
    while ms > 0:
        d = step if ms >= step else ms
        hw.set_now((hw.now + d) & 0x3FFFFFFF)
        c.poll()
        ms -= d


def _unix(c):
    return (c.unix_word(0) << 16) | c.unix_word(1)


def test_not_set_until_set_and_uptime_counts():
    c, hw, _s = _clock()
    assert not c.valid and c.source == 0 and c.year == 0 and _unix(c) == 0
    _run(c, hw, 4500)
    assert c.up_s == 4 and not c.valid
    b = bytearray(4)
    assert c.stamp(b, 0) == 0 and b == bytearray([0, 0, 0, 4])  # seconds since boot


def test_set_and_keep_time_across_midnight_and_the_year():
    c, hw, _s = _clock(tz_min=0, summer=0)
    assert c.set_civil(2025, 12, 31, 23, 59, 58, CLK_MODBUS)
    assert c.valid and c.source == CLK_MODBUS and c.version == 1
    assert _unix(c) == 1767225598  # date -u -d 2025-12-31T23:59:58 +%s
    _run(c, hw, 1000)
    assert (c.uy, c.um, c.ud, c.sod) == (2025, 12, 31, 86399)
    _run(c, hw, 1000)
    assert (c.uy, c.um, c.ud, c.sod) == (2026, 1, 1, 0)
    assert (c.year, c.month, c.day, c.heating, c.season_year) == (2026, 1, 1, 1, 2025)
    b = bytearray(4)
    assert c.stamp(b, 0) == 1
    assert (b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]) == 1767225600
    _run(c, hw, 86400 * 1000 * 40, 5 * 86400 * 1000)  # 40 days on, 5 days a poll: February
    assert (c.uy, c.um, c.ud) == (2026, 2, 10)


def test_impossible_dates_change_nothing():
    c, _hw, _s = _clock()
    assert c.set_civil(2025, 6, 1, 12, 0, 0, CLK_MODBUS)
    before = (c.days, c.sod, c.version)
    for bad in ((2025, 2, 29, 0, 0, 0), (2025, 6, 31, 0, 0, 0), (2025, 6, 1, 24, 0, 0),
                (2019, 6, 1, 0, 0, 0)):
        assert not c.set_civil(bad[0], bad[1], bad[2], bad[3], bad[4], bad[5], CLK_MODBUS)
    assert not c.set_unix(0, CLK_NTP) and not c.set_unix(4102444800, CLK_NTP)  # 1970, 2100
    assert (c.days, c.sod, c.version) == before


def test_local_calendar_heating_season_starts_at_local_midnight():
    c, hw, _s = _clock()  # Denmark: CET, EU summer time
    assert c.set_civil(2025, 9, 30, 21, 59, 59, CLK_MODBUS)  # 23:59:59 CEST
    assert c.utc_off_s == 7200 and (c.month, c.day, c.heating) == (9, 30, 0)
    assert c.season_year == 2025
    _run(c, hw, 1000)
    assert (c.year, c.month, c.day, c.heating, c.season_year) == (2025, 10, 1, 1, 2025)
    assert (c.uy, c.um, c.ud) == (2025, 9, 30)  # still 30 September in UTC
    # the season ends at 31 March 24:00 local (22:00 UTC: summer time by then)
    assert c.set_civil(2026, 3, 31, 21, 59, 59, CLK_MODBUS)
    assert c.heating == 1 and c.season_year == 2025
    _run(c, hw, 1000)
    assert (c.month, c.day, c.heating, c.season_year) == (4, 1, 0, 2026)


def test_summer_time_switches_at_one_utc():
    c, hw, _s = _clock()
    assert c.set_civil(2025, 3, 30, 0, 59, 58, CLK_MODBUS)
    assert c.utc_off_s == 3600
    _run(c, hw, 1000)
    assert c.utc_off_s == 3600
    _run(c, hw, 1000)  # 01:00 UTC: 02:00 CET -> 03:00 CEST
    assert c.utc_off_s == 7200 and c.local_sod() == 3 * 3600
    assert c.set_civil(2025, 10, 26, 0, 59, 59, CLK_MODBUS)
    assert c.utc_off_s == 7200
    _run(c, hw, 1000)  # 03:00 CEST -> 02:00 CET
    assert c.utc_off_s == 3600 and c.local_sod() == 2 * 3600


def test_time_zone_setting_applies_at_once():
    c, hw, s = _clock()
    assert c.set_civil(2025, 1, 15, 23, 30, 0, CLK_MODBUS)
    assert c.day == 16  # 00:30 CET
    s.set("tz_offset_min", -300)  # New York
    s.set("tz_summer_time", 0)
    _run(c, hw, 1000)
    assert c.utc_off_s == -18000 and c.day == 15 and c.local_sod() == 18 * 3600 + 1800 + 1


def test_set_writes_the_link_rtc_and_a_host_set_rtc_is_taken():
    c, hw, _s = _clock()
    assert c.set_civil(2025, 5, 6, 7, 8, 9, CLK_MODBUS)
    assert hw.rtc_read() == (2025, 5, 6, 7, 8, 9)
    hw.set_rtc(1767225600 * 1000)  # the host sets its RTC: 2026-01-01 00:00 UTC
    c.poll()
    assert c.source == CLK_RTC and (c.uy, c.um, c.ud, c.sod) == (2026, 1, 1, 0)
    assert hw.rtc_read() == (2026, 1, 1, 0, 0, 0)


def test_board_rtc_keeps_the_time_across_a_reset_not_a_power_loss():
    clk = Clock(0)
    m = rig_machine(clock=clk)
    from co2hr.hw.board_io import BoardHardware

    def boot():
        hw = BoardHardware(BOARD, machine=m, clock=clk, clock_us=clk.us, timer=False,
                           flash_dir="flash")
        app = build(hw, BOARD)
        for _ in range(5):  # 5 s of the loop: the boot's entries go to flash
            clk.t += 1000
            app.service()
        return app

    fs = FakeFs()
    BoardHardware.flash_fs = lambda self: fs  # the board's flash: the fake at its boundary
    try:
        app = boot()
        assert not app.clock.valid  # the RTC reads 2000-01-01 after power-up
        vals = app.control.settings.values
        vals[index("tz_summer_time")] = 0
        assert app.clock.set_civil(2025, 11, 3, 10, 0, 0, CLK_MODBUS)
        assert m.rtc.datetime()[:7] == (2025, 11, 3, 0, 10, 0, 0)  # a Monday
        clk.t += 85000
        app = boot()  # a reset: the RTC ran on (and 5 s of the loop)
        c = app.clock
        assert c.valid and c.source == CLK_RTC and (c.uy, c.um, c.ud, c.sod) == (
            2025, 11, 3, 10 * 3600 + 90)
        m.rtc.power_loss()
        assert not boot().clock.valid
        m.rtc.datetime((2021, 1, 1, 4, 0, 0, 0, 0))  # the RP2040's default date
        assert not boot().clock.valid
        m.rtc.datetime((2025, 11, 1, 5, 0, 0, 0, 0))  # behind the newest logged time
        app = boot()
        assert not app.clock.valid and app.clock.floor_unix > 0
    finally:
        del BoardHardware.flash_fs


def test_advancing_and_stamping_allocate_nothing():
    c, hw, _s = _clock()
    assert c.set_civil(2025, 10, 26, 0, 10, 0, CLK_MODBUS)
    assert c.utc_off_s == 7200
    b = bytearray(4)
    if not hasattr(gc, "mem_alloc"):  # CPython: the same path, values checked only
        _run(c, hw, 3010 * 1000)
        assert c.utc_off_s == 3600
        return
    a0 = gc.mem_alloc()
    for _ in range(3010):  # through 01:00 UTC (the summer-time switch), not midnight
        hw.now += 1000
        c.poll()
        c.stamp(b, 0)
        c.unix_word(0)
        c.local_sod()
    assert gc.mem_alloc() - a0 == 0
    assert c.utc_off_s == 3600


def test_ntp_time_with_milliseconds():
    c, hw, _s = _clock()
    assert c.set_unix(1767225600, CLK_NTP, 600)
    _run(c, hw, 400)
    assert c.sod == 1 and c.source == CLK_NTP
    assert dates.civil(c.days) == (2026, 1, 1)
