"""Heat-recovery water loop: pump, HRHX water side hold-up, stratified buffer tank, consumer.

Why: the water outlet temperature the 3-way valve controls, the tank that smooths the
recovered heat and the boiling risk with little heat use (docs/control.md, heat recovery)
all live here. The tank is n fully mixed layers (top = 0): the HR pump takes water from the bottom
and returns it from the HRHX to the top; the consumer takes from the top and returns at
its return temperature to the bottom. Water is liquid with constant cp (it is allowed to
pass 100 degC so a missing boiling protection shows; `boiling` flags it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

CP_W = 4186.0


@dataclass
class WaterParams:
    m_w_max_kg_s: float = 1.2  # HR pump at 100 %
    tank_m3: float = 2.0
    n_layers: int = 4
    tank_loss_w_k: float = 6.0  # to a 20 degC plant room
    m_consumer_max_kg_s: float = 3.0
    hx_holdup_tau_s: float = 6.0  # water residence in the HRHX and pipes
    stagnant_tau_s: float = 180.0  # stagnant water in the HRHX heating up


class WaterLoop:
    def __init__(self, wp: WaterParams, t0_c: float):
        self.wp = wp
        self.t_layer_c = [t0_c] * wp.n_layers
        self.m_layer_kg = wp.tank_m3 * 990.0 / wp.n_layers
        self.t_hx_out_c = t0_c  # water in the HRHX outlet (the T_w_out sensor)
        self.q_use_w = 0.0

    @property
    def t_bottom_c(self) -> float:
        return self.t_layer_c[-1]

    @property
    def t_top_c(self) -> float:
        return self.t_layer_c[0]

    def step(self, dt_s: float, m_w: float, t_hx_target_c: float, q_use_demand_w: float,
             t_return_c: float) -> None:
        wp = self.wp
        tau = wp.hx_holdup_tau_s if m_w > 1e-3 else wp.stagnant_tau_s
        self.t_hx_out_c += (t_hx_target_c - self.t_hx_out_c) * (1.0 - math.exp(-dt_s / tau))
        t = self.t_layer_c
        n = len(t)
        dtr = t[0] - t_return_c
        m_c = 0.0
        if q_use_demand_w > 0.0 and dtr > 0.5:
            m_c = min(q_use_demand_w / (CP_W * dtr), wp.m_consumer_max_kg_s)
        self.q_use_w = m_c * CP_W * max(dtr, 0.0)
        m = self.m_layer_kg
        a_w = m_w * dt_s / m
        a_c = m_c * dt_s / m
        k = max(1, math.ceil((a_w + a_c) / 0.5))  # sub-steps keep the upwind scheme stable
        a_w, a_c = a_w / k, a_c / k
        loss = wp.tank_loss_w_k * dt_s / k / (n * m * CP_W)
        for _ in range(k):
            new = t[:]
            for i in range(n):
                up = self.t_hx_out_c if i == 0 else t[i - 1]
                down = t_return_c if i == n - 1 else t[i + 1]
                new[i] = t[i] + a_w * (up - t[i]) + a_c * (down - t[i]) - loss * (t[i] - 20.0)
            t[:] = new
