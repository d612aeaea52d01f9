"""HPEV, gas bypass valve (BEV) and the actuators that move valves and fans.

Why: valve flow sets the high-side and receiver pressures. Flow follows the Kv law
(Kv in m3/h of water at 1 bar): m = Kv/3600 * opening * sqrt(rho_in * dp_bar * 1000), with the
pressure drop limited at x_choke * p_in (choked / flashing flow, so a valve far from
its outlet pressure only feels its inlet). Actuators travel at a finite rate (stepper
valves: a full stroke takes seconds) and can be stuck for fault scenarios.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def kv_flow_kg_s(kv_m3_h: float, opening_frac: float, rho_up: float, p_in_bar: float,
                 p_out_bar: float, x_choke: float = 0.5) -> float:
    """Signed mass flow from p_in to p_out; rho_up is the density on the upstream side."""
    if opening_frac <= 0.0:
        return 0.0
    dp = p_in_bar - p_out_bar
    if dp >= 0.0:
        dp = min(dp, x_choke * p_in_bar)
        return kv_m3_h / 3600.0 * opening_frac * math.sqrt(rho_up * dp * 1e3)
    dp = min(-dp, x_choke * p_out_bar)
    return -kv_m3_h / 3600.0 * opening_frac * math.sqrt(rho_up * dp * 1e3)


@dataclass
class Actuator:
    """Rate-limited travel towards the command (0..100 %); stuck_pct freezes it."""

    pos_pct: float = 0.0
    stroke_s: float = 5.0  # time for 0 -> 100 %
    stuck_pct: float | None = None

    def move(self, cmd_pct: float, dt_s: float) -> float:
        if self.stuck_pct is not None:
            self.pos_pct = self.stuck_pct
            return self.pos_pct
        cmd = min(100.0, max(0.0, cmd_pct))
        step = 100.0 * dt_s / self.stroke_s if self.stroke_s > 0 else 1e9
        d = cmd - self.pos_pct
        self.pos_pct = cmd if abs(d) <= step else self.pos_pct + math.copysign(step, d)
        return self.pos_pct


class FirstOrder:
    """First-order lag, exact discretisation (stable for any dt)."""

    __slots__ = ("y", "tau_s")

    def __init__(self, y: float, tau_s: float):
        self.y, self.tau_s = y, tau_s

    def update(self, u: float, dt_s: float) -> float:
        if self.tau_s <= 0.0:
            self.y = u
        else:
            self.y += (u - self.y) * (1.0 - math.exp(-dt_s / self.tau_s))
        return self.y
