# The board's real-time clock (machine.RTC): what co2hr.clock reads at boot and
# writes at every set, so the time survives a reset where the RTC keeps running (ESP32:
# every reset but a power loss; RP2040: a soft reset). After a power loss it reads its
# default (2000-01-01 on ESP32, 2021-01-01 on RP2040), which the clock refuses.
# machine.RTC().datetime() is (year, month, day, weekday, hours, minutes, seconds,
# subseconds), weekday 0 = Monday.
from co2hr import dates


class BoardRtc:
    def __init__(self, rtc):
        """rtc: machine.RTC() (a test passes a fake with datetime())."""
        self.rtc = rtc

    def read(self):
        """(year, month, day, hour, minute, second) UTC, or None if it cannot be read."""
        try:
            t = self.rtc.datetime()
        except OSError:
            return None
        return (t[0], t[1], t[2], t[4], t[5], t[6])

    def write(self, y, mo, d, h, mi, s):
        wd = dates.weekday(dates.day_number(y, mo, d))
        try:
            self.rtc.datetime((y, mo, d, wd, h, mi, s, 0))
        except OSError:
            pass  # the clock keeps the time; only a reset would lose it
