"""Air-cooled gas cooler / condenser with EC fans, a bypass valve and a fan-failure option.

Why: it sets T3 (the gas cooler outlet temperature) from ambient and fan speed, and with
it the whole cycle. Discretised along the CO2 path in n segments; each segment is crossed
by its share of fresh ambient air (cross-flow, both fluids unmixed), so the same code
handles a supercritical gas cooler and a subcritical condenser (in the two-phase dome the
CO2 capacity is infinite and the segment behaves like a condenser). Air flow is
proportional to fan speed, with a small natural draught when the fans stand still or
have failed; UA scales with air flow^0.6 on the air side (fin-tube coil).

The coil's mean density (its share of the high side's inventory, which sets p_gc) is
integrated per segment for the exponential approach of the CO2 to the air temperature
(_seg_weight), not by the trapezoid rule: with a small CO2 flow the gas is cooled to
the air within the first few per cent of the coil, and a trapezoid gives its hot inlet
state a sixteenth of the coil's volume, so the inventory jumped by ~1 kg (~9 bar on a
hot high side) the moment any flow entered a cold, stagnant coil.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import props as P

CP_AIR = 1006.0


@dataclass
class GasCoolerParams:
    m_air_max_kg_s: float = 22.0  # all fans at 100 % (about 18 m3/s)
    natural_draught: float = 0.04  # air flow share with fans stopped
    ua_air_max_w_k: float = 40000.0  # air-side UA at full air flow
    ua_co2_w_k: float = 80000.0  # CO2-side UA at the design CO2 flow
    m_co2_0_kg_s: float = 0.7
    # below this flow the tubes' flow is laminar: the film coefficient stays at its
    # value here (constant Nusselt number) instead of falling as flow^0.8
    m_co2_laminar_kg_s: float = 0.014
    n_seg: int = 8


def air_flow_kg_s(fan_pct: float, failed: bool, gp: GasCoolerParams) -> float:
    share = gp.natural_draught
    if not failed:
        share = max(share, min(fan_pct, 100.0) / 100.0)
    return share * gp.m_air_max_kg_s


def solve(p_bar: float, h_in: float, m_co2: float, t_amb_c: float, m_air: float,
          gp: GasCoolerParams) -> tuple[float, float, float]:
    """(h_out, q_air_w, rho_mean) for CO2 entering at (p, h_in)."""
    h_amb = P.h_pt(p_bar, t_amb_c)
    if m_co2 < 1e-4:  # no CO2 flow (bypassed or stopped): the coil sits at ambient
        return h_amb, 0.0, P.rho_ph(p_bar, h_amb)
    n = gp.n_seg
    ua_air = gp.ua_air_max_w_k * (m_air / gp.m_air_max_kg_s) ** 0.6
    ua_co2 = gp.ua_co2_w_k * (max(m_co2, gp.m_co2_laminar_kg_s) / gp.m_co2_0_kg_s) ** 0.8
    ua_seg = 1.0 / (1.0 / ua_air + 1.0 / ua_co2) / n
    c_air = m_air * CP_AIR / n
    h = h_in
    read = P.ph_reader(p_bar)
    t_c, rho, cp = read(h)
    rho_sum = 0.0
    h_l = None  # saturated liquid enthalpy, where a segment condenses
    exp = math.exp
    for _ in range(n):
        c_c = m_co2 * cp
        if c_c == math.inf:
            q = (1.0 - exp(-ua_seg / c_air)) * c_air * (t_c - t_amb_c)
            h_new = h - q / m_co2
            if h_l is None:  # (one saturation flash per solve: p is the coil's)
                h_l = P.sat_p(p_bar)[1]
            w = 0.5  # q uniform along a condensing segment: h falls linearly
            if q > 0.0 and h_new < h_l:
                # condensation ends inside the segment: the rest of its area (and of the
                # air crossing it) subcools the liquid
                f = (h - h_l) * m_co2 / q
                cp_l = P.state_ph(p_bar, h_l - 1.0)[2]
                h_new = h_l - _crossflow_q(m_co2 * cp_l, (1.0 - f) * c_air,
                                           (1.0 - f) * ua_seg, t_c - t_amb_c) / m_co2
        elif ua_seg <= 0.0 or c_air <= 0.0:
            q = 0.0
            h_new = h
            w = 0.5
        else:  # _crossflow_q written out (the march's hot path)
            if c_c <= c_air:
                c_min, cr = c_c, c_c / c_air
            else:
                c_min, cr = c_air, c_air / c_c
            ntu = ua_seg / c_min
            n_min = ntu ** 0.22 / cr * -math.expm1(-cr * ntu ** 0.78)  # -ln(1 - eps)
            eps = -math.expm1(-n_min)
            q = eps * c_min * (t_c - t_amb_c)
            h_new = h - q / m_co2
            # the CO2 stream's own NTU: n_min where it is the smaller stream, else from
            # its effectiveness eps * c_air / c_c (< 1)
            w = _seg_weight(n_min if c_c <= c_air else -math.log1p(-eps * cr))
        if (q > 0.0 and h_new < h_amb) or (q < 0.0 and h_new > h_amb):
            h_new = h_amb  # cannot pass the air temperature
        rho_in = rho
        h = h_new
        t_c, rho, cp = read(h)
        rho_sum += rho + (rho_in - rho) * w
    return h, (h_in - h) * m_co2, rho_sum / n


def _seg_weight(n_c: float) -> float:
    """Weight of a segment's inlet density in its mean density (outlet weight 1 - w).

    Along a segment the CO2's approach to the air goes as exp(-n_c x), n_c the CO2
    stream's own number of transfer units (exp(-n_c) = 1 - its effectiveness).
    Averaging a property that is linear in h over the segment gives
    w = 1/n_c - 1/(exp(n_c) - 1): 1/2 for a segment that barely cools (the trapezoid
    rule), tending to 0 for one that reaches the air at once (a trickle of hot gas
    into a cold coil). Continuous in the flows, so the inventory is too."""
    if n_c < 1e-4:
        return 0.5 - n_c / 12.0
    if n_c > 700.0:
        return 1.0 / n_c
    return 1.0 / n_c - 1.0 / math.expm1(n_c)


def _crossflow_q(c_c: float, c_air: float, ua: float, dt_k: float) -> float:
    """Heat flow of a cross-flow segment (both fluids unmixed) for inlet difference dt_k."""
    if ua <= 0.0 or c_air <= 0.0:
        return 0.0
    c_min = min(c_c, c_air)
    cr = c_min / max(c_c, c_air)
    ntu = ua / c_min
    eps = 1.0 - math.exp(ntu ** 0.22 / cr * (math.exp(-cr * ntu ** 0.78) - 1.0))
    return eps * c_min * dt_k
