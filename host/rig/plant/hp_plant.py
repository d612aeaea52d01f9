"""The air-source heat pump as a plant: variable-speed compressor, water gas cooler on
the district-heating loop, HPEV, outdoor coil.

Why each part is there (docs/heatpump.md, "The closed loop"):
* the compressor draws from the outdoor coil at the balance of hp_evaporator.py, at the
  present gas cooler pressure (its volumetric efficiency falls with the pressure
  ratio) and discharges with isentropic efficiency eta_is;
* the gas cooler is counter-flow CO2/water, marched in segments as hrhx.py does so the
  pseudo-critical pinch can sit inside it, its water outlet found by bisection (the
  march's water inlet rises monotonically with it; the secant shooting of hrhx.py
  stalls at this exchanger's NTU); it sets the water's outlet and the CO2 leaving it
  (T3);
* the HPEV holds the gas cooler pressure at the firmware's reference through a
  first-order lag (tau_p_s): the thermal loops are slower than the valve, and the
  refrigerant-side pressure dynamics are not what is checked here; step_valve() takes
  the valve's opening instead (a board's HPEV output): the pressure at which a valve of
  kv_m2 at that opening passes the compressor's flow of the step before
  (m = kv x sqrt(rho3 dp), the CO2 leaving the gas cooler), through the same lag;
* the CO2 expands isenthalpically from T3 into the coil; the coil sees the T3 of the
  step before (one step of lag, no inner iteration);
* the supply sensor sees the gas cooler's water outlet through the pipe's lag
  (tau_supply_s).
Energy: the heat to the water is the coil's heat plus the compressor's work, to the
balance's resolution (tests check it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import props as P
from .air_coil import AirCoil
from .hp_evaporator import HpEvaporator, HpEvapParams
from .hrhx import _march, ua_w_k

_BISECT_K = 0.002  # the water outlet's resolution


@dataclass
class HpPlantParams:
    evap: HpEvapParams = field(default_factory=HpEvapParams)
    ua_gc_w_k: float = 400e3  # ~2-4 K approach at design flows
    m_co2_design_kg_s: float = 9.0
    m_w_design_kg_s: float = 10.0
    n_seg: int = 40
    m_w_max_kg_s: float = 20.0  # the pump at 100 %
    tau_p_s: float = 20.0
    tau_supply_s: float = 60.0
    kv_m2: float = 3.0e-4  # the HPEV fully open: 9 kg/s at 50 % and 60 bar across it
    p_valve_max_bar: float = 160.0  # a closed valve: the pressure rises to this at most


@dataclass
class HpState:
    p_gc_bar: float
    t_evap_c: float
    p_evap_bar: float
    t3_c: float  # the CO2 leaving the gas cooler
    t_disch_c: float
    t_w_out_c: float  # the water leaving the gas cooler
    t_supply_c: float  # at the supply sensor
    q_heat_w: float
    q_evap_w: float
    w_comp_w: float
    m_co2_kg_s: float
    m_w_kg_s: float

    @property
    def cop(self) -> float:
        return self.q_heat_w / self.w_comp_w if self.w_comp_w > 0.0 else 0.0


class HpPlant:
    def __init__(self, params: HpPlantParams | None = None, t_return_c: float = 40.0,
                 p_gc_bar: float = 90.0, frost: bool = True):
        self.p = params or HpPlantParams()
        p = self.p
        self.evap = HpEvaporator(p.evap)
        self.coil = AirCoil()
        self.frost = frost  # False: the coil stays clean (steady-state checks)
        self.p_gc_bar = p_gc_bar
        self.t3_c = t_return_c + 3.0
        self.t_supply_c = t_return_c
        self._clean = AirCoil()  # a clean twin of the coil: clean_balance()
        self._last: tuple = ()  # the last step's balance, less the coil

    def step(self, dt_s: float, speed_hz: float, p_ref_bar: float, pump_pct: float,
             fan_pct: float, t_air_c: float, rh: float, t_return_c: float,
             defrost_w: float = 0.0) -> HpState:
        """dt_s at the compressor's speed; defrost_w: hot gas into the coil while the
        compressor's gas does not reach the water (a hot gas defrost)."""
        p = self.p
        self.p_gc_bar += (p_ref_bar - self.p_gc_bar) * min(1.0, dt_s / p.tau_p_s)
        p_gc = self.p_gc_bar
        h_in = P.h_pt(p_gc, self.t3_c)
        self._last = (t_air_c, rh, fan_pct, speed_hz, p_gc, h_in)
        ev = self.evap.balance(self.coil, t_air_c, rh, fan_pct, speed_hz, p_gc, h_in)
        if self.frost and speed_hz > 0.0:
            self.coil.run(dt_s, t_air_c, rh, fan_pct, ev.t_evap_c)
        elif self.frost:  # standing (or defrosting): the coil warms, its frost melts
            self.coil.idle(dt_s, t_air_c, rh, fan_pct, defrost_w)
        m_w = p.m_w_max_kg_s * max(0.0, min(pump_pct, 100.0)) / 100.0
        _, h_suc, s_suc = self.evap.suction(ev.t_evap_c)
        h2 = h_suc + (P.h_ps(p_gc, s_suc) - h_suc) / p.evap.compressor.eta_is
        m = ev.m_co2_kg_s
        if m > 0.0 and m_w > 0.0:
            h_out, t_w_out = self._gas_cooler(p_gc, h2, m, t_return_c, m_w)
            q = m * (h2 - h_out)
            self.t3_c = P.t_ph(p_gc, h_out)
        else:
            q, t_w_out = 0.0, t_return_c
        self.t_supply_c += (t_w_out - self.t_supply_c) * min(1.0, dt_s / p.tau_supply_s)
        return HpState(p_gc, ev.t_evap_c, ev.p_evap_bar, self.t3_c, P.t_ph(p_gc, h2),
                       t_w_out, self.t_supply_c, q, ev.q_evap_w, m * (h2 - h_suc), m, m_w)

    def clean_balance(self):
        """The evaporator's balance of the last step on a clean coil (the same air, fans,
        compressor speed and high side): the truth that frost's cost is measured
        against (as rig.hil.defrost_day's clean twin)."""
        return self.evap.balance(self._clean, *self._last)

    def step_valve(self, dt_s: float, speed_hz: float, hpev_pct: float, pump_pct: float,
                   fan_pct: float, t_air_c: float, rh: float, t_return_c: float,
                   m_prev_kg_s: float, p_evap_bar: float,
                   defrost_w: float = 0.0) -> HpState:
        """step() with the HPEV's opening (%) instead of a pressure reference; the
        compressor's flow and the evaporating pressure of the step before."""
        p = self.p
        x = max(0.0, min(hpev_pct, 100.0)) / 100.0
        if m_prev_kg_s <= 0.0 or speed_hz <= 0.0:
            p_ref = p_evap_bar  # no flow (or it stopped): the valve lets the sides equalise
        elif x <= 0.0:
            p_ref = p.p_valve_max_bar
        else:
            rho3 = P.rho_pt(self.p_gc_bar, self.t3_c)
            dp_bar = (m_prev_kg_s / (p.kv_m2 * x)) ** 2 / rho3 / 1e5
            p_ref = min(p_evap_bar + dp_bar, p.p_valve_max_bar)
        return self.step(dt_s, speed_hz, p_ref, pump_pct, fan_pct, t_air_c, rh, t_return_c,
                         defrost_w)

    def _gas_cooler(self, p_gc: float, h2: float, m_co2: float, t_return_c: float,
                    m_w: float) -> tuple[float, float]:
        """(h of the CO2 leaving, water outlet degC)."""
        p = self.p
        ua = ua_w_k(p.ua_gc_w_k, m_co2, m_w, p.m_co2_design_kg_s, p.m_w_design_kg_s)
        read = P.ph_reader(p_gc, False)
        first = read(h2)
        h_w = P.h_pt(p_gc, t_return_c)
        lo, hi = t_return_c, first[0]
        h_out = h2
        while hi - lo > _BISECT_K:
            mid = 0.5 * (lo + hi)
            h_out, t_w_in, _ = _march(read, first, h2, m_co2, m_w, ua / p.n_seg, p.n_seg,
                                      mid, h_w, h2, False)
            if t_w_in > t_return_c:
                hi = mid
            else:
                lo = mid
        return h_out, 0.5 * (lo + hi)
