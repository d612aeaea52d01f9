"""`rig clock`: read the controller's clock, or set it from this host's.

Why: event times and the heating-season calendar need the controller's clock; on a
board without NTP the technician sets it once (the board RTC keeps it across resets).
The time is written in UTC as the controller keeps it (holding 620..625, one FC 16,
after the service unlock); the local time is the controller's own (tz_offset_min,
tz_summer_time). --set-from-host waits for the host's next full second and writes that
second, so the controller is off by the request's latency only, and reads it back.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import rig  # noqa: F401  (puts the firmware on sys.path)
from co2hr.modbus import registers as R
from rig.cli.modbus import _fail, _run, add_link_args
from rig.regs import events, table
from rig.regs.link import Link

SET_BLOCK = ("clock_set_year", "clock_set_month", "clock_set_day", "clock_set_hour",
             "clock_set_minute", "clock_set_second")
SOURCES = {0: "nobody", 1: "Modbus", 2: "NTP", 3: "the board RTC"}


def add_parsers(sub) -> None:
    p = sub.add_parser("clock", help="read the controller's clock, or set it from this host")
    p.add_argument("--set-from-host", action="store_true",
                   help="set the controller's clock to this host's (UTC), then read it back")
    p.add_argument("--code", type=int, default=R.UNLOCK_CODE,
                   help=f"service unlock code (default: the factory code {R.UNLOCK_CODE})")
    add_link_args(p)
    p.set_defaults(func=cmd_clock)


def _show(v: dict[str, float], host_t: float) -> list[str]:
    if not v["clock_set"]:
        return ["controller clock  NOT SET (alarm clock_not_set): event times count from "
                "boot; set it with `rig clock --set-from-host`",
                f"this host         {datetime.fromtimestamp(host_t, UTC):%Y-%m-%d %H:%M:%S} UTC"]
    t = int(v["clock_unix_s"])
    off = int(v["clock_utc_offset_min"])
    local = (f"{int(v['clock_year']):04d}-{int(v['clock_month']):02d}-"
             f"{int(v['clock_day']):02d} {int(v['clock_hour']):02d}:"
             f"{int(v['clock_minute']):02d}:{int(v['clock_second']):02d}")
    sign = "+" if off >= 0 else "-"
    season = "heating season" if v["heating_season"] else "outside the heating season"
    return [f"controller clock  {datetime.fromtimestamp(t, UTC):%Y-%m-%d %H:%M:%S} UTC  (local "
            f"{local}, UTC{sign}{abs(off) // 60:02d}:{abs(off) % 60:02d}; {season})",
            f"set by            {SOURCES.get(int(v['clock_source']), '?')}, "
            f"{int(v['clock_set_age_s']):,} s ago",
            f"this host         {datetime.fromtimestamp(host_t, UTC):%Y-%m-%d %H:%M:%S.%f}"[:-3]
            + f" UTC: the controller is {t - host_t:+.1f} s off (to the second it shows)"]


def _set(link: Link, code: int) -> None:
    now = time.time()
    time.sleep(1.0 - now % 1.0)  # write at the host's full second
    d = datetime.fromtimestamp(round(time.time()), UTC)
    regs = [table.lookup(n) for n in SET_BLOCK]
    link.write_regs(regs, [d.year, d.month, d.day, d.hour, d.minute, d.second], code)
    link.lock()
    print(f"clock set to {d:%Y-%m-%d %H:%M:%S} UTC")


def cmd_clock(args) -> int:
    def go(a):
        with Link(a) as link:
            if a.set_from_host:
                _set(link, a.code)
            v = events.clock_state(link)
            host_t = time.time()
        print("\n".join(_show(v, host_t)))
        if a.set_from_host and not v["clock_set"]:
            return _fail("the controller did not take the time")
        return 0

    return _run(go, args)


