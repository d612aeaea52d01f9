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
    def __init__(self, params: HpEvapParams | None = None):
        self.p = params or HpEvapParams()
        p = self.p
        h_in = P.h_pt(p.p_gc_bar, p.t_gc_out_c)
        n = int(round((_T_EVAP_MAX_C - _T_EVAP_MIN_C) / _T_STEP_K)) + 1
        self._t = [_T_EVAP_MIN_C + i * _T_STEP_K for i in range(n)]
        self._p = []
        self._m_hz = []  # kg/s per Hz
        self._dh = []  # J/kg taken in the coil
        for t in self._t:
            pe = P.p_sat_bar(t)
            h_suc = P.h_pt(pe, t + p.superheat_k)
            rho = P.rho_ph(pe, h_suc)
            self._p.append(pe)
            self._m_hz.append(mass_flow_kg_s(rho, 1.0, pe, p.p_gc_bar, p.compressor))
            self._dh.append(h_suc - h_in)

    def _at(self, table: list[float], t_evap_c: float) -> float:
        i = min(max(bisect.bisect_right(self._t, t_evap_c) - 1, 0), len(self._t) - 2)
        w = (t_evap_c - self._t[i]) / _T_STEP_K
        return table[i] + w * (table[i + 1] - table[i])

    def duty_w(self, t_evap_c: float, speed_hz: float) -> float:
        """The compressor's side of the balance."""
        return speed_hz * self._at(self._m_hz, t_evap_c) * self._at(self._dh, t_evap_c)

    def balance(self, coil: AirCoil, t_air_c: float, rh: float, fan_pct: float,
                speed_hz: float) -> EvapResult:
        """The evaporating state where coil and compressor agree (coil unchanged)."""
        hi = min(t_air_c - _DT_MIN_K, _T_EVAP_MAX_C)
        if speed_hz <= 0.0:
            return self._result(hi, 0.0, coil.transfer(t_air_c, rh, fan_pct, hi))
        lo = _T_EVAP_MIN_C
        while hi - lo > _BISECT_K:
            mid = 0.5 * (lo + hi)
            if coil.transfer(t_air_c, rh, fan_pct, mid).q_w > self.duty_w(mid, speed_hz):
                lo = mid  # the air gives more than the compressor takes: warmer
            else:
                hi = mid
        t_evap = 0.5 * (lo + hi)
        return self._result(t_evap, speed_hz, coil.transfer(t_air_c, rh, fan_pct, t_evap))

    def _result(self, t_evap_c: float, speed_hz: float, r: CoilResult) -> EvapResult:
        m = speed_hz * self._at(self._m_hz, t_evap_c)
        return EvapResult(t_evap_c, self._at(self._p, t_evap_c),
                          m * self._at(self._dh, t_evap_c), m, r)

    def run(self, coil: AirCoil, dt_s: float, t_air_c: float, rh: float, fan_pct: float,
            speed_hz: float) -> EvapResult:
        """dt_s of evaporation at the balance: the coil frosts as it runs."""
        res = self.balance(coil, t_air_c, rh, fan_pct, speed_hz)
        coil.run(dt_s, t_air_c, rh, fan_pct, res.t_evap_c)
        return res
