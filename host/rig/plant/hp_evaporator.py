"""The heat pump's evaporating side: the variable-speed compressor drawing CO2 through
the outdoor coil.

Why: the evaporating temperature is where the coil (air_coil.py) and the compressor
(compressor.py) agree. The compressor's mass flow at the suction state, times the
enthalpy the CO2 takes in the coil (from the expanded gas-cooler outlet to the
superheated suction gas), must equal the heat the coil takes from the air. Frost lowers
the coil's UA and air flow, so the balance moves to a lower evaporating temperature, a
lower suction density and less duty: that is what a frosted coil costs, and what the
firmware's demand defrost reads (docs/heatpump.md, "Defrost").

The high side is held at one state here (p_gc, the CO2 leaving the gas cooler): it
moves the duty by a few per cent and not the frost. The compressor's suction
properties per hertz are tabulated once on a 0.25 K grid of evaporating temperatures
(CoolProp through props.py); each step solves the balance by bisection.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from . import props as P
from .air_coil import AirCoil, CoilResult
from .compressor import CompressorParams, mass_flow_kg_s

_T_EVAP_MIN_C = -50.0  # the table's range (CO2's triple point is -56.6 degC)
_T_EVAP_MAX_C = 20.0
_T_STEP_K = 0.25
_BISECT_K = 0.005  # the balance's resolution
_DT_MIN_K = 0.01  # the evaporator stays at least this far below the air


def _hp_compressor() -> CompressorParams:
    # ~1.2 MW of heat at 0 degC air: ~0.09 m3/s of suction gas at 70 Hz
    return CompressorParams(swept_m3_h_at_50hz=350.0, speed_min_hz=20.0,
                            speed_max_hz=70.0, eta_is=0.7)


@dataclass
class HpEvapParams:
    compressor: CompressorParams = field(default_factory=_hp_compressor)
    p_gc_bar: float = 90.0
    t_gc_out_c: float = 40.0  # the district-heating return plus the approach
    superheat_k: float = 5.0


@dataclass
class EvapResult:
    t_evap_c: float
    p_evap_bar: float
    q_evap_w: float  # heat the CO2 takes in the coil
    m_co2_kg_s: float
    coil: CoilResult


class HpEvaporator:
    """The balance of coil and compressor. The high side (p_gc_bar, and h_in, the CO2
    entering the coil after the HPEV) is the params' fixed state unless a call names it
    (the heat pump's closed loop, hp_plant.py, does)."""

    def __init__(self, params: HpEvapParams | None = None):
        self.p = params or HpEvapParams()
        p = self.p
        self.h_in_design = P.h_pt(p.p_gc_bar, p.t_gc_out_c)
        n = int(round((_T_EVAP_MAX_C - _T_EVAP_MIN_C) / _T_STEP_K)) + 1
        self._t = [_T_EVAP_MIN_C + i * _T_STEP_K for i in range(n)]
        self._p, self._rho, self._h_suc, self._s_suc = [], [], [], []
        for t in self._t:
            pe = P.p_sat_bar(t)
            h_suc = P.h_pt(pe, t + p.superheat_k)
            self._p.append(pe)
            self._rho.append(P.rho_ph(pe, h_suc))
            self._h_suc.append(h_suc)
            self._s_suc.append(P.s_ph(pe, h_suc))

    def _at(self, table: list[float], t_evap_c: float) -> float:
        i = min(max(bisect.bisect_right(self._t, t_evap_c) - 1, 0), len(self._t) - 2)
        w = (t_evap_c - self._t[i]) / _T_STEP_K
        return table[i] + w * (table[i + 1] - table[i])

    def _high_side(self, p_gc_bar: float | None, h_in: float | None) -> tuple[float, float]:
        """The named high side, or the params' fixed one."""
        return (self.p.p_gc_bar if p_gc_bar is None else p_gc_bar,
                self.h_in_design if h_in is None else h_in)

    def suction(self, t_evap_c: float) -> tuple[float, float, float]:
        """(p_evap_bar, h_suc, s_suc) of the gas the compressor draws."""
        return (self._at(self._p, t_evap_c), self._at(self._h_suc, t_evap_c),
                self._at(self._s_suc, t_evap_c))

    def m_co2_kg_s(self, t_evap_c: float, speed_hz: float, p_gc_bar: float) -> float:
        return mass_flow_kg_s(self._at(self._rho, t_evap_c), speed_hz,
                              self._at(self._p, t_evap_c), p_gc_bar, self.p.compressor)

    def duty_w(self, t_evap_c: float, speed_hz: float, p_gc_bar: float | None = None,
               h_in: float | None = None) -> float:
        """The compressor's side of the balance."""
        p_gc, h_in = self._high_side(p_gc_bar, h_in)
        return self.m_co2_kg_s(t_evap_c, speed_hz, p_gc) * \
            (self._at(self._h_suc, t_evap_c) - h_in)

    def balance(self, coil: AirCoil, t_air_c: float, rh: float, fan_pct: float,
                speed_hz: float, p_gc_bar: float | None = None,
                h_in: float | None = None) -> EvapResult:
        """The evaporating state where coil and compressor agree (coil unchanged)."""
        p_gc, h_in = self._high_side(p_gc_bar, h_in)
        hi = min(t_air_c - _DT_MIN_K, _T_EVAP_MAX_C)
        if speed_hz <= 0.0:
            return self._result(hi, 0.0, p_gc, h_in, coil.transfer(t_air_c, rh, fan_pct, hi))
        lo = _T_EVAP_MIN_C
        while hi - lo > _BISECT_K:
            mid = 0.5 * (lo + hi)
            if coil.transfer(t_air_c, rh, fan_pct, mid).q_w > \
                    self.duty_w(mid, speed_hz, p_gc, h_in):
                lo = mid  # the air gives more than the compressor takes: warmer
            else:
                hi = mid
        t_evap = 0.5 * (lo + hi)
        return self._result(t_evap, speed_hz, p_gc, h_in,
                            coil.transfer(t_air_c, rh, fan_pct, t_evap))

    def _result(self, t_evap_c: float, speed_hz: float, p_gc_bar: float, h_in: float,
                r: CoilResult | None) -> EvapResult:
        m = self.m_co2_kg_s(t_evap_c, speed_hz, p_gc_bar)
        return EvapResult(t_evap_c, self._at(self._p, t_evap_c),
                          m * (self._at(self._h_suc, t_evap_c) - h_in), m, r)

    def run(self, coil: AirCoil, dt_s: float, t_air_c: float, rh: float, fan_pct: float,
            speed_hz: float, p_gc_bar: float | None = None,
            h_in: float | None = None) -> EvapResult:
        """dt_s of evaporation at the balance: the coil frosts as it runs."""
        res = self.balance(coil, t_air_c, rh, fan_pct, speed_hz, p_gc_bar, h_in)
        coil.run(dt_s, t_air_c, rh, fan_pct, res.t_evap_c)
        return res
