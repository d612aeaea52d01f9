"""Steady-state cycle of the air-source CO2 heat pump for district heating.

Why: it is the heat pump application's reference, as cycle.py is the supermarket plant's:
the tool behind `rig cycle --app heatpump`, the gas cooler pressure that maximises the
*heating* COP, and the figure a closed-loop run is judged against (docs/heatpump.md).

The cycle: compressor (isentropic efficiency) -> water gas cooler on the district-heating
loop, counter-flow, heating the return to the supply -> HPEV -> air evaporator -> suction.
The evaporator runs `dt_evap_k` below the air, the suction gas leaves it `superheat_k`
superheated, and the CO2 leaves the gas cooler `approach_k` above the return. The
approach is also the gas cooler's smallest CO2-water temperature difference: near the
pseudo-critical line CO2's cp peaks and the two curves meet inside the exchanger, so a
pressure whose internal pinch falls below the approach cannot heat the water to the
supply and is not admissible (`p_min_supply_bar`: the lowest that can). The optimum is the
COP-best admissible pressure. All states from CoolProp (props.py).
"""

from __future__ import annotations

import math

from . import props as P
from .cycle import CP_WATER_J_KGK, P_GC_MAX_BAR, _check, counterflow_pinch_ok, maximise

_N_PINCH = 60  # points along the gas cooler for the pinch check
_PINCH_TOL_K = 1e-3  # the cold end sits at the approach exactly: do not reject it by rounding
_P_FLOOR_MARGIN_BAR = 0.05  # above saturation at T3 for a subcritical gas cooler outlet

DEFAULTS = dict(eta_is=0.7, superheat_k=5.0, dt_evap_k=8.0, approach_k=3.0, q_heat_kw=1200.0)


def _validate(t_amb_c, t_return_c, t_supply_c, eta_is, superheat_k, dt_evap_k, approach_k,
              q_heat_kw) -> None:
    for name, v in (("t_amb_c", t_amb_c), ("t_return_c", t_return_c),
                    ("t_supply_c", t_supply_c), ("eta_is", eta_is),
                    ("superheat_k", superheat_k), ("dt_evap_k", dt_evap_k),
                    ("approach_k", approach_k), ("q_heat_kw", q_heat_kw)):
        _check(name, isinstance(v, (int, float)) and math.isfinite(v), "must be a finite number")
    _check("t_amb_c", -40.0 <= t_amb_c <= 40.0, f"{t_amb_c} degC is not an outdoor air temperature")
    _check("dt_evap_k", 1.0 <= dt_evap_k <= 30.0, "evaporator 1..30 K below the air")
    te_c = t_amb_c - dt_evap_k
    _check("t_amb_c", P.T_TRIPLE_C + 1.0 < te_c < P.T_CRIT_C - 6.0,
           f"evaporating at {te_c:g} degC: outside the triple point .. 25 degC")
    _check("superheat_k", 0.0 <= superheat_k <= 30.0, "superheat must be 0..30 K")
    _check("eta_is", 0.3 <= eta_is <= 1.0, "isentropic efficiency must be 0.3..1")
    _check("approach_k", 0.5 <= approach_k <= 20.0, "approach must be 0.5..20 K")
    _check("t_return_c", 5.0 <= t_return_c <= 80.0, f"{t_return_c} degC: district-heating "
           "return must be 5..80 degC")
    _check("t_supply_c", t_return_c + 1.0 <= t_supply_c <= 120.0,
           "supply must be at least 1 K above the return and at most 120 degC")
    _check("t_return_c", t_return_c + approach_k > te_c + 1.0,
           "the gas cooler outlet must be warmer than the evaporator")
    _check("q_heat_kw", q_heat_kw > 0.0, "heat output must be positive")


class _Cycle:
    """The states that do not depend on the gas cooler pressure."""

    def __init__(self, t_amb_c, t_return_c, t_supply_c, eta_is, superheat_k, dt_evap_k,
                 approach_k):
        self.t_amb_c, self.te_c = t_amb_c, t_amb_c - dt_evap_k
        self.p_evap_bar = P.p_sat_bar(self.te_c)
        self.h1 = (P.h_pt(self.p_evap_bar, self.te_c + superheat_k) if superheat_k > 0.0
                   else P.sat_p(self.p_evap_bar)[2])
        self.s1 = P.s_ph(self.p_evap_bar, self.h1)
        self.t3_c = t_return_c + approach_k
        self.t_return_c, self.t_supply_c = t_return_c, t_supply_c
        self.eta_is, self.approach_k = eta_is, approach_k
        self.p_lo_bar = self._p_floor()

    def _p_floor(self) -> float:
        """Lowest pressure at which CO2 at T3 is liquid or supercritical: below it the gas
        cooler outlet would be vapour."""
        if self.t3_c < P.T_CRIT_C - 0.5:
            return P.p_sat_bar(self.t3_c) + _P_FLOOR_MARGIN_BAR
        return P.P_CRIT_BAR + P.GUARD_BAR + 0.01

    def states(self, p_gc_bar: float) -> tuple[float, float]:
        """(h2, h3): compressor discharge and gas cooler outlet at this pressure."""
        h2 = self.h1 + (P.h_ps(p_gc_bar, self.s1) - self.h1) / self.eta_is
        return h2, P.h_pt(p_gc_bar, self.t3_c)

    def cop(self, p_gc_bar: float) -> float:
        h2, h3 = self.states(p_gc_bar)
        return (h2 - h3) / (h2 - self.h1)

    def reaches_supply(self, p_gc_bar: float) -> bool:
        """True if the counter-flow gas cooler heats the water return -> supply with the
        CO2 nowhere closer than the approach (water temperature linear in duty)."""
        h2, h3 = self.states(p_gc_bar)
        return counterflow_pinch_ok(p_gc_bar, h2, h3, self.t_supply_c, self.t_return_c,
                                    self.approach_k, _N_PINCH, _PINCH_TOL_K)

    def p_min_supply(self, p_max_bar: float) -> float:
        """Lowest admissible pressure (bisection: a higher pressure lifts the CO2 curve)."""
        lo, hi = self.p_lo_bar, p_max_bar
        if self.reaches_supply(lo):
            return lo
        _check("t_supply_c", self.reaches_supply(hi),
               f"{self.t_supply_c:g} degC cannot be reached at {p_max_bar:g} bar")
        while hi - lo > 0.01:
            mid = 0.5 * (lo + hi)
            if self.reaches_supply(mid):
                hi = mid
            else:
                lo = mid
        return hi


def _at(c: _Cycle, p_gc_bar: float, q_heat_kw: float) -> dict:
    h2, h3 = c.states(p_gc_bar)
    m = q_heat_kw * 1e3 / (h2 - h3)
    w_kw = m * (h2 - c.h1) / 1e3
    t_lm_w = _log_mean_k(c.t_return_c + P.KELVIN, c.t_supply_c + P.KELVIN)
    t_air_k = c.t_amb_c + P.KELVIN  # Lorenz: the heat source at the outdoor air temperature
    cop = q_heat_kw / w_kw
    return {
        "p_gc_bar": p_gc_bar, "cop_heating": cop, "q_heat_kw": q_heat_kw, "w_comp_kw": w_kw,
        "q_evap_kw": m * (c.h1 - h3) / 1e3, "t_disch_c": P.t_ph(p_gc_bar, h2),
        "t3_c": c.t3_c, "te_c": c.te_c, "p_evap_bar": c.p_evap_bar, "m_co2_kg_s": m,
        "m_water_kg_s": q_heat_kw * 1e3 / (CP_WATER_J_KGK * (c.t_supply_c - c.t_return_c)),
        "cop_lorenz": t_lm_w / (t_lm_w - t_air_k),
        "h1_j_kg": c.h1, "h2_j_kg": h2, "h3_j_kg": h3,
    }


def _log_mean_k(a_k: float, b_k: float) -> float:
    return (b_k - a_k) / math.log(b_k / a_k)


def solve(t_amb_c: float, t_return_c: float, t_supply_c: float, p_gc_bar: float | str = "opt",
          eta_is: float = DEFAULTS["eta_is"], superheat_k: float = DEFAULTS["superheat_k"],
          dt_evap_k: float = DEFAULTS["dt_evap_k"], approach_k: float = DEFAULTS["approach_k"],
          q_heat_kw: float = DEFAULTS["q_heat_kw"], p_max_bar: float = P_GC_MAX_BAR,
          return_cost: bool = True) -> dict:
    """The heat pump's cycle at one operating point; p_gc_bar 'opt' picks the admissible
    pressure of the best heating COP. Returns p_gc_bar, cop_heating, t_disch_c, q_heat_kw,
    w_comp_kw, q_evap_kw, p_min_supply_bar, p_opt_free_bar (the optimum if the supply did not
    constrain it), and cop_loss_per_k_return (the fraction of COP one more kelvin of return
    costs, at the optimum). p_max_bar caps the search: the unit's design pressure (the
    default, 150 bar, is above any optimum in the calculator's range). Raises ValueError
    for inputs that describe no such cycle."""
    _validate(t_amb_c, t_return_c, t_supply_c, eta_is, superheat_k, dt_evap_k, approach_k,
              q_heat_kw)
    _check("p_max_bar", isinstance(p_max_bar, (int, float)) and P.P_CRIT_BAR < p_max_bar
           <= P.P_MAX_BAR, f"design pressure must be above {P.P_CRIT_BAR:.1f} bar and at most "
           f"{P.P_MAX_BAR:.0f} bar")
    c = _Cycle(t_amb_c, t_return_c, t_supply_c, eta_is, superheat_k, dt_evap_k, approach_k)
    _check("p_max_bar", p_max_bar > c.p_lo_bar + 1.0, f"{p_max_bar:g} bar leaves no gas "
           f"cooler pressure above {c.p_lo_bar:.1f} bar")
    p_free = maximise(c.cop, c.p_lo_bar, p_max_bar)
    p_min = c.p_min_supply(p_max_bar)
    p_opt = max(p_free, p_min)
    if isinstance(p_gc_bar, str):
        _check("p_gc_bar", p_gc_bar == "opt", "a pressure in bar or 'opt'")
        p_gc_bar = p_opt
    _check("p_gc_bar", isinstance(p_gc_bar, (int, float)) and math.isfinite(p_gc_bar),
           "must be a finite number")
    _check("p_gc_bar", c.p_lo_bar <= p_gc_bar <= p_max_bar,
           f"{p_gc_bar} bar outside {c.p_lo_bar:.1f} .. {p_max_bar:g} bar")
    _check("p_gc_bar", p_gc_bar >= p_min - 0.01, f"{p_gc_bar:g} bar cannot heat the water to "
           f"{t_supply_c:g} degC (needs {p_min:.1f} bar)")
    r = _at(c, float(p_gc_bar), q_heat_kw)
    r.update(p_min_supply_bar=p_min, p_opt_free_bar=p_free,
             t_return_c=t_return_c, t_supply_c=t_supply_c, t_amb_c=t_amb_c)
    r["energy_residual_kw"] = r["q_evap_kw"] + r["w_comp_kw"] - q_heat_kw
    if return_cost:
        warmer = solve(t_amb_c, t_return_c + 1.0, max(t_supply_c, t_return_c + 2.0), "opt",
                       eta_is, superheat_k, dt_evap_k, approach_k, q_heat_kw, p_max_bar, False)
        r["cop_loss_per_k_return"] = 1.0 - warmer["cop_heating"] / c.cop(p_opt)
    return r
