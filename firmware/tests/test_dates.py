# Civil-date arithmetic of the clock (dual: CPython and MicroPython): day numbers and
# dates round-trip, weekdays and leap years are the calendar's, impossible dates are
# refused, and the EU summer-time switches fall on the last Sundays of March and
# October at 01:00 UTC. test_dates_cpy.py checks every day against CPython's datetime
# and zoneinfo.
from co2hr import dates


def test_known_days():
    assert dates.day_number(2000, 1, 1) == 0
    assert dates.civil(0) == (2000, 1, 1)
    assert dates.weekday(0) == 5  # a Saturday
    z = dates.day_number(2024, 1, 1)
    assert z == 8766 and dates.weekday(z) == 0  # a Monday
    assert dates.civil(dates.day_number(2024, 2, 29)) == (2024, 2, 29)
    assert dates.day_number(2024, 3, 1) - dates.day_number(2024, 2, 28) == 2
    assert dates.day_number(2025, 3, 1) - dates.day_number(2025, 2, 28) == 1
    assert dates.day_number(2100, 3, 1) - dates.day_number(2100, 2, 28) == 1  # not leap
    assert (dates.day_number(2024, 1, 1) * 86400 + dates.UNIX_2000) == 1704067200


def test_round_trip_every_day_of_a_range():
    z0 = dates.day_number(2024, 1, 1)
    prev = None
    for z in range(z0, z0 + 3 * 366, 1):
        y, m, d = dates.civil(z)
        assert dates.day_number(y, m, d) == z
        assert 1 <= d <= dates.month_days(y, m)
        if prev is not None:  # consecutive days
            py, pm, pd = prev
            assert (y, m, d) == (py, pm, pd + 1) or d == 1
        prev = (y, m, d)


def test_impossible_dates_are_refused():
    ok = dates.valid
    assert ok(2025, 2, 28, 23, 59, 59) and ok(2024, 2, 29, 0, 0, 0)
    for bad in ((2025, 2, 29, 0, 0, 0), (2025, 4, 31, 0, 0, 0), (2025, 13, 1, 0, 0, 0),
                (2025, 0, 1, 0, 0, 0), (2025, 1, 0, 0, 0, 0), (2025, 1, 1, 24, 0, 0),
                (2025, 1, 1, 0, 60, 0), (2025, 1, 1, 0, 0, 60), (2023, 12, 31, 0, 0, 0),
                (2100, 1, 1, 0, 0, 0), (2100, 2, 29, 0, 0, 0)):
        assert not ok(*bad), bad


def test_eu_summer_time_switches():
    # 2025: 30 March and 26 October; 2026: 29 March and 25 October
    for y, a, b in ((2025, 30, 26), (2026, 29, 25), (2024, 31, 27)):
        za = dates.day_number(y, 3, a)
        zb = dates.day_number(y, 10, b)
        assert dates.last_sunday(y, 3) == za and dates.weekday(za) == 6
        assert dates.last_sunday(y, 10) == zb and dates.weekday(zb) == 6
        assert not dates.eu_summer_time(y, za, 3599) and dates.eu_summer_time(y, za, 3600)
        assert dates.eu_summer_time(y, zb, 3599) and not dates.eu_summer_time(y, zb, 3600)
        assert dates.eu_summer_time(y, za + 100, 0)
        assert not dates.eu_summer_time(y, za - 1, 86399)
