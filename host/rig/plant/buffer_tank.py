"""The heat pump's buffer tank on the district-heating side: one well-mixed volume.

Why: the price rule (co2hr.hp_schedule) runs the compressor in the cheapest hours and
lets the tank carry the demand in the others; what it must know is how much heat the
tank holds between its minimum and maximum temperatures, and how fast the demand draws
it. One mixed node is the conservative model for that: a stratified tank would deliver
its hot top longer. Water at ~60 degC: density 983 kg/m3, cp the plant's one value
(cycle.py); losses through UA to the surroundings.
"""

from __future__ import annotations

from dataclasses import dataclass

from .cycle import CP_WATER_J_KGK

RHO_WATER_KG_M3 = 983.0


@dataclass
class BufferTankParams:
    volume_m3: float = 200.0
    ua_loss_w_k: float = 300.0
    t_surround_c: float = 10.0


class BufferTank:
    def __init__(self, params: BufferTankParams | None = None, t_c: float = 55.0):
        self.p = params or BufferTankParams()
        self.t_c = t_c
        self.lost_j = 0.0

    @property
    def c_j_k(self) -> float:
        return self.p.volume_m3 * RHO_WATER_KG_M3 * CP_WATER_J_KGK

    def step(self, dt_s: float, q_in_w: float, q_out_w: float) -> None:
        """dt_s with q_in_w from the heat pump and q_out_w drawn by the network."""
        loss_w = self.p.ua_loss_w_k * (self.t_c - self.p.t_surround_c)
        self.lost_j += loss_w * dt_s
        self.t_c += (q_in_w - q_out_w - loss_w) * dt_s / self.c_j_k

    def heat_between_kwh(self, t_lo_c: float, t_hi_c: float) -> float:
        return self.c_j_k * (t_hi_c - t_lo_c) / 3.6e6
