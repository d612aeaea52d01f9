"""MT compressor pack as one variable-speed machine.

Why: the pack's mass flow (swept volume x speed x volumetric efficiency x suction density)
and its discharge state (isentropic efficiency) set how much CO2 and heat reach the high
side. Volumetric efficiency follows the clearance-volume re-expansion law, so it falls with
pressure ratio as in a real reciprocating compressor; no fitted maps.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import props as P


@dataclass
class CompressorParams:
    swept_m3_h_at_50hz: float = 64.0  # total displacement of the MT pack at 50 Hz
    speed_min_hz: float = 25.0
    speed_max_hz: float = 70.0
    clearance: float = 0.04  # clearance volume / swept volume
    k_reexp: float = 1.3  # polytropic exponent of the re-expanding clearance gas
    eta_is: float = 0.65  # isentropic efficiency (reference report value)


def volumetric_efficiency(p_suc_bar: float, p_dis_bar: float, cp: CompressorParams) -> float:
    r = max(p_dis_bar / p_suc_bar, 1.0)
    return max(0.0, 1.0 - cp.clearance * (r ** (1.0 / cp.k_reexp) - 1.0))


def mass_flow_kg_s(rho_suc: float, speed_hz: float, p_suc_bar: float, p_dis_bar: float,
                   cp: CompressorParams) -> float:
    vol_m3_s = cp.swept_m3_h_at_50hz / 3600.0 * speed_hz / 50.0
    return rho_suc * vol_m3_s * volumetric_efficiency(p_suc_bar, p_dis_bar, cp)


def discharge_h(p_suc_bar: float, h_suc: float, p_dis_bar: float, eta_is: float) -> float:
    """Discharge enthalpy for adiabatic compression with isentropic efficiency eta_is."""
    if p_dis_bar <= p_suc_bar:
        return h_suc
    h2s = P.h_ps(p_dis_bar, P.s_ph(p_suc_bar, h_suc))
    return h_suc + (h2s - h_suc) / eta_is
