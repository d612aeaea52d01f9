"""CO2 (R744) properties for the plant model, from CoolProp 8.0.0.

Why this module: the dynamic plant evaluates a few hundred property points per simulated
second, so it uses CoolProp's tabulated ``BICUBIC&HEOS`` backend (tables built once from
the Span-Wagner equation of state and cached in ~/.CoolProp) and falls back to the full
``HEOS`` equation where the table refuses. No hand-made fit of CO2 properties anywhere.

Near the critical point (73.77 bar, 31 degC) flashes are ill-conditioned and can fail or
jump; pressures inside a +-0.2 bar guard band around p_crit are evaluated at the band
edges and interpolated linearly in pressure.

Units at this interface: pressure in bar (absolute), temperature in degC, enthalpy in
J/kg, entropy in J/(kg K), density in kg/m3, cp in J/(kg K).
"""

from __future__ import annotations

import math

import CoolProp.CoolProp as CP

FLUID = "CO2"
KELVIN = 273.15  # degC -> K

_heos = CP.AbstractState("HEOS", FLUID)
_tab = CP.AbstractState("BICUBIC&HEOS", FLUID)

P_CRIT_BAR = _heos.p_critical() / 1e5  # 73.773 bar
T_CRIT_C = _heos.T_critical() - KELVIN  # 30.978 degC
P_TRIPLE_BAR = _heos.trivial_keyed_output(CP.iP_triple) / 1e5  # 5.18 bar
T_TRIPLE_C = _heos.Ttriple() - KELVIN  # -56.56 degC
P_MAX_BAR = 200.0  # upper end of what the model (and the CLI) accepts
GUARD_BAR = 0.2  # half-width of the band around p_crit that is interpolated
# Enthalpy range the model's states live in: saturated liquid at the triple point
# (80 kJ/kg) up to hot gas well above any discharge temperature (~300 degC at low p).
H_MIN_J_KG = 80e3
H_MAX_J_KG = 800e3

_P_LO_GUARD = P_CRIT_BAR - GUARD_BAR
_P_HI_GUARD = P_CRIT_BAR + GUARD_BAR

_HP = CP.HmassP_INPUTS
_PT = CP.PT_INPUTS
_PS = CP.PSmass_INPUTS
_PQ = CP.PQ_INPUTS
_QT = CP.QT_INPUTS


class PropsError(ValueError):
    """A property point CoolProp cannot evaluate (outside the fluid's valid range)."""


def _update(pair: int, a: float, b: float):
    """Flash on the table; on refusal, on the full equation of state. Returns the state."""
    try:
        _tab.update(pair, a, b)
        return _tab
    except ValueError:
        pass
    try:
        _heos.update(pair, a, b)
        return _heos
    except ValueError as exc:
        raise PropsError(f"CO2 property point out of range: {exc}") from None


def _in_guard(p_bar: float) -> bool:
    return _P_LO_GUARD < p_bar < _P_HI_GUARD


def _w(p_bar: float) -> float:
    return (p_bar - _P_LO_GUARD) / (2.0 * GUARD_BAR)


def _across_guard(prop, p_bar: float, h_j_kg: float) -> float:
    """prop(p, h) inside the critical guard, where the flash can fail: interpolated
    between its values at the guard's edges (the fast path stays in each caller)."""
    a, b = prop(_P_LO_GUARD, h_j_kg), prop(_P_HI_GUARD, h_j_kg)
    return a + _w(p_bar) * (b - a)


# --- pressure-enthalpy ------------------------------------------------------------------


def state_ph(p_bar: float, h_j_kg: float) -> tuple[float, float, float, float]:
    """(t_c, rho_kg_m3, cp_j_kgk, quality) at (p, h). cp is inf and 0<=quality<=1 in the
    two-phase dome; quality is -1 for single phase. The workhorse of the HX marches."""
    if _in_guard(p_bar):
        a = state_ph(_P_LO_GUARD, h_j_kg)
        b = state_ph(_P_HI_GUARD, h_j_kg)
        w = _w(p_bar)
        cp = a[2] + w * (b[2] - a[2]) if a[2] != math.inf and b[2] != math.inf else math.inf
        return (a[0] + w * (b[0] - a[0]), a[1] + w * (b[1] - a[1]), cp, -1.0)
    s = _update(_HP, h_j_kg, p_bar * 1e5)
    q = s.Q()
    if 0.0 <= q <= 1.0:
        return (s.T() - KELVIN, s.rhomass(), math.inf, q)
    try:
        cp = s.cpmass()
    except ValueError:
        cp = math.inf
    if not cp > 0.0:
        cp = math.inf
    return (s.T() - KELVIN, s.rhomass(), cp, -1.0)


def ph_reader(p_bar: float, rho: bool = True):
    """h -> (t_c, rho_kg_m3, cp_j_kgk) at a fixed pressure: state_ph's first three values
    (rho 0.0 when rho=False), the same numbers through fewer Python layers. For the HX
    marches, which evaluate a few dozen enthalpies at one pressure per call: the guard
    test, the pressure conversion and (above the critical pressure, where the table has
    no dome) the quality test are done once, not per point."""
    if _in_guard(p_bar):
        def read_guard(h: float) -> tuple[float, float, float]:
            s = state_ph(p_bar, h)
            return s[0], s[1], s[2]

        return read_guard
    p_pa = p_bar * 1e5
    tab, hp, inf = _tab, _HP, math.inf
    dome = p_bar < _P_LO_GUARD

    def read(h: float) -> tuple[float, float, float]:
        try:
            tab.update(hp, h, p_pa)
        except ValueError:  # the table refused: the full equation (state_ph's path)
            s = state_ph(p_bar, h)
            return s[0], s[1], s[2]
        if dome:
            q = tab.Q()
            if 0.0 <= q <= 1.0:
                return tab.T() - KELVIN, tab.rhomass() if rho else 0.0, inf
        try:
            cp = tab.cpmass()
        except ValueError:
            cp = inf
        if not cp > 0.0:
            cp = inf
        return tab.T() - KELVIN, tab.rhomass() if rho else 0.0, cp

    return read


# The one-property functions below are called a few hundred thousand times per simulated
# day: the guard test is written out and the table is tried directly (_update's path,
# fewer Python calls: _update tries the table again and falls back to HEOS).


def t_ph(p_bar: float, h_j_kg: float) -> float:
    if _P_LO_GUARD < p_bar < _P_HI_GUARD:
        return _across_guard(t_ph, p_bar, h_j_kg)
    try:
        _tab.update(_HP, h_j_kg, p_bar * 1e5)
    except ValueError:
        return _update(_HP, h_j_kg, p_bar * 1e5).T() - KELVIN
    return _tab.T() - KELVIN


def rho_ph(p_bar: float, h_j_kg: float) -> float:
    if _P_LO_GUARD < p_bar < _P_HI_GUARD:
        return _across_guard(rho_ph, p_bar, h_j_kg)
    try:
        _tab.update(_HP, h_j_kg, p_bar * 1e5)
    except ValueError:
        return _update(_HP, h_j_kg, p_bar * 1e5).rhomass()
    return _tab.rhomass()


def s_ph(p_bar: float, h_j_kg: float) -> float:
    if _in_guard(p_bar):
        return _across_guard(s_ph, p_bar, h_j_kg)
    return _update(_HP, h_j_kg, p_bar * 1e5).smass()


def quality_ph(p_bar: float, h_j_kg: float) -> float:
    """Vapour quality in the dome, -1 outside it (and at or above p_crit)."""
    if p_bar >= _P_LO_GUARD:
        return -1.0
    q = _update(_HP, h_j_kg, p_bar * 1e5).Q()
    return q if 0.0 <= q <= 1.0 else -1.0


# --- pressure-temperature, pressure-entropy ------------------------------------------------


def h_pt(p_bar: float, t_c: float) -> float:
    """Enthalpy at (p, T). On the saturation line itself the liquid side is returned.

    The table's own (p, T) lookup is kJ/kg off near saturation and the pseudo-critical
    line, so the accurate (p, h) table is inverted by a bracketed Newton iteration."""
    if _in_guard(p_bar):
        w = _w(p_bar)
        a, b = h_pt(_P_LO_GUARD, t_c), h_pt(_P_HI_GUARD, t_c)
        return a + w * (b - a)
    p_pa = p_bar * 1e5
    # Newton on the (p, h) table, always inside a finite bracket: near the pseudo-critical
    # line cp reaches MJ/(kg K), so an unbracketed step -err*cp can leave the fluid's range
    lo, hi = H_MIN_J_KG, H_MAX_J_KG
    if p_bar < _P_LO_GUARD:
        t_sat, hl, hv, _, _ = sat_p(p_bar)
        if t_c <= t_sat:
            hi = hl
            if t_c > t_sat - 1e-6:
                return hl
        else:
            lo = hv
    try:
        h = _update(_PT, p_pa, t_c + KELVIN).hmass()
    except PropsError:
        h = 0.5 * (lo + hi)
    if not lo < h < hi:
        h = 0.5 * (lo + hi)
    tk = t_c + KELVIN
    tab = _tab
    for _ in range(30):
        try:
            tab.update(_HP, h, p_pa)
            st = tab
        except ValueError:
            st = _update(_HP, h, p_pa)
        err = st.T() - tk
        if abs(err) < 1e-5:
            return h
        if err > 0.0:
            hi = min(hi, h)
        else:
            lo = max(lo, h)
        try:
            cp = st.cpmass()
        except ValueError:
            cp = 0.0
        h_new = h - err * cp if cp > 0.0 else h - err * 2000.0
        if not lo < h_new < hi:
            h_new = 0.5 * (lo + hi)  # bisection
        h = h_new
    return h


def rho_pt(p_bar: float, t_c: float) -> float:
    return rho_ph(p_bar, h_pt(p_bar, t_c))


def s_pt(p_bar: float, t_c: float) -> float:
    return s_ph(p_bar, h_pt(p_bar, t_c))


def h_ps(p_bar: float, s_j_kgk: float) -> float:
    """Enthalpy at (p, s): the isentropic compression end point."""
    if _in_guard(p_bar):
        w = _w(p_bar)
        a, b = h_ps(_P_LO_GUARD, s_j_kgk), h_ps(_P_HI_GUARD, s_j_kgk)
        return a + w * (b - a)
    return _update(_PS, p_bar * 1e5, s_j_kgk).hmass()


# --- saturation ---------------------------------------------------------------------------


def sat_p(p_bar: float) -> tuple[float, float, float, float, float]:
    """(t_sat_c, h_liq, h_vap, rho_liq, rho_vap) at a subcritical pressure.
    Pressures closer to p_crit than the guard band are clamped to its lower edge."""
    hit = _SAT.get(p_bar)
    if hit is not None:
        return hit
    if p_bar < P_TRIPLE_BAR:
        raise PropsError(f"pressure {p_bar:.2f} bar below the triple point")
    p_pa = min(p_bar, _P_LO_GUARD) * 1e5
    s = _update(_PQ, p_pa, 0.0)
    t, hl, rl = s.T() - KELVIN, s.hmass(), s.rhomass()
    s = _update(_PQ, p_pa, 1.0)
    out = (t, hl, s.hmass(), rl, s.rhomass())
    if len(_SAT) >= _SAT_MAX:
        _SAT.clear()
    _SAT[p_bar] = out
    return out


# sat_p's last results by pressure: a plant step asks for the same pressure's saturation
# states several times (the receiver's level and outlets, the gas cooler's and HRHX's
# h_pt and condensing segments at one p_gc); the values are the flash's, to the bit
_SAT: dict[float, tuple[float, float, float, float, float]] = {}
_SAT_MAX = 64


def t_sat_c(p_bar: float) -> float:
    """sat_p(p_bar)[0] (through its memo: the suction pressure's saturation is asked for
    by the evaporator's outlet state and h_pt as well)."""
    return sat_p(p_bar)[0]


def p_sat_bar(t_c: float) -> float:
    """Saturation pressure at a temperature between the triple and the critical point."""
    if t_c < T_TRIPLE_C - 1e-9 or t_c > T_CRIT_C:
        raise PropsError(f"no saturation pressure at {t_c:.2f} degC")
    t_c = max(t_c, T_TRIPLE_C + 1e-6)
    return _update(_QT, 0.0, min(t_c + KELVIN, _heos.T_critical() - 0.01)).p() / 1e5


def drho_dp_t(p_bar: float, t_c: float) -> float:
    """(d rho / d p) at constant T in kg/m3 per bar; finite difference (works in the guard)."""
    dp = 0.05
    return (rho_pt(p_bar + dp, t_c) - rho_pt(p_bar - dp, t_c)) / (2 * dp)


def heos_state(p_bar: float, h_j_kg: float) -> tuple[float, float]:
    """(t_c, rho) straight from the HEOS equation: the reference the tests compare with."""
    _heos.update(_HP, h_j_kg, p_bar * 1e5)
    return (_heos.T() - KELVIN, _heos.rhomass())
