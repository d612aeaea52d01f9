# Civil dates as small integers, for the clock (co2hr.clock) and whatever keeps a
# calendar with it. A day number counts days from 2000-01-01 (day 0, a Saturday),
# proleptic Gregorian; the conversions are Howard Hinnant's days_from_civil /
# civil_from_days, integer arithmetic only, so every value stays a small int on the
# board (no allocation, no float). docs/eventlog.md, "The clock".
from micropython import const

MIN_YEAR = const(2024)  # a board RTC reset to its default (2000 or 2021) reads before this
_MAX_YEAR = const(2099)
UNIX_2000 = const(946684800)  # Unix time of 2000-01-01 00:00 UTC
_DAYS_0000_03_01_TO_2000 = const(730425)
_SATURDAY = const(5)  # weekday of day 0, Monday = 0
_DST_UTC_S = const(3600)  # EU summer time starts and ends at 01:00 UTC


def month_days(y, m):
    if m == 2:
        return 29 if y % 4 == 0 and (y % 100 != 0 or y % 400 == 0) else 28
    return 30 if (m == 4 or m == 6 or m == 9 or m == 11) else 31  # (a tuple would allocate)


def valid(y, mo, d, h, mi, s):
    """True for a date and time of day that exists, MIN_YEAR..2099 (a leap second
    is not accepted: no clock here can show one)."""
    if not (MIN_YEAR <= y <= _MAX_YEAR and 1 <= mo <= 12):
        return False
    return 1 <= d <= month_days(y, mo) and 0 <= h <= 23 and 0 <= mi <= 59 and 0 <= s <= 59


def day_number(y, m, d):
    """Days from 2000-01-01 to y-m-d (a valid date, year >= 2000)."""
    if m <= 2:
        y -= 1
    era = y // 400
    yoe = y - era * 400
    mp = m - 3 if m > 2 else m + 9
    doy = (153 * mp + 2) // 5 + d - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - _DAYS_0000_03_01_TO_2000


def civil(z):
    """(year, month, day) of day number z >= 0."""
    z += _DAYS_0000_03_01_TO_2000
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return (yoe + era * 400 + (1 if m <= 2 else 0), m, d)


def weekday(z):
    """0 Monday .. 6 Sunday."""
    return (z + _SATURDAY) % 7


def last_sunday(y, m):
    """Day number of the last Sunday of month m (with 31 days) of year y."""
    z = day_number(y, m, 31)
    return z - (z - 1) % 7  # (z + 5 - 6) % 7 days after the Sunday


def eu_summer_time(y, z, sod):
    """True while EU summer time is in force at UTC day z, second sod of year y: from
    the last Sunday of March to the last Sunday of October, 01:00 UTC each."""
    a = last_sunday(y, 3)
    b = last_sunday(y, 10)
    if z < a or z > b:
        return False
    if z == a:
        return sod >= _DST_UTC_S
    if z == b:
        return sod < _DST_UTC_S
    return True
