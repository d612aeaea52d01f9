"""The air-source heat pump's outdoor coil (evaporator): fin-and-tube, variable-speed
fans, frost that grows from the air's moisture and is melted by a defrost.

Why each part is there (docs/heatpump.md, "The outdoor coil"):
* the fans move air against the coil's resistance on a quadratic fan curve, so frost
  that narrows the fin channels lowers the air flow at the same fan speed;
* the fin surface sits a little above the evaporating temperature (fin efficiency,
  tube wall, refrigerant film): t_surf = t_evap + surface_share * (t_air - t_evap);
* the air is cooled and dried towards the surface's state with one effectiveness
  (epsilon = 1 - exp(-NTU), Lewis number ~1: the straight-line law of a wet coil); UA
  is air-side, scaling with air flow^0.6, in series with the frost layer's conduction.
  Below 0 degC the water stays as frost, above it drains as condensate; outlet air
  that would still be supersaturated gives its excess to the coil as well;
* a defrost (hot gas, or the fans alone in air above freezing) warms the coil metal to
  0 degC, melts the frost there and then warms the metal further; the firmware ends
  it on the coil temperature or its maximum time.

Every kilogram of water the air loses is on the coil or in the drain, and every joule
the refrigerant takes is the air's enthalpy drop plus the condensate's (tests check
both). Air properties: psychro.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import psychro as ps


@dataclass
class AirCoilParams:
    m_air_design_kg_s: float = 180.0  # dry air at 100 % fan on a clean coil (~150 m3/s)
    ua_design_w_k: float = 212e3  # air side at design flow: ~4.4 K air cooling at 8 K
    surface_share: float = 0.2  # fin surface temperature between refrigerant and air
    area_m2: float = 3000.0  # air-side surface (fins and tubes)
    free_volume_m3: float = 15.0  # air passages between the fins (~10 mm fin spacing)
    frost_density_kg_m3: float = 150.0
    frost_k_w_mk: float = 0.1  # frost layer conductivity
    fan_dp_share: float = 1.0  # fan curve: shut-off pressure = (1 + share) x clean coil dp
    metal_c_j_k: float = 2.7e6  # coil metal (Al fins, Cu tubes ~3 t)
    natural_share: float = 0.02  # air flow with the fans stopped (draught)


@dataclass
class CoilResult:
    m_air_kg_s: float  # dry air through the coil
    t_air_out_c: float
    w_out: float
    q_w: float  # heat taken from the air side (to the refrigerant, or melting the frost)
    water_kg_s: float  # water the air left on the coil (frost or condensate)
    ua_w_k: float
    t_surf_c: float


class AirCoil:
    """State: frost on the fins (kg) and the metal's temperature (degC)."""

    def __init__(self, params: AirCoilParams | None = None, t_metal_c: float = 0.0):
        self.p = params or AirCoilParams()
        self.frost_kg = 0.0
        self.t_metal_c = t_metal_c
        self.melted_kg = 0.0  # frost melted by defrosts so far
        self.drained_kg = 0.0  # condensate that ran off above 0 degC

    # -- properties of the frosted coil -------------------------------------------------

    def blockage(self) -> float:
        """Share of the fin channels the frost fills (0..0.95)."""
        p = self.p
        return min(0.95, self.frost_kg / (p.frost_density_kg_m3 * p.free_volume_m3))

    def air_flow_kg_s(self, fan_pct: float) -> float:
        """Dry air through the coil: the fan curve dp = (1+a) k0 n^2 V0^2 - a k0 V^2 meets
        the coil's k V^2, k = k0 / (1 - blockage)^2 (the air speed in the narrowed
        channels sets the pressure drop)."""
        p = self.p
        n = max(p.natural_share, min(fan_pct, 100.0) / 100.0)
        k_rel = 1.0 / (1.0 - self.blockage()) ** 2
        a = p.fan_dp_share
        return p.m_air_design_kg_s * n * math.sqrt((1.0 + a) / (k_rel + a))

    def ua_w_k(self, m_air_kg_s: float) -> float:
        p = self.p
        ua_air = p.ua_design_w_k * (m_air_kg_s / p.m_air_design_kg_s) ** 0.6
        thick_m = self.frost_kg / (p.frost_density_kg_m3 * p.area_m2)
        r_frost = thick_m / (p.frost_k_w_mk * p.area_m2)
        return 1.0 / (1.0 / ua_air + r_frost)

    # -- one step -----------------------------------------------------------------------

    def transfer(self, t_air_c: float, rh: float, fan_pct: float,
                 t_evap_c: float) -> CoilResult:
        """The coil's duty at t_evap_c in its present frost, without changing it."""
        m_air = self.air_flow_kg_s(fan_pct)
        ua = self.ua_w_k(m_air)
        w_in = ps.w_from_rh(t_air_c, rh)
        cp = ps.CP_DRY_J_KGK + w_in * ps.CP_VAP_J_KGK
        eps = 1.0 - math.exp(-ua / (m_air * cp))
        t_surf = t_evap_c + self.p.surface_share * (t_air_c - t_evap_c)
        t_out = t_air_c - eps * (t_air_c - t_surf)
        w_s = ps.w_sat(t_surf)
        w_out = w_in - eps * (w_in - w_s) if w_in > w_s else w_in
        w_out = min(w_out, ps.w_sat(t_out))  # no fog leaves the coil
        water = m_air * (w_in - w_out)
        q = m_air * (ps.h_moist(t_air_c, w_in) - ps.h_moist(t_out, w_out)) \
            - water * ps.h_condensate(t_surf)
        return CoilResult(m_air, t_out, w_out, q, water, ua, t_surf)

    def run(self, dt_s: float, t_air_c: float, rh: float, fan_pct: float,
            t_evap_c: float) -> CoilResult:
        """dt_s of evaporation at t_evap_c: the air cooled and dried, frost grown."""
        r = self.transfer(t_air_c, rh, fan_pct, t_evap_c)
        self._keep(r.water_kg_s * dt_s, r.t_surf_c)
        self.t_metal_c = r.t_surf_c
        return r

    def idle(self, dt_s: float, t_air_c: float, rh: float, fan_pct: float,
             defrost_w: float = 0.0) -> CoilResult:
        """dt_s without evaporation: the metal (with its frost) exchanges heat with the
        air and takes defrost_w of hot gas; at 0 degC the heat melts frost first."""
        m_air = self.air_flow_kg_s(fan_pct)
        ua = self.ua_w_k(m_air)
        w_in = ps.w_from_rh(t_air_c, rh)
        cp = ps.CP_DRY_J_KGK + w_in * ps.CP_VAP_J_KGK
        eps = 1.0 - math.exp(-ua / (m_air * cp))
        q_air = eps * m_air * cp * (t_air_c - self.t_metal_c)  # into the metal
        e_j = (q_air + defrost_w) * dt_s
        c = self.p.metal_c_j_k + self.frost_kg * ps.CP_ICE_J_KGK
        t0 = self.t_metal_c
        if self.frost_kg > 0.0 and t0 + e_j / c >= 0.0:
            # frost holds the coil at 0 degC: warm it there, melt, then warm the rest
            e_j -= c * max(0.0, -t0)
            melt = min(self.frost_kg, e_j / ps.H_FUSION_J_KG)
            self.frost_kg -= melt
            self.melted_kg += melt
            e_j = e_j - melt * ps.H_FUSION_J_KG if self.frost_kg <= 0.0 else 0.0
            t0 = 0.0
            c = self.p.metal_c_j_k
        self.t_metal_c = t0 + e_j / c
        t_out = t_air_c - (q_air / (m_air * cp))
        return CoilResult(m_air, t_out, w_in, q_air, 0.0, ua, self.t_metal_c)

    def _keep(self, water_kg: float, t_surf_c: float) -> None:
        if t_surf_c < 0.0:
            self.frost_kg += water_kg
        else:  # condensate drains (frost already there stays until a defrost)
            self.drained_kg += water_kg
