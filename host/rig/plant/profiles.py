"""Boundary profiles over a day: ambient, cooling load, heat use, HR demand.

Why: scenarios need repeatable days. A profile is a piecewise-linear series of
(time_s, value) points, optionally periodic; a Day bundles the four series a scenario
needs and hands out the plant's Boundary at any time. The Danish days are shaped on
typical DMI hourly temperatures (winter: -3..+2 degC; summer: 13..24 degC) and on a
supermarket's opening hours (cases covered at night: lower load).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass


class Profile:
    """Piecewise series: linear between points, or held until the next ("step")."""

    def __init__(self, points, period_s: float | None = None, interp: str = "linear"):
        # by time only, stably: two points at one instant stay in the order given
        pts = sorted(((float(t), float(v)) for t, v in points), key=lambda p: p[0])
        if not pts:
            raise ValueError("a profile needs at least one point")
        self.t = [p[0] for p in pts]
        self.v = [p[1] for p in pts]
        self.period_s = period_s
        self.interp = interp

    @classmethod
    def constant(cls, value: float) -> Profile:
        return cls([(0.0, value)])

    @classmethod
    def hourly(cls, values, period_s: float = 86400.0) -> Profile:
        """Values at the full hours 0..n-1 (periodic over a day by default)."""
        pts = [(3600.0 * i, v) for i, v in enumerate(values)]
        pts.append((3600.0 * len(values), values[0]))
        return cls(pts, period_s)

    def __call__(self, t_s: float) -> float:
        if self.period_s:
            t_s = t_s % self.period_s
        t, v = self.t, self.v
        if t_s <= t[0]:
            return v[0]
        if t_s >= t[-1]:
            return v[-1]
        i = bisect.bisect_right(t, t_s)
        if self.interp == "step":
            return v[i - 1]
        f = (t_s - t[i - 1]) / (t[i] - t[i - 1])
        return v[i - 1] + f * (v[i] - v[i - 1])


@dataclass
class Day:
    t_amb_c: Profile
    q_load_kw: Profile
    q_heat_use_kw: Profile
    demand_v: Profile
    t_w_return_c: Profile

    def boundary(self, t_s: float):
        from .model import Boundary

        return Boundary(t_amb_c=self.t_amb_c(t_s), q_load_kw=self.q_load_kw(t_s),
                        q_heat_use_kw=self.q_heat_use_kw(t_s), t_w_return_c=self.t_w_return_c(t_s))


# opening hours 8-21: cases uncovered, more door openings
_LOAD = [62, 60, 60, 60, 60, 62, 66, 75, 88, 92, 94, 96, 97, 98, 98, 97, 96, 95, 94, 92, 90, 80,
         70, 65]


def danish_winter_day() -> Day:
    amb = [-2.5, -2.8, -3.0, -3.2, -3.3, -3.3, -3.2, -3.0, -2.4, -1.5, -0.5, 0.5, 1.3, 1.8, 2.0,
           1.7, 1.0, 0.2, -0.5, -1.0, -1.5, -1.8, -2.1, -2.3]
    heat = [35, 35, 35, 38, 42, 55, 70, 80, 75, 65, 60, 55, 50, 50, 50, 55, 60, 70, 75, 70, 60,
            50, 42, 38]
    dem = [6.0] * 5 + [8.5] * 4 + [7.0] * 8 + [8.5] * 3 + [6.0] * 4
    return Day(Profile.hourly(amb), Profile.hourly([0.85 * x for x in _LOAD]), Profile.hourly(heat),
               Profile.hourly(dem), Profile.constant(30.0))


def danish_summer_day() -> Day:
    amb = [14.0, 13.5, 13.0, 12.8, 12.8, 13.2, 14.0, 15.5, 17.0, 18.5, 20.0, 21.5, 22.5, 23.5,
           24.0, 24.0, 23.5, 22.5, 21.0, 19.5, 18.0, 16.5, 15.5, 14.5]
    heat = [5, 5, 5, 5, 6, 10, 15, 15, 12, 8, 6, 5, 5, 5, 5, 5, 6, 8, 10, 10, 8, 6, 5, 5]
    dem = [1.5] * 6 + [3.0] * 3 + [0.0] * 8 + [2.0] * 4 + [1.5] * 3
    return Day(Profile.hourly(amb), Profile.hourly(_LOAD), Profile.hourly(heat),
               Profile.hourly(dem), Profile.constant(30.0))


def constant_day(t_amb_c: float = 20.0, q_load_kw: float = 80.0, q_heat_use_kw: float = 20.0,
                 demand_v: float = 0.0, t_w_return_c: float = 30.0) -> Day:
    c = Profile.constant
    return Day(c(t_amb_c), c(q_load_kw), c(q_heat_use_kw), c(demand_v), c(t_w_return_c))
