"""co2hr.dates against an independent truth: CPython's datetime for every day the
clock accepts, and the tz database (Europe/Copenhagen) for the local offset the clock
computes with tz_offset_min 60 and EU summer time, at random instants (hypothesis)."""

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from co2hr import dates

EPOCH = dt.date(2000, 1, 1)
CPH = ZoneInfo("Europe/Copenhagen")


def test_every_day_matches_datetime():
    d = dt.date(dates.MIN_YEAR, 1, 1)
    end = dt.date(2099, 12, 31)  # the last year the clock takes
    while d <= end:
        z = (d - EPOCH).days
        assert dates.day_number(d.year, d.month, d.day) == z
        assert dates.civil(z) == (d.year, d.month, d.day)
        assert dates.weekday(z) == d.weekday()
        assert dates.month_days(d.year, d.month) == (
            (dt.date(d.year + d.month // 12, d.month % 12 + 1, 1) - dt.timedelta(days=1)).day)
        d += dt.timedelta(days=1)


@settings(max_examples=400, deadline=None)
@given(st.integers(dt.datetime(2024, 1, 1, tzinfo=dt.UTC).timestamp(),
                   dt.datetime(2099, 12, 31, tzinfo=dt.UTC).timestamp()))
def test_summer_time_matches_the_tz_database(t):
    u = dt.datetime.fromtimestamp(t, dt.UTC)
    z = (u.date() - EPOCH).days
    sod = u.hour * 3600 + u.minute * 60 + u.second
    off_h = u.astimezone(CPH).utcoffset().total_seconds() / 3600
    assert dates.eu_summer_time(u.year, z, sod) == (off_h == 2.0), u
