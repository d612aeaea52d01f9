"""Moist air at the outdoor coil: saturation over water and ice, humidity ratio,
enthalpy (per kg of dry air), at a fixed total pressure.

Why here and not CoolProp's HAPropsSI: the heat pump's air coil reads these several
times per plant step over a simulated year, and HAPropsSI costs ~0.1-1 ms a call. The
formulas are the ASHRAE Handbook's (Fundamentals, ch. 1: Hyland-Wexler saturation
pressures, ideal-gas mixing); host/tests/plant/test_air_coil.py checks them against
HAPropsSI.
"""

from __future__ import annotations

import math

P_ATM_PA = 101325.0
CP_DRY_J_KGK = 1006.0
CP_VAP_J_KGK = 1860.0
H_VAP0_J_KG = 2_501_000.0  # water vapour's enthalpy at 0 degC (from liquid at 0 degC)
H_FUSION_J_KG = 333_400.0  # ice melting at 0 degC
CP_ICE_J_KGK = 2100.0
CP_WATER_J_KGK = 4186.0
_EPS = 0.621945  # molar mass of water over dry air
_F_ENH = 1.0044  # enhancement factor: vapour in air saturates a little above p_ws
_K = 273.15


def p_ws_pa(t_c: float) -> float:
    """Saturation vapour pressure over liquid water (t >= 0 degC) or ice (t < 0)."""
    t = t_c + _K
    if t_c < 0.0:
        ln = (-5.6745359e3 / t + 6.3925247 - 9.677843e-3 * t + 6.2215701e-7 * t * t
              + 2.0747825e-9 * t ** 3 - 9.484024e-13 * t ** 4 + 4.1635019 * math.log(t))
    else:
        ln = (-5.8002206e3 / t + 1.3914993 - 4.8640239e-2 * t + 4.1764768e-5 * t * t
              - 1.4452093e-8 * t ** 3 + 6.5459673 * math.log(t))
    return math.exp(ln)


def w_sat(t_c: float, p_pa: float = P_ATM_PA) -> float:
    """Humidity ratio of saturated air (kg water per kg dry air)."""
    p_ws = _F_ENH * p_ws_pa(t_c)
    return _EPS * p_ws / (p_pa - p_ws)


def w_from_rh(t_c: float, rh: float, p_pa: float = P_ATM_PA) -> float:
    """Humidity ratio at relative humidity rh (0..1, against water or ice as above)."""
    p_w = rh * _F_ENH * p_ws_pa(t_c)
    return _EPS * p_w / (p_pa - p_w)


def rh_from_w(t_c: float, w: float, p_pa: float = P_ATM_PA) -> float:
    p_w = w * p_pa / (_EPS + w)
    return p_w / (_F_ENH * p_ws_pa(t_c))


def h_moist(t_c: float, w: float) -> float:
    """Enthalpy of moist air, J per kg of dry air (0 at dry air and liquid water, 0 degC)."""
    return CP_DRY_J_KGK * t_c + w * (H_VAP0_J_KG + CP_VAP_J_KGK * t_c)


def h_condensate(t_c: float) -> float:
    """Enthalpy of the water the coil keeps: ice below 0 degC, liquid above (same datum)."""
    if t_c < 0.0:
        return -H_FUSION_J_KG + CP_ICE_J_KGK * t_c
    return CP_WATER_J_KGK * t_c


def rho_dry_air(t_c: float, w: float, p_pa: float = P_ATM_PA) -> float:
    """Mass of dry air per m3 of moist air."""
    return p_pa / (287.055 * (t_c + _K) * (1.0 + 1.607858 * w))
