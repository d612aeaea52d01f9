"""Intermediate-pressure receiver (flash tank): mass and energy balance.

Why: its pressure and liquid level come from the CO2 it holds, not from a setpoint. The
state is (mass, internal energy) in a fixed volume; pressure follows from
rho(p, h) = M / V with h = (U + p V) / M, solved by a warm-started secant in p. That works
in the two-phase dome and outside it (an overfilled or supercritical vessel), and keeps
mass and energy exactly conserved by the integrator.
"""

from __future__ import annotations

from . import props as P

P_MIN_BAR = P.P_TRIPLE_BAR + 0.2
P_MAX_BAR = P.P_MAX_BAR


def pressure_from_mu(m_kg: float, u_j: float, v_m3: float, p_guess_bar: float) -> float:
    """Pressure (bar) of m_kg of CO2 with internal energy u_j in v_m3."""
    rho_t = m_kg / v_m3

    def f(p):
        return P.rho_ph(p, (u_j + p * 1e5 * v_m3) / m_kg) - rho_t

    p0 = min(max(p_guess_bar, P_MIN_BAR), P_MAX_BAR)
    f0 = f(p0)
    p1 = p0 * (1.0 + 0.002) if p0 < P_MAX_BAR else p0 * 0.998
    for _ in range(30):
        f1 = f(p1)
        if abs(f1) < 1e-7 * rho_t or f1 == f0:
            return p1
        p2 = p1 - f1 * (p1 - p0) / (f1 - f0)
        p2 = min(max(p2, 0.5 * p1, P_MIN_BAR), 1.5 * p1, P_MAX_BAR)
        if abs(p2 - p1) < 1e-6:
            return p2
        p0, f0, p1 = p1, f1, p2
    return p1


def level_pct(m_kg: float, p_bar: float, v_m3: float) -> float:
    """Liquid volume share of the vessel in % (0 when supercritical or all vapour)."""
    if p_bar >= P.P_CRIT_BAR - P.GUARD_BAR:
        return 0.0
    _, _, _, rho_l, rho_v = P.sat_p(p_bar)
    rho = m_kg / v_m3
    frac = (rho - rho_v) / (rho_l - rho_v)
    return 100.0 * min(1.0, max(0.0, frac))


def outlet_h(p_bar: float, h_mean: float, level: float) -> tuple[float, float]:
    """(h_liquid_outlet, h_vapour_outlet): saturated liquid from the bottom (the load is
    starved as the level falls, see evaporator) and vapour from the top; a full vessel
    sends liquid up the bypass line.

    A single-phase vessel (all superheated vapour, all subcooled liquid, supercritical) is
    one mixed volume: both outlets carry its mean enthalpy. Drawing saturated vapour from
    a superheated vessel would leave ever more energy per kg in it as it empties, until
    the specific enthalpy left the fluid's range."""
    if p_bar >= P.P_CRIT_BAR - P.GUARD_BAR:
        return h_mean, h_mean
    _, hl, hv, _, _ = P.sat_p(p_bar)
    if h_mean >= hv or h_mean <= hl:
        return h_mean, h_mean
    h_vap = hv if level < 98.0 else hl
    return hl, h_vap
