"""A year of boundary values for the supermarket rig: ambient, cooling load, heat use and
the heat-recovery demand signal, hour by hour.

Why: seasonal figures (annual COP, recovered heat, extra compressor work) need a year
whose weather is Danish and repeatable. No package here ships a Danish design reference
year, so the year is synthetic and documented (docs/studies.md):

* ambient: the monthly means of DMI's 1991-2020 climate normals for Denmark as a whole
  (`DK_MONTHLY_MEAN_C`, annual 8.7 degC), joined smoothly (a periodic cubic through the
  mid-month points), plus a daily cycle whose half range follows the month
  (`DK_DIURNAL_HALF_RANGE_K`: ~2 K in winter, ~4.5 K in early summer; coldest at 05 h,
  warmest at 15 h), plus weather: an AR(1) anomaly with a 3-day memory and a standard
  deviation of `DK_ANOMALY_SD_K` for the month (larger in winter), from a seeded
  generator (the same seed gives the same year); the anomaly's own monthly means are
  taken out again, so each month keeps its normal;
* cooling load: the supermarket's daily shape (opening hours 8-21: rig.plant.profiles)
  scaled by the ambient: the cases gain ~1 %/K of the store's heat, more in summer;
* heat use: the consumer's space heating below 16 degC (`HEAT_KW_PER_K`) on top of a
  hot-water base with morning and evening peaks;
* HR demand (0-10 V): the heat use over `DEMAND_KW_PER_V`, so the firmware is asked for
  heat as the consumer needs it.

EN 14825's average-climate bins (`EN14825_AVERAGE_BINS`, hours per 1 K bin from -10 to
+15 degC; design temperature -10 degC) are the reference for heating seasons; bins() of
the synthetic year can be set beside them.
"""

from __future__ import annotations

import math
import random

from .profiles import _LOAD

HOURS = 8760
DK_MONTHLY_MEAN_C = (1.5, 1.6, 3.4, 7.2, 11.2, 14.5, 17.0, 16.9, 13.6, 9.4, 5.6, 2.7)
DK_DIURNAL_HALF_RANGE_K = (1.6, 2.0, 3.0, 4.2, 4.8, 4.8, 4.6, 4.4, 3.6, 2.6, 1.8, 1.5)
DK_ANOMALY_SD_K = (3.6, 3.4, 2.8, 2.2, 2.0, 2.0, 2.0, 2.0, 1.9, 2.2, 2.6, 3.2)
ANOMALY_MEMORY_H = 72.0
MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
# EN 14825 average climate: hours in each 1 K bin, -10 .. +15 degC (4 910 h)
EN14825_AVERAGE_BINS = {
    -10: 1, -9: 25, -8: 23, -7: 24, -6: 27, -5: 68, -4: 91, -3: 89, -2: 165, -1: 173,
    0: 240, 1: 280, 2: 320, 3: 357, 4: 356, 5: 303, 6: 330, 7: 326, 8: 348, 9: 335,
    10: 315, 11: 215, 12: 169, 13: 151, 14: 105, 15: 74}
HEAT_BASE_KW = 8.0  # hot water, all year
HEAT_KW_PER_K = 4.0  # space heating per K below HEAT_LIMIT_C
HEAT_LIMIT_C = 16.0
DEMAND_KW_PER_V = 9.0
LOAD_KW_PER_K = 0.008  # share of the cases' load per K of ambient above 10 degC
YEARS = ("dk_synthetic",)


def _month_mid_h() -> list[float]:
    out, h = [], 0.0
    for d in MONTH_DAYS:
        out.append(h + d * 12.0)
        h += d * 24.0
    return out


def _periodic_interp(xs: list[float], ys, period: float, x: float) -> float:
    """Catmull-Rom through the periodic points (xs ascending within one period)."""
    n = len(xs)
    x %= period
    i = 0
    while i < n and xs[i] <= x:
        i += 1
    i1 = (i - 1) % n
    i2 = i % n
    x1 = xs[i1] - (period if xs[i1] > x else 0.0)
    x2 = xs[i2] + (period if xs[i2] <= x else 0.0)
    y0, y1, y2, y3 = ys[(i1 - 1) % n], ys[i1], ys[i2], ys[(i2 + 1) % n]
    u = (x - x1) / (x2 - x1)
    return 0.5 * ((2 * y1) + (-y0 + y2) * u + (2 * y0 - 5 * y1 + 4 * y2 - y3) * u * u
                  + (-y0 + 3 * y1 - 3 * y2 + y3) * u ** 3)


def month_of_hour(h: int) -> int:
    """0..11 for hour h of the (non-leap) year."""
    d = (h // 24) % 365
    for m, n in enumerate(MONTH_DAYS):
        if d < n:
            return m
        d -= n
    return 11


class Year:
    """The hourly year (HOURS values per series); __call__-able series for scenarios
    (linear between the full hours, periodic over the year)."""

    def __init__(self, seed: int = 2025) -> None:
        rng = random.Random(seed)
        mids = _month_mid_h()
        phi = math.exp(-1.0 / ANOMALY_MEMORY_H)
        a = 0.0
        self.t_amb_c: list[float] = []
        for h in range(HOURS):
            m = month_of_hour(h)
            base = _periodic_interp(mids, DK_MONTHLY_MEAN_C, HOURS, h + 0.5)
            half = _periodic_interp(mids, DK_DIURNAL_HALF_RANGE_K, HOURS, h + 0.5)
            hod = h % 24
            daily = math.sin(2 * math.pi * (hod - 9.0) / 24.0)  # min ~03-05 h, max 15 h
            a = phi * a + math.sqrt(1 - phi * phi) * rng.gauss(0.0, DK_ANOMALY_SD_K[m])
            self.t_amb_c.append(base + half * daily + a)
        # the weather's own monthly mean taken out again (smoothly, through the mid-month
        # points), so every month keeps its normal within a few hundredths of a K
        for _ in range(3):
            off = [0.0] * 12
            n = [0] * 12
            for h, t in enumerate(self.t_amb_c):
                m = month_of_hour(h)
                off[m] += t
                n[m] += 1
            off = [off[m] / n[m] - DK_MONTHLY_MEAN_C[m] for m in range(12)]
            self.t_amb_c = [t - _periodic_interp(mids, off, HOURS, h + 0.5)
                            for h, t in enumerate(self.t_amb_c)]
        self.q_load_kw = [0.9 * _LOAD[h % 24] * (1.0 + LOAD_KW_PER_K * (t - 10.0))
                          for h, t in enumerate(self.t_amb_c)]
        self.q_heat_use_kw = [HEAT_BASE_KW * (1.6 if h % 24 in (6, 7, 18, 19) else 1.0)
                              + HEAT_KW_PER_K * max(0.0, HEAT_LIMIT_C - t)
                              for h, t in enumerate(self.t_amb_c)]
        self.demand_v = [min(10.0, q / DEMAND_KW_PER_V) for q in self.q_heat_use_kw]
        self.t_w_return_c = [30.0] * HOURS

    def series(self, name: str, start_h: float = 0.0):
        vals = getattr(self, name)

        def at(t_s: float) -> float:
            x = (start_h + t_s / 3600.0) % HOURS
            i = int(x)
            f = x - i
            return vals[i] + f * (vals[(i + 1) % HOURS] - vals[i])

        return at

    def bins(self) -> dict[int, int]:
        """Hours of the year in each 1 K ambient bin (rounded), -10 .. +15 degC."""
        out = {b: 0 for b in EN14825_AVERAGE_BINS}
        for t in self.t_amb_c:
            b = round(t)
            if b in out:
                out[b] += 1
        return out


_CACHE: dict[tuple, Year] = {}


def reference_year(name: str = "dk_synthetic", seed: int = 2025) -> Year:
    if name not in YEARS:
        raise ValueError(f"unknown year {name!r}: choose one of {YEARS}")
    key = (name, seed)
    if key not in _CACHE:
        _CACHE[key] = Year(seed)
    return _CACHE[key]


def month_start_h(month: int) -> float:
    """Hour of the year month (0..11) begins at."""
    return 24.0 * sum(MONTH_DAYS[:month])
