"""Steady-state cycle calculator for the rig's transcritical CO2 plant (see model.py).

Why: it is the reference the dynamic plant must settle to, the tool behind `rig cycle`, and
the source of the COP-optimal gas cooler pressure the firmware's reference curve is checked
against. The cycle: MT compressor (isentropic efficiency) -> HRHX -> gas cooler (outlet T3)
-> HPEV to the receiver -> liquid through the evaporators, flash gas through the bypass
valve (BEV), both mixed into the compressor suction. All states from CoolProp (props.py).

q_hr is the most heat the water can take from IN to OUT degC while the CO2-water temperature
difference stays >= pinch everywhere along the counter-flow HRHX (checked on a grid along
the exchanger, so an internal pinch near the pseudo-critical point is found).
"""

from __future__ import annotations

import math

from . import props as P

CP_WATER_J_KGK = 4186.0
P_GC_MAX_BAR = 150.0  # upper end of the optimum search (design pressure 120 bar, margin)
_N_PINCH = 60  # points along the HRHX for the pinch check


def _check(name: str, ok: bool, msg: str) -> None:
    if not ok:
        raise ValueError(f"{name}: {msg}")


def _validate(te_c, sh_k, eta_is, t3_c, p_rec_bar, q_evap_kw, t_cond_min_c):
    for name, v in (("te_c", te_c), ("sh_k", sh_k), ("eta_is", eta_is), ("t3_c", t3_c),
                    ("p_rec_bar", p_rec_bar), ("q_evap_kw", q_evap_kw),
                    ("t_cond_min_c", t_cond_min_c)):
        _check(name, isinstance(v, (int, float)) and math.isfinite(v), "must be a finite number")
    _check("te_c", P.T_TRIPLE_C < te_c < P.T_CRIT_C - 1.0,
           f"{te_c} degC outside triple point ({P.T_TRIPLE_C:.1f}) .. critical point")
    _check("t3_c", t3_c > P.T_TRIPLE_C, f"{t3_c} degC below the triple point")
    _check("t3_c", t3_c <= 150.0, f"{t3_c} degC is not a gas cooler outlet temperature")
    _check("t3_c", t3_c > te_c, "gas cooler outlet must be warmer than evaporation")
    _check("t_cond_min_c", P.T_TRIPLE_C < t_cond_min_c < P.T_CRIT_C,
           "must lie between the triple and the critical point")
    _check("sh_k", 0.0 <= sh_k <= 60.0, "superheat must be 0..60 K")
    _check("eta_is", 0.1 <= eta_is <= 1.0, "isentropic efficiency must be 0.1..1")
    _check("q_evap_kw", q_evap_kw > 0.0, "cooling capacity must be positive")
    _check("p_rec_bar", p_rec_bar < P.P_CRIT_BAR - P.GUARD_BAR,
           "receiver must be subcritical (two-phase)")


def solve(te_c: float, sh_k: float, eta_is: float, t3_c: float, p_gc_bar: float | str,
          p_rec_bar: float, q_evap_kw: float, water: tuple[float, float] | None = None,
          pinch_k: float = 5.0, t_cond_min_c: float = 10.0) -> dict:
    """Solve the cycle; p_gc_bar may be 'opt' (pressure of maximum cooling COP).

    Returns a dict with p_gc_bar, cop, cop_total, w_comp_kw, q_gc_kw, q_hr_kw,
    t_discharge_c and extra detail (mass flows, enthalpies, flash-gas share).
    Raises ValueError for inputs that describe no physical cycle.
    """
    _validate(te_c, sh_k, eta_is, t3_c, p_rec_bar, q_evap_kw, t_cond_min_c)
    if water is not None:
        t_in, t_out = water
        _check("water", math.isfinite(t_in) and math.isfinite(t_out), "must be finite")
        _check("water", 0.0 < t_in < t_out < 150.0, "need 0 < IN < OUT < 150 degC")
        _check("pinch_k", math.isfinite(pinch_k) and 0.0 <= pinch_k <= 50.0, "pinch 0..50 K")
    if isinstance(p_gc_bar, str):
        _check("p_gc_bar", p_gc_bar == "opt", "a pressure in bar or 'opt'")
        p_gc_bar = optimum_p_gc(t3_c, te_c, sh_k=sh_k, eta_is=eta_is, p_rec_bar=p_rec_bar,
                                t_cond_min_c=t_cond_min_c)
    _check("p_gc_bar", isinstance(p_gc_bar, (int, float)) and math.isfinite(p_gc_bar),
           "must be a finite number")
    _check("p_gc_bar", p_gc_bar <= P.P_MAX_BAR, f"{p_gc_bar} bar above {P.P_MAX_BAR:.0f} bar")
    r = _cycle(te_c, sh_k, eta_is, t3_c, float(p_gc_bar), p_rec_bar, q_evap_kw)
    q_hr_kw = 0.0
    if water is not None:
        q_hr_kw = max_heat_recovery_kw(float(p_gc_bar), r["h2_j_kg"], r["h3_j_kg"],
                                       r["m_hp_kg_s"], water[0], water[1], pinch_k)
    r["q_hr_kw"] = q_hr_kw
    r["cop_total"] = (q_evap_kw + q_hr_kw) / r["w_comp_kw"]
    r["q_gc_air_kw"] = r["q_gc_kw"] - q_hr_kw
    return r


def _cycle(te_c, sh_k, eta_is, t3_c, p_gc_bar, p_rec_bar, q_evap_kw) -> dict:
    p_suc = P.p_sat_bar(te_c)
    _check("p_rec_bar", p_suc < p_rec_bar, f"receiver must be above suction ({p_suc:.1f} bar)")
    _check("p_gc_bar", p_gc_bar > p_rec_bar, "gas cooler must be above the receiver")
    t_sat_rec, hl_rec, hv_rec, _, _ = P.sat_p(p_rec_bar)
    # evaporator outlet: superheated (or saturated) vapour at suction pressure
    if sh_k > 0.0:
        h1e = P.h_pt(p_suc, te_c + sh_k)
    else:
        h1e = P.sat_p(p_suc)[2]
    # gas cooler / condenser outlet
    if p_gc_bar < P.P_CRIT_BAR - P.GUARD_BAR:
        t_sat_gc, hl_gc, _, _, _ = P.sat_p(p_gc_bar)
        _check("p_gc_bar", t3_c <= t_sat_gc + 0.05,
               f"{p_gc_bar:.2f} bar condenses at {t_sat_gc:.1f} degC, below T3 = {t3_c} degC")
        h3 = hl_gc if t3_c >= t_sat_gc - 0.05 else P.h_pt(p_gc_bar, t3_c)
    else:
        h3 = P.h_pt(p_gc_bar, t3_c)
    # receiver: flash after the HPEV
    x_rec = (h3 - hl_rec) / (hv_rec - hl_rec)
    if x_rec < 0.0:  # subcooled below the receiver's saturation: no flash gas
        x_rec, h_liq = 0.0, h3
    else:
        _check("t3_c", x_rec < 1.0, "HPEV outlet is all vapour: no liquid for the evaporators")
        h_liq = hl_rec
    m_evap = q_evap_kw * 1e3 / (h1e - h_liq)
    m_hp = m_evap / (1.0 - x_rec)
    m_flash = m_hp - m_evap
    h1 = (m_evap * h1e + m_flash * hv_rec) / m_hp  # suction after mixing in the flash gas
    s1 = P.s_ph(p_suc, h1)
    h2s = P.h_ps(p_gc_bar, s1)
    h2 = h1 + (h2s - h1) / eta_is
    w_kw = m_hp * (h2 - h1) / 1e3
    q_gc_kw = m_hp * (h2 - h3) / 1e3
    return {
        "p_gc_bar": p_gc_bar,
        "p_rec_bar": p_rec_bar,
        "p_suc_bar": p_suc,
        "te_c": te_c,
        "t3_c": t3_c,
        "t_rec_c": t_sat_rec,
        "cop": q_evap_kw / w_kw,
        "w_comp_kw": w_kw,
        "q_evap_kw": q_evap_kw,
        "q_gc_kw": q_gc_kw,
        "t_discharge_c": P.t_ph(p_gc_bar, h2),
        "t_suction_c": P.t_ph(p_suc, h1),
        "m_hp_kg_s": m_hp,
        "m_evap_kg_s": m_evap,
        "m_flash_kg_s": m_flash,
        "x_rec": x_rec,
        "transcritical": p_gc_bar > P.P_CRIT_BAR,
        "h1_j_kg": h1,
        "h2_j_kg": h2,
        "h3_j_kg": h3,
        "h_evap_out_j_kg": h1e,
        "h_liq_j_kg": h_liq,
        "energy_residual_kw": q_evap_kw + w_kw - q_gc_kw,
    }


def counterflow_pinch_ok(p_gc_bar, h_in, h_out, t_w_out, t_w_in, pinch_k,
                         n=_N_PINCH, tol_k=1e-6) -> bool:
    """True if CO2 cooled h_in -> h_out at p_gc_bar heats water t_w_in -> t_w_out in
    counter-flow with the two nowhere closer than pinch_k (water temperature linear in
    duty), checked at n + 1 points along the duty."""
    for i in range(n + 1):
        f = i / n  # fraction of the duty, from the CO2 inlet (water outlet) end
        t_co2 = P.t_ph(p_gc_bar, h_in - f * (h_in - h_out))
        t_w = t_w_out - f * (t_w_out - t_w_in)
        if t_co2 - t_w < pinch_k - tol_k:
            return False
    return True


def _pinch_ok(p_gc_bar, h2, m_hp, q_w, t_in, t_out, pinch_k) -> bool:
    """True if heating water IN->OUT with q_w watts keeps dT >= pinch along the HRHX."""
    return counterflow_pinch_ok(p_gc_bar, h2, h2 - q_w / m_hp, t_out, t_in, pinch_k)


def max_heat_recovery_kw(p_gc_bar, h2, h3, m_hp, t_in_c, t_out_c, pinch_k) -> float:
    """Largest HRHX duty (kW) for water IN->OUT with the pinch respected; the CO2 may be
    cooled at most to the gas cooler outlet state h3. Bisection: the margin falls with q."""
    q_max = m_hp * (h2 - h3)
    if q_max <= 0.0 or not _pinch_ok(p_gc_bar, h2, m_hp, 1e-6 * q_max, t_in_c, t_out_c,
                                     pinch_k):
        return 0.0
    if _pinch_ok(p_gc_bar, h2, m_hp, q_max, t_in_c, t_out_c, pinch_k):
        return q_max / 1e3
    lo, hi = 0.0, q_max
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if _pinch_ok(p_gc_bar, h2, m_hp, mid, t_in_c, t_out_c, pinch_k):
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-5 * q_max:
            break
    return lo / 1e3


def _cop_at(p, te_c, sh_k, eta_is, t3_c, p_rec_bar) -> float:
    try:
        return _cycle(te_c, sh_k, eta_is, t3_c, p, p_rec_bar, 100.0)["cop"]
    except ValueError:
        return -math.inf


def optimum_p_gc(t3_c: float, te_c: float = -7.0, sh_k: float = 10.0, eta_is: float = 0.65,
                 p_rec_bar: float = 35.0, t_cond_min_c: float = 10.0) -> float:
    """Gas cooler pressure (bar) of maximum cooling COP at this T3.

    Subcritical: saturation at max(T3, t_cond_min) (any subcooling only costs work there).
    Near and above the critical temperature: a 1-bar scan then golden-section refinement of
    COP(p) between the lowest admissible pressure and 150 bar."""
    _validate(te_c, sh_k, eta_is, t3_c, p_rec_bar, 100.0, t_cond_min_c)
    t_c = max(t3_c, t_cond_min_c)
    if t_c < P.T_CRIT_C - 0.5:
        p_lo = max(P.p_sat_bar(t_c), p_rec_bar + 1.0)
    else:
        p_lo = P.P_CRIT_BAR + P.GUARD_BAR + 0.01
    p_lo = max(p_lo, p_rec_bar + 1.0)
    if t3_c < P.T_CRIT_C - 8.0:  # far below critical: COP only falls with more pressure
        return p_lo

    def f(p):
        return _cop_at(p, te_c, sh_k, eta_is, t3_c, p_rec_bar)

    return maximise(f, p_lo, P_GC_MAX_BAR)


def maximise(f, lo: float, hi: float, tol: float = 1e-3) -> float:
    """The x in [lo, hi] where f is largest: a scan in steps of about 1 (bar), then a
    golden-section search between the best point's neighbours. Returns lo when f is
    largest there (a floor: the cycle's lowest admissible pressure)."""
    n = int(hi - lo) + 1
    grid = [lo + i * (hi - lo) / n for i in range(n + 1)]
    vals = [f(x) for x in grid]
    k = max(range(len(grid)), key=vals.__getitem__)
    a, b = (grid[0], grid[1]) if k == 0 else (grid[k - 1], grid[min(k + 1, n)])
    g = (math.sqrt(5.0) - 1.0) / 2.0
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = f(c), f(d)
    for _ in range(40):
        if b - a < tol:
            break
        if fc > fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = f(c)
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = f(d)
    best = 0.5 * (a + b)
    return lo if vals[0] >= f(best) else best


def optimum_table(t3_list, te_c: float = -7.0, sh_k: float = 10.0, eta_is: float = 0.65,
                  p_rec_bar: float = 35.0, t_cond_min_c: float = 10.0) -> list[dict]:
    """[{t3_c, p_opt_bar, cop}] for the firmware author's reference-curve check."""
    rows = []
    for t3 in t3_list:
        p = optimum_p_gc(t3, te_c, sh_k, eta_is, p_rec_bar, t_cond_min_c)
        cop = _cycle(te_c, sh_k, eta_is, t3, p, p_rec_bar, 100.0)["cop"]
        rows.append({"t3_c": float(t3), "p_opt_bar": p, "cop": cop})
    return rows
