"""A day of the heat pump's price rule (co2hr.hp_schedule) against a buffer tank.

The firmware decides each tick whether the compressor may run, from the grid's enable,
the hour's price among the coming hours, the tank temperature and its minimum run and
stop times. The heat pump delivers its full heat while it runs; the network draws its
demand from the tank all day. docs/heatpump.md ("Grid, price and short cycling") has
the figures this gives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from co2hr.hp_schedule import HpSchedule
from rig.plant.buffer_tank import BufferTank, BufferTankParams

DT_S = 10.0
DAY_S = 86400.0
H0 = 490000  # the day's first unix hour (a Monday in November 2025)
Q_HP_W = 1.2e6
COP = 3.0  # the electricity is the heat over a fixed COP: the rule moves hours, not COP
# The application's own heat demand while the price rule does not decide: a thermostat
# on the tank, on below 52 degC, off from 58 degC.
WANT_ON_C, WANT_OFF_C = 52.0, 58.0

SETTINGS = {
    "hp_price_on": 1, "hp_price_hours": 12, "hp_tank_min_c": 45.0, "hp_tank_max_c": 70.0,
    "hp_start_delay_s": 120.0, "hp_min_run_s": 600.0, "hp_min_stop_s": 300.0,
}
# An hourly day-ahead price shape (DKK/MWh): dear in the morning and the evening
PRICES = [300, 250, 200, 180, 200, 350, 600, 900, 800, 550, 400, 220,
          150, 120, 200, 450, 700, 1100, 1200, 950, 600, 450, 380, 330]


def demand_w(t_s: float) -> float:
    """The network's heat demand: 500 kW on average, most in the morning."""
    return 500e3 * (1.0 + 0.3 * math.sin(2.0 * math.pi * (t_s / 3600.0 - 3.0) / 24.0))


@dataclass
class PriceDay:
    on_s: list[float] = field(default_factory=lambda: [0.0] * 24)  # per hour
    why: list[set] = field(default_factory=lambda: [set() for _ in range(24)])
    starts: int = 0
    periods_s: list[float] = field(default_factory=list)  # every finished on/off period
    t_tank_min_c: float = 1e9
    t_tank_max_c: float = -1e9
    cost: float = 0.0  # price x electricity
    heat_kwh: float = 0.0
    demand_kwh: float = 0.0
    lost_kwh: float = 0.0
    t_tank_end_c: float = 0.0


def run_day(settings: dict | None = None, tank_m3: float = 200.0, t_tank0_c: float = 55.0,
            enable=lambda t: True, prices=PRICES) -> PriceDay:
    fw = HpSchedule()
    fw.configure({**SETTINGS, **(settings or {})})
    if not fw.set_prices(H0, prices):
        raise ValueError("the firmware refuses this price vector")
    tank = BufferTank(BufferTankParams(volume_m3=tank_m3), t_tank0_c)
    day = PriceDay()
    want, t, since = 1, 0.0, 0.0
    while t < DAY_S:
        want = 1 if tank.t_c < WANT_ON_C else 0 if tank.t_c >= WANT_OFF_C else want
        was = fw.on
        on = fw.step(DT_S, H0 + int(t) // 3600, enable(t), want, tank.t_c, True)
        if on != was and t > 0.0:
            day.periods_s.append(since)
            since = 0.0
        since += DT_S
        hour = int(t // 3600)
        day.on_s[hour] += DT_S * on
        day.why[hour].add(fw.why)
        q_in, q_out = Q_HP_W * on, demand_w(t)
        tank.step(DT_S, q_in, q_out)
        day.cost += prices[hour] * q_in / COP * DT_S / 3.6e9  # DKK/MWh x MWh
        day.heat_kwh += q_in * DT_S / 3.6e6
        day.demand_kwh += q_out * DT_S / 3.6e6
        day.t_tank_min_c = min(day.t_tank_min_c, tank.t_c)
        day.t_tank_max_c = max(day.t_tank_max_c, tank.t_c)
        t += DT_S
    day.starts = fw.starts
    day.lost_kwh = tank.lost_j / 3.6e6
    day.t_tank_end_c = tank.t_c
    return day
