# The real-time clock and the calendar the firmware keeps with it (docs/eventlog.md,
# "The clock").
#
# UTC is kept as a day number and a second of the day (co2hr.dates), advanced from the
# App's millisecond clock by poll() (between ticks, in app.comms), so every value is a
# small int: reading the date, the heating-season flag or a time stamp costs no
# allocation. The clock is not set at boot unless the board's RTC holds a plausible
# time (a year >= dates.MIN_YEAR and not before the newest clock-stamped event-log
# entry: an RTC reset to its default reads 2000 or 2021); it is set over Modbus
# (holding 620..625), by NTP (co2hr.hw.ntp) or by the HIL host through the link's RTC.
# Every set is written to the board RTC (hw.rtc_write), which keeps it across a reset
# where the RTC runs (ESP32: every reset but a power loss).
#
# The local calendar: the local time is UTC + tz_offset_min, + 1 h of EU summer time
# when tz_summer_time is 1 (last Sunday of March to last Sunday of October, 01:00 UTC).
# year/month/day are the local date; heating is 1 from 1 October 00:00 to 31 March
# 24:00 local time (the heating season of the Danish heat tax), season_year the year
# the current season (heating or the rest) began. They change at local
# midnight (one tuple is made then: once a day, never per tick); `version` counts sets
# (a set may move the date either way).
from micropython import const

from co2hr import dates
from co2hr.settings import index as _sidx
from co2hr.ticks import ticks_diff

CLK_NONE = const(0)
CLK_MODBUS = const(1)
CLK_NTP = const(2)
CLK_RTC = const(3)  # the board RTC (on the HIL link: the host's)
_DAY_S = const(86400)
_DAY_LO = const(20864)  # 86400 = 65536 + 20864: the u32 Unix time in two small ints
_UNIX_HI = const(14445)  # 946684800 = 14445 * 65536 + 17280
_UNIX_LO = const(17280)
_SUMMER_S = const(3600)
_RTC_SLACK_S = const(60)  # an RTC this far behind the newest log entry is still believed
_I_TZ = _sidx("tz_offset_min")  # build: constant
_I_SUMMER = _sidx("tz_summer_time")  # build: constant


class Clock:
    def __init__(self, ms_clock, settings, hw=None):
        """ms_clock() -> the App's ms (co2hr.ticks); settings: the live Settings (time
        zone); hw: the co2hr.hal.Hardware whose RTC keeps the time (None: no RTC)."""
        self.ms = ms_clock
        self.settings = settings
        self.hw = hw
        self.valid = 0  # 1 once set (the clock_not_set alarm until then)
        self.source = CLK_NONE  # CLK_*: who set it last
        self.version = 0
        self.days = 0  # UTC day number
        self.sod = 0  # UTC second of the day
        self.up_s = 0  # seconds since boot (the time stamp while not set)
        self.set_up_s = 0  # up_s at the last set
        self.floor_unix = 0  # an RTC time older than this is refused (the log's newest)
        self.on_set = None  # f(source, was_valid, step_s or up_s): co2hr.eventlog
        self.utc_off_s = 0  # local - UTC now, summer time included
        self.year = 0  # the local date
        self.month = 0
        self.day = 0
        self.heating = 0
        self.season_year = 0
        self.lday = -1  # local day number
        self.uy = 0  # the UTC date (holding 620..622 read it)
        self.um = 0
        self.ud = 0
        self._ms_rest = 0
        self._last = ms_clock()
        self._tz_ver = -1
        self._switch_day = -1  # a UTC day with a summer-time switch still to come
        self._rtc_ver = hw.rtc_version if hw is not None else 0  # (boot calls adopt_rtc)

    # --- private helpers ------------------------------------------------------------
    def _offset(self):
        """utc_off_s for now; notes a summer-time switch due later today."""
        v = self.settings.values
        off = int(v[_I_TZ]) * 60
        self._switch_day = -1
        if v[_I_SUMMER]:
            if dates.eu_summer_time(self.uy, self.days, self.sod):
                off += _SUMMER_S
            z = self.days
            if self.sod < _SUMMER_S and (z == dates.last_sunday(self.uy, 3)
                                         or z == dates.last_sunday(self.uy, 10)):
                self._switch_day = z
        self.utc_off_s = off

    def _local(self):
        s = self.sod + self.utc_off_s
        z = self.days - 1 if s < 0 else self.days + 1 if s >= _DAY_S else self.days
        if z == self.lday:
            return
        self.lday = z
        y, m, d = dates.civil(z)
        self.year = y
        self.month = m
        self.day = d
        self.heating = 1 if (m >= 10 or m <= 3) else 0
        self.season_year = y - 1 if m <= 3 else y

    def _new_day(self):
        self.uy, self.um, self.ud = dates.civil(self.days)
        self._offset()
        self._local()

    def _advance(self, s):
        sod = self.sod + s
        if sod >= _DAY_S:
            n = sod // _DAY_S
            self.days += n
            self.sod = sod - n * _DAY_S
            self._new_day()
            return
        self.sod = sod
        if self._switch_day == self.days and sod >= _SUMMER_S:
            self._offset()
        self._local()

    def _set(self, days, sod, source, ms=0):
        was = self.valid
        step = (days - self.days) * _DAY_S + sod - self.sod if was else self.up_s
        self.days = days
        self.sod = sod
        self._ms_rest = ms
        self._last = self.ms()
        self.valid = 1
        self.source = source
        self.version += 1
        self.set_up_s = self.up_s
        self.lday = -1
        self._new_day()
        hw = self.hw
        if hw is not None and source != CLK_RTC:
            hw.rtc_write(self.uy, self.um, self.ud, sod // 3600, sod // 60 % 60, sod % 60)
        if self.on_set is not None:
            self.on_set(source, was, step)

    # --- API --------------------------------------------------------------------------
    def poll(self):
        """Advance to the App's clock (between ticks); take a new RTC time (the HIL
        host set it) and a changed time zone."""
        now = self.ms()
        d = ticks_diff(now, self._last)
        if d > 0:
            self._last = now
            ms = self._ms_rest + d
            if ms < 1000:
                self._ms_rest = ms
            else:
                s = ms // 1000
                self._ms_rest = ms - s * 1000
                self.up_s += s
                if self.valid:
                    self._advance(s)
        hw = self.hw
        if hw is not None and hw.rtc_version != self._rtc_ver:
            self.adopt_rtc()
        if self.settings.version != self._tz_ver:
            self._tz_ver = self.settings.version
            if self.valid:
                self._offset()
                self._local()

    def adopt_rtc(self):
        """Take the board RTC's time if it is plausible (at boot, and when the HIL host
        set it). True when taken."""
        hw = self.hw
        if hw is None:
            return False
        self._rtc_ver = hw.rtc_version
        t = hw.rtc_read()
        if t is None or not dates.valid(t[0], t[1], t[2], t[3], t[4], t[5]):
            return False
        days = dates.day_number(t[0], t[1], t[2])
        sod = t[3] * 3600 + t[4] * 60 + t[5]
        if (days * _DAY_S + sod + dates.UNIX_2000 + _RTC_SLACK_S) < self.floor_unix:
            return False  # the RTC went back behind the log: it was reset, not set
        self._set(days, sod, CLK_RTC)
        return True

    def set_civil(self, y, mo, d, h, mi, s, source):
        """Set to a UTC date and time. False (nothing changes) if it does not exist."""
        if not dates.valid(y, mo, d, h, mi, s):
            return False
        self._set(dates.day_number(y, mo, d), h * 3600 + mi * 60 + s, source)
        return True

    def set_unix(self, t, source, ms=0):
        """Set to Unix time t (s) + ms (0..999). False if outside the years
        dates.valid() takes."""
        s2000 = t - dates.UNIX_2000
        if s2000 < 0:
            return False
        days = s2000 // _DAY_S
        y, m, d = dates.civil(days)
        if not dates.valid(y, m, d, 0, 0, 0):
            return False
        self._set(days, s2000 - days * _DAY_S, source, ms)
        return True

    def unix_word(self, low):
        """The high (low=0) or low (low=1) 16 bits of the Unix time (0 while not set)."""
        if not self.valid:
            return 0
        lo = self.days * _DAY_LO + self.sod + _UNIX_LO
        if low:
            return lo & 0xFFFF
        return (self.days + _UNIX_HI + (lo >> 16)) & 0xFFFF

    def stamp(self, buf, off):
        """Write the time stamp at buf[off:off+4] (big-endian): the Unix time when set
        (returns 1), else the seconds since boot (returns 0)."""
        if self.valid:
            hi = self.unix_word(0)
            lo = self.unix_word(1)
        else:
            hi = (self.up_s >> 16) & 0xFFFF
            lo = self.up_s & 0xFFFF
        buf[off] = hi >> 8
        buf[off + 1] = hi & 0xFF
        buf[off + 2] = lo >> 8
        buf[off + 3] = lo & 0xFF
        return self.valid

    def local_sod(self):
        """Local second of the day (0 while not set)."""
        if not self.valid:
            return 0
        s = self.sod + self.utc_off_s
        return s + _DAY_S if s < 0 else s - _DAY_S if s >= _DAY_S else s

    def set_age_s(self):
        """Seconds since the clock was last set (0 while not set)."""
        return self.up_s - self.set_up_s if self.valid else 0
