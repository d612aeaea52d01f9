"""The dynamic plant: the transcritical CO2 booster rig with heat recovery (README,
docs/control.md) as lumped volumes.

Why: the firmware is judged against this. Three CO2 volumes hold mass (and the two
two-phase/low-pressure ones also energy) that only valves and the compressor move:

* high side (discharge line, HRHX, gas cooler, liquid line to the HPEV): the inventory
  M = sum(V_i * rho(p, h_i)) over the heat-exchanger profiles; the CO2 in the heat
  exchangers is quasi-steady (it settles in seconds, far faster than the inventory), so
  the pressure is solved (bracketed secant) for the value whose inventory equals the
  integrated mass, marching HRHX and gas cooler at every trial pressure. States that are
  set by a temperature (stagnant volumes at their metal's or the water's temperature)
  are evaluated at the trial pressure, never as an enthalpy carried over from the last
  step: near the critical point h(p, T) moves by 100 kJ/kg over a few bar, and a carried
  enthalpy made p_gc swing from step to step;
* the gas cooler coil's metal gives it thermal inertia: the air flow, air temperature and
  CO2 flow share its profile reflects follow the actual ones with the metal's time
  constant (Plant._coil_lag), so a fan failure, an ambient step or the bypass closing move
  the pressure over tens of seconds, not in one step;
* receiver and suction volume: mass and internal energy, pressure solved from both.

Mass moves only between these three states, so the total charge is conserved to
round-off. Integrator: explicit, fixed step, internally sub-stepped to <= max_substep_s.
Reference plant (about 100 kW MT cooling): see PlantParams for the sizes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from . import compressor as comp
from . import gas_cooler as gcm
from . import props as P
from . import receiver as rec
from .evaporator import Cases, PackController, PackParams, evaporator_outlet_h
from .hrhx import HRHX
from .valves import Actuator, FirstOrder, kv_flow_kg_s
from .water_loop import CP_W, WaterLoop, WaterParams


@dataclass
class PlantParams:
    """Reference plant: 100 kW MT cooling class (te -10 degC), 2 m3 HR buffer tank."""

    comp: comp.CompressorParams = field(default_factory=comp.CompressorParams)
    gc: gcm.GasCoolerParams = field(default_factory=gcm.GasCoolerParams)
    pack: PackParams = field(default_factory=PackParams)
    water: WaterParams = field(default_factory=WaterParams)
    # CO2 volumes, m3
    v_disch_m3: float = 0.010  # discharge line, oil separator
    v_hrhx_m3: float = 0.006  # HRHX CO2 side (brazed plate)
    v_gc_m3: float = 0.030  # gas cooler tubes and headers
    v_liq_m3: float = 0.006  # gas cooler outlet line to the HPEV
    v_rec_m3: float = 0.25  # receiver
    v_suc_m3: float = 0.15  # suction header, accumulator, evaporator vapour space
    # valves and actuators
    kv_hpev_m3_h: float = 1.2
    kv_bev_m3_h: float = 3.0
    hpev_stroke_s: float = 8.0
    hpev_pos0_pct: float = 50.0  # the HPEV's opening when the run starts (0: closed)
    bev_stroke_s: float = 8.0
    hr_valve_stroke_s: float = 60.0  # 3-way valve motor
    gc_bypass_stroke_s: float = 20.0  # motorised ball valve around the gas cooler
    pump_ramp_s: float = 5.0
    fan_tau_s: float = 5.0  # EC fan spin-up / run-down (the coil's own lag is below)
    # heat-recovery exchanger
    ua_hrhx_w_k: float = 8000.0
    hrhx_m_co2_0_kg_s: float = 0.6
    hrhx_m_w_0_kg_s: float = 0.8
    hrhx_n_seg: int = 8
    # safety
    p_hp_trip_bar: float = 115.0
    p_hp_reset_bar: float = 100.0
    p_relief_hs_bar: float = 120.0  # relief valve on the high side (vents to atmosphere)
    p_relief_rec_bar: float = 90.0  # relief valve on the receiver
    k_relief_rec_kg_s_bar: float = 0.5
    warm_tau_s: float = 20.0  # ... and warms after a start
    coil_tau_s: float = 90.0  # metal + gas hold-up: how fast the high side cools after a stop
    # gas cooler coil metal (copper tubes, aluminium fins): its heat capacity makes the
    # coil's temperature profile follow air flow, ambient and bypass switching with a lag
    gc_coil_mass_kg: float = 300.0
    gc_coil_cp_j_kgk: float = 900.0
    # HRHX plates and the water they hold: the CO2 side keeps giving its heat to them for
    # a while after the pump stops (its profile reflects a lagging water flow)
    hrhx_c_j_k: float = 40e3
    # initial state
    p_gc0_bar: float = 85.0
    p_rec0_bar: float = 35.0
    rec_level0_pct: float = 40.0
    t_amb0_c: float = 20.0
    t_tank0_c: float = 35.0
    max_substep_s: float = 1.0


@dataclass
class Actuators:
    hpev_pct: float = 50.0
    bev_pct: float = 30.0
    hr_valve_pct: float = 0.0  # share of CO2 flow through the HRHX, 0 = all bypassed
    fan_pct: float = 60.0
    hr_pump_pct: float = 0.0
    gc_bypass: int = 0
    comp_enable: int = 1


@dataclass
class Boundary:
    t_amb_c: float = 20.0  # air onto the gas cooler
    q_load_kw: float = 80.0  # cooling demand of the display cases
    q_heat_use_kw: float = 20.0  # heat the consumer draws from the tank
    t_w_return_c: float = 30.0  # consumer's return water temperature into the tank bottom


@dataclass
class Faults:
    fan_failed: bool = False
    hpev_stuck_pct: float | None = None
    bev_stuck_pct: float | None = None


@dataclass
class PlantState:
    t_s: float = 0.0
    p_gc_bar: float = 0.0
    p_rec_bar: float = 0.0
    p_suc_bar: float = 0.0
    t_gc_out_c: float = 0.0
    t_disch_c: float = 0.0
    t_w_in_c: float = 0.0
    t_w_out_c: float = 0.0
    t_tank_c: float = 0.0
    t_amb_c: float = 0.0
    te_c: float = 0.0
    q_evap_kw: float = 0.0
    w_comp_kw: float = 0.0
    q_gc_kw: float = 0.0  # all high-side rejection (HRHX + air)
    q_hr_kw: float = 0.0  # recovered to water
    q_air_kw: float = 0.0
    q_heat_use_kw: float = 0.0
    m_dot_hp_kg_s: float = 0.0  # compressor (high-pressure) flow
    m_dot_hpev_kg_s: float = 0.0
    m_dot_bev_kg_s: float = 0.0
    m_dot_evap_kg_s: float = 0.0
    rec_level_pct: float = 0.0
    cop: float = 0.0
    comp_running: bool = False
    comp_speed_hz: float = 0.0
    hp_switch_ok: bool = True
    energy_kwh: float = 0.0
    heat_kwh: float = 0.0
    water_boiling: bool = False
    hpev_pos_pct: float = 0.0
    bev_pos_pct: float = 0.0
    hr_valve_pos_pct: float = 0.0
    fan_speed_pct: float = 0.0
    m_total_kg: float = 0.0  # CO2 in the plant
    vented_kg: float = 0.0  # CO2 blown off by the relief valves (cumulative)
    relief_open: bool = False


def _check_finite(obj, names) -> None:
    for n in names:
        v = getattr(obj, n)
        if not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ValueError(f"{type(obj).__name__}.{n} = {v!r} is not a finite number")


class Plant:
    def __init__(self, params: PlantParams | None = None):
        self.params = pp = params or PlantParams()
        self.faults = Faults()
        self.state = st = PlantState()
        self.pack = PackController(pp.pack, pp.comp.speed_min_hz, pp.comp.speed_max_hz)
        self.cases = Cases(pp.pack)
        self.hpev = Actuator(pp.hpev_pos0_pct, pp.hpev_stroke_s)
        self.bev = Actuator(30.0, pp.bev_stroke_s)
        self.hr_valve = Actuator(0.0, pp.hr_valve_stroke_s)
        self.gc_bypass = Actuator(0.0, pp.gc_bypass_stroke_s)  # % open
        self.pump = Actuator(0.0, pp.pump_ramp_s)
        self.fan = FirstOrder(60.0, pp.fan_tau_s)
        self.hrhx = HRHX(pp.ua_hrhx_w_k, pp.hrhx_m_co2_0_kg_s, pp.hrhx_m_w_0_kg_s, pp.hrhx_n_seg)
        self.water = WaterLoop(pp.water, pp.t_tank0_c)
        self.hrhx.t_w_out_c = pp.t_tank0_c
        self.t_disch_lag = FirstOrder(pp.t_amb0_c + 60.0, 30.0)
        self._hp_ok = True
        self.vented_kg = 0.0
        self._m_prof_lag = 0.0  # CO2 flow the coil's temperature profile still reflects
        self._h_dis_lag = None  # discharge-line enthalpy relaxing after a stop
        self._coil = None  # [air flow, ambient, flow share] the coil metal has adapted to
        self._m_w_hx = None  # water flow the HRHX profile reflects
        # suction volume: superheated vapour at the pack's set point
        p_suc = self.pack.p_set_bar
        h_suc = evaporator_outlet_h(p_suc, pp.pack.sh_k)
        self.m_suc = P.rho_ph(p_suc, h_suc) * pp.v_suc_m3
        self.u_suc = self.m_suc * h_suc - p_suc * 1e5 * pp.v_suc_m3
        self.p_suc = p_suc
        # receiver: saturated at p_rec0 with the given level
        self.p_rec = pp.p_rec0_bar
        _, hl, hv, rl, rv = P.sat_p(self.p_rec)
        vl = pp.v_rec_m3 * pp.rec_level0_pct / 100.0
        vv = pp.v_rec_m3 - vl
        self.m_rec = rl * vl + rv * vv
        p_pa = self.p_rec * 1e5
        self.u_rec = rl * vl * (hl - p_pa / rl) + rv * vv * (hv - p_pa / rv)
        # high side: profile at the initial pressure, running at a moderate speed
        self.p_gc = pp.p_gc0_bar
        self._bnd = Boundary(t_amb_c=pp.t_amb0_c)
        self._h3 = P.h_pt(self.p_gc, pp.t_amb0_c + 3.0)
        self._slope_hs = 0.5  # last dM/dp of the high side, kg/bar
        self._dt = 1.0
        self._proj: tuple[list, list] | None = None  # the states step_quiet projects
        self.pack.speed_hz = 0.5 * (pp.comp.speed_min_hz + pp.comp.speed_max_hz)
        self._high_side(self.pack.speed_hz, Actuators(), self._bnd)
        self.m_hs = self._gc[4]
        st.t_amb_c = pp.t_amb0_c
        self._publish_static()

    # -- public -----------------------------------------------------------------------

    @property
    def total_mass_kg(self) -> float:
        return self.m_hs + self.m_rec + self.m_suc

    def step(self, dt_s: float, act: Actuators, bnd: Boundary) -> None:
        if not (isinstance(dt_s, (int, float)) and 0.0 < dt_s <= 60.0):
            raise ValueError(f"dt_s = {dt_s!r}: must be 0 < dt <= 60 s")
        _check_finite(act, ("hpev_pct", "bev_pct", "hr_valve_pct", "fan_pct", "hr_pump_pct",
                            "gc_bypass", "comp_enable"))
        _check_finite(bnd, ("t_amb_c", "q_load_kw", "q_heat_use_kw", "t_w_return_c"))
        if not -50.0 <= bnd.t_amb_c <= 60.0:
            raise ValueError(f"t_amb_c = {bnd.t_amb_c}: outside -50..60 degC")
        if bnd.q_load_kw < 0.0 or bnd.q_heat_use_kw < 0.0:
            raise ValueError("loads must not be negative")
        if not 0.0 < bnd.t_w_return_c < 100.0:
            raise ValueError(f"t_w_return_c = {bnd.t_w_return_c}: outside 0..100 degC")
        n = max(1, math.ceil(dt_s / self.params.max_substep_s - 1e-9))
        h = dt_s / n
        for _ in range(n):
            self._substep(h, act, bnd)

    def step_quiet(self, dt_s: float, act: Actuators, bnd: Boundary,
                   inner_s: float = 1.0) -> None:
        """dt_s in one projective step: one ordinary step of inner_s, then every
        continuous state carried on along that step's change for the rest of dt_s
        (projective forward Euler). Valid only where the plant is quiet (nothing fast
        moving: actuators at their commands, pressures settled; rig.hil.quiet decides);
        there the fast modes have died out and what moves (tank, cases, counters) moves
        slowly and linearly. Mass moves between the three volumes only, so the projected
        charge is conserved as in an ordinary step."""
        if dt_s <= inner_s + 1e-9 or self._coil is None or self._h_dis_lag is None:
            self.step(dt_s, act, bnd)  # (not yet run: the lags are not states yet)
            return
        scalars, lists = self._continuous()
        s0 = [getattr(o, a) for o, a in scalars]
        l0 = [list(getattr(o, a)) for o, a in lists]
        self.step(inner_s, act, bnd)
        f = (dt_s - inner_s) / inner_s
        for (o, a), v0 in zip(scalars, s0, strict=True):
            v1 = getattr(o, a)
            if v1 != v0:
                setattr(o, a, v1 + (v1 - v0) * f)
        for (o, a), v0 in zip(lists, l0, strict=True):
            v1 = getattr(o, a)
            for i, x in enumerate(v1):
                v1[i] = x + (x - v0[i]) * f
        self.cases.e_stored_j = max(0.0, self.cases.e_stored_j)
        # The valves, pump and fans are not projected: they travel in seconds, so the 1 s
        # change carried over dt_s would overshoot the command (unstable). They go on
        # travelling at their own rate for the rest of the step instead.
        self._move_actuators(act, dt_s - inner_s)
        st = self.state
        st.p_gc_bar, st.p_rec_bar, st.p_suc_bar = self.p_gc, self.p_rec, self.p_suc
        st.hpev_pos_pct, st.bev_pos_pct = self.hpev.pos_pct, self.bev.pos_pct
        st.hr_valve_pos_pct, st.fan_speed_pct = self.hr_valve.pos_pct, self.fan.y
        self._publish_static()

    def _continuous(self) -> tuple[list, list]:
        """(object, attribute) of every continuous state (floats and float lists of the
        plant and its parts; iteration hints and constants excluded), found once: the
        float states, then the float lists."""
        if self._proj is None:
            parts = [self, self.pack, self.cases, self.hrhx, self.water, self.t_disch_lag]
            scalars, lists = [], []
            for o in parts:
                names = getattr(o, "__slots__", None) or list(vars(o))
                for a in names:
                    if a in _NOT_PROJECTED:
                        continue
                    v = getattr(o, a)
                    if isinstance(v, float):
                        scalars.append((o, a))
                    elif isinstance(v, list) and v and all(isinstance(x, float) for x in v):
                        lists.append((o, a))
            st = self.state
            scalars += [(st, "t_s"), (st, "energy_kwh"), (st, "heat_kwh")]
            self._proj = (scalars, lists)
        return self._proj

    # -- internals ----------------------------------------------------------------------

    def _high_side(self, speed_hz: float, act: Actuators, bnd: Boundary) -> None:
        """Compressor, HRHX and the 3-way valve mix at the current pressures; then the gas
        cooler (self._gc_at). Results are left in self._hs for the flow computation."""
        pp = self.params
        p_gc, p_suc = self.p_gc, self.p_suc
        h_suc = (self.u_suc + p_suc * 1e5 * pp.v_suc_m3) / self.m_suc
        rho_suc = self.m_suc / pp.v_suc_m3
        # the exchanger profiles (and so the inventory) follow the compressor with the lag
        # of pipe and coil metal: warming after a start, cooling after a stop
        if speed_hz > 0.0:
            m = comp.mass_flow_kg_s(rho_suc, speed_hz, p_suc, p_gc, pp.comp)
            h_dis = comp.discharge_h(p_suc, h_suc, p_gc, pp.comp.eta_is)
            h_tgt, m_tgt, tau = h_dis, m, pp.warm_tau_s
        else:
            m = 0.0
            h_dis = h_tgt = P.h_pt(p_gc, bnd.t_amb_c)
            m_tgt, tau = 0.0, pp.coil_tau_s
        if self._h_dis_lag is None:
            self._h_dis_lag, self._m_prof_lag = h_tgt, m_tgt
        a = 1.0 - math.exp(-self._dt / tau)
        self._h_dis_lag += (h_tgt - self._h_dis_lag) * a
        self._m_prof_lag += (m_tgt - self._m_prof_lag) * a
        h_in = self._h_dis_lag  # CO2 reaching the HRHX
        t_dis = P.t_ph(p_gc, h_dis)
        m_p = self._m_prof_lag  # flow that shapes the exchanger profiles
        share = self.hr_valve.pos_pct / 100.0
        m_hr = m_p * share
        m_w = pp.water.m_w_max_kg_s * self.pump.pos_pct / 100.0
        if self._m_w_hx is None:
            self._m_w_hx = m_w
        tau_hx = pp.hrhx_c_j_k / max(m_hr * 2500.0 + m_w * CP_W, 100.0)
        self._m_w_hx += (m_w - self._m_w_hx) * (1.0 - math.exp(-self._dt / tau_hx))
        through = 1.0 - self.gc_bypass.pos_pct / 100.0  # share of the flow through the coil
        m_air, t_amb_c, gc_share = self._coil_lag(
            gcm.air_flow_kg_s(self.fan.y, self.faults.fan_failed, pp.gc), bnd.t_amb_c,
            through, m_p)
        m_gc = m_p * gc_share  # flow the coil's profile reflects
        # the stagnant discharge line sits at its pipe temperature (density at the trial
        # pressure of the solve: near the pseudo-critical line h(p, T) moves by 100 kJ/kg
        # over a few bar, so a held enthalpy made p_gc swing from step to step)
        t_line = self.t_disch_lag.y if m <= 0.0 else None
        self._hs = [m, h_suc, h_dis, t_dis, m_hr, m_w, self.water.t_bottom_c, m_gc, m_air,
                    through, t_amb_c, h_in, m_p, t_line, self._m_w_hx]
        self._gc_at(p_gc, bnd.t_amb_c)

    def _coil_lag(self, m_air: float, t_amb_c: float, share: float,
                  m_co2: float) -> tuple[float, float, float]:
        """Air flow, air temperature and CO2 flow share as the gas cooler coil sees them.

        The coil metal (mass x cp) stores heat: after a fan failure it keeps absorbing the
        CO2's heat while it warms, after the bypass closes the hot gas first meets cold
        metal, after an ambient step the metal follows. Its time constant is the metal's
        heat capacity over the two streams' capacity rates at the new conditions
        (~10 s with the fans running, ~100 s with failed fans). In steady state the lagged
        values equal the actual ones, so the quasi-steady coil law is unchanged."""
        pp = self.params
        tgt = (m_air, t_amb_c, share)
        if self._coil is None:
            self._coil = list(tgt)
            return tgt
        c_rate = m_co2 * 2500.0 + m_air * gcm.CP_AIR  # W/K (CO2 cp ~2.5 kJ/kg K, typical)
        tau = pp.gc_coil_mass_kg * pp.gc_coil_cp_j_kgk / max(c_rate, 100.0)
        a = 1.0 - math.exp(-self._dt / tau)
        c = self._coil
        for i in range(3):
            c[i] += (tgt[i] - c[i]) * a
        return c[0], c[1], c[2]

    def _gc_at(self, p_gc: float, t_amb_c: float) -> float:
        """HRHX, 3-way valve mix, gas cooler and its bypass at pressure p_gc (every trial
        pressure of the solve: the exchangers' outlet states depend on it strongly near
        the critical point); returns the high-side inventory."""
        pp = self.params
        m, _, _, _, m_hr, _, t_w_in, m_gc, m_air, through, t_coil_c, h_in, m_p, t_line, m_w = \
            self._hs
        if m_hr > 1e-4 and m_w > 1e-4:
            h_hr, q_hr, _ = self.hrhx.solve(p_gc, h_in, m_hr, t_w_in, m_w, rho=False)
            t_w_target = self.hrhx.t_w_out_c
        else:
            q_hr = 0.0
            # stagnant CO2 side (valve bypassing) takes the water's temperature; stagnant
            # water with CO2 flowing through takes the CO2's (the boiling case)
            h_hr = P.h_pt(p_gc, t_w_in) if m_hr <= 1e-4 else h_in
            if m_hr > 1e-4:
                t_w_target = P.t_ph(p_gc, h_in)
            else:
                t_w_target = t_w_in if m_w > 1e-4 else self.water.t_hx_out_c
        h_mix = h_in - q_hr / m_p if m_p > 1e-4 else h_in
        q_hr = q_hr / m_p * m if m_p > 1e-4 else 0.0  # heat carried by the actual flow
        # coil profile (stagnant at the metal's temperature when it reflects no flow)
        h_gc, _, rho_gc = gcm.solve(p_gc, h_mix, m_gc, t_coil_c, m_air, pp.gc)
        if m_p > 1e-4:  # coil outlet mixed with the gas bypassing it
            h3 = h_mix + through * (h_gc - h_mix)
            q_air = (h_mix - h3) * m
        else:  # the coil drains to the HPEV after a stop
            h3, q_air = h_gc, 0.0
        t3, rho3, _, _ = P.state_ph(p_gc, h3)
        rho_dis = P.rho_ph(p_gc, h_in) if t_line is None else P.rho_pt(p_gc, t_line)
        m_inv = pp.v_disch_m3 * rho_dis + pp.v_hrhx_m3 * P.rho_ph(p_gc, h_hr) \
            + pp.v_gc_m3 * rho_gc + pp.v_liq_m3 * rho3
        self._gc = (h3, q_air, t3, rho3, m_inv, q_hr, t_w_target)
        return m_inv

    def _solve_p_gc(self, t_amb_c: float) -> None:
        """Pressure whose high-side inventory equals the integrated mass (safeguarded
        secant with a bracket on the exchanger marches; at fixed lagged states the
        inventory rises monotonically with p)."""
        target = self.m_hs
        tol = 1e-4 * target + 1e-3  # ~3 g: a few hundredths of a bar
        p0, m0 = self.p_gc, self._gc[4]
        if abs(m0 - target) < tol:
            return
        lo = hi = None  # brackets (p, m - target)
        f0 = m0 - target
        if f0 < 0:
            lo = (p0, f0)
        else:
            hi = (p0, f0)
        slope = self._slope_hs
        p_min, p_max = rec.P_MIN_BAR, P.P_MAX_BAR
        for _ in range(20):
            step = -f0 / slope
            step = max(-15.0, min(15.0, step))
            p1 = p0 + step
            if lo is not None and hi is not None and not (min(lo[0], hi[0]) < p1 <
                                                            max(lo[0], hi[0])):
                p1 = lo[0] - lo[1] * (hi[0] - lo[0]) / (hi[1] - lo[1])  # regula falsi
            p1 = min(max(p1, p_min), p_max)
            if p1 == p0:
                break
            f1 = self._gc_at(p1, t_amb_c) - target
            if abs(f1) < tol:
                p0 = p1
                break
            if f1 < 0:
                lo = (p1, f1)
            else:
                hi = (p1, f1)
            s = (f1 - f0) / (p1 - p0)
            if s > 1e-4:
                slope = s
                self._slope_hs = min(max(s, 0.05), 50.0)
            else:
                slope *= 2.0
            p0, f0 = p1, f1
        self.p_gc = p0

    def _substep(self, dt: float, act: Actuators, bnd: Boundary) -> None:
        pp, st = self.params, self.state
        self._dt = dt
        hpev, bev = self._move_actuators(act, dt)
        # HP safety switch (latched until the pressure has fallen below the reset level)
        if self._hp_ok and self.p_gc > pp.p_hp_trip_bar:
            self._hp_ok = False
        elif not self._hp_ok and self.p_gc < pp.p_hp_reset_bar:
            self._hp_ok = True
        allowed = act.comp_enable >= 0.5 and self._hp_ok
        speed = self.pack.update(self.p_suc, allowed, dt)
        self._high_side(speed, act, bnd)
        m_comp, h_suc, h_dis, t_dis, _, m_w = self._hs[:6]
        h3, q_air, t3, rho3, _ = self._gc[:5]
        running = speed > 0.0
        # receiver outlets
        p_rec, p_suc = self.p_rec, self.p_suc
        level = rec.level_pct(self.m_rec, p_rec, pp.v_rec_m3)
        h_rec_mean = (self.u_rec + p_rec * 1e5 * pp.v_rec_m3) / self.m_rec
        h_liq, h_vap = rec.outlet_h(p_rec, h_rec_mean, level)
        rho_vap = P.rho_ph(p_rec, h_vap)
        # flows
        m_hpev = kv_flow_kg_s(pp.kv_hpev_m3_h, hpev, rho3 if self.p_gc >= p_rec else
                              self.m_rec / pp.v_rec_m3, self.p_gc, p_rec)
        rho_suc = self.m_suc / pp.v_suc_m3
        m_bev = kv_flow_kg_s(pp.kv_bev_m3_h, bev, rho_vap if p_rec >= p_suc else rho_suc,
                             p_rec, p_suc)
        # no valve may move more mass in one step than would equalise its two sides
        # (explicit Euler would overshoot near dp = 0); C = lower bounds of dM/dp
        c_hs = 0.5 * self._slope_hs
        c_rec = pp.v_rec_m3 * rho_vap / (1.6 * p_rec)
        c_suc = pp.v_suc_m3 * rho_suc / (1.6 * p_suc)
        m_hpev = _limit(m_hpev, self.p_gc - p_rec, c_hs, c_rec, dt)
        m_bev = _limit(m_bev, p_rec - p_suc, c_rec, c_suc, dt)
        h_bev = h_vap if m_bev >= 0.0 else h_suc
        h_hpev = h3 if m_hpev >= 0.0 else h_rec_mean
        te_c = P.t_sat_c(p_suc) if p_suc < P.P_CRIT_BAR - P.GUARD_BAR else 99.0
        q_evap_kw = self.cases.evap_kw(bnd.q_load_kw, te_c, level)
        h_eo = evaporator_outlet_h(p_suc, pp.pack.sh_k) if q_evap_kw > 0.0 else h_suc
        if q_evap_kw > 0.0 and h_eo - h_liq > 20e3 and p_rec > p_suc:
            m_evap = q_evap_kw * 1e3 / (h_eo - h_liq)
            # the case valves need a pressure difference: with the pack stopped the
            # vapour they make fills the suction side up to the receiver pressure only
            m_lim = _limit(m_evap, p_rec - p_suc, c_rec, c_suc, dt)
            if m_lim < m_evap:
                q_evap_kw *= m_lim / m_evap
                m_evap = m_lim
        else:
            q_evap_kw = 0.0
            h_eo, m_evap = h_suc, 0.0
        # conservation: mass moves only between the three volumes
        self.m_hs += (m_comp - m_hpev) * dt
        self.m_rec += (m_hpev - m_evap - m_bev) * dt
        self.u_rec += (m_hpev * h_hpev - m_evap * h_liq - m_bev * h_bev) * dt
        self.m_suc += (m_evap + m_bev - m_comp) * dt
        self.u_suc += (m_evap * h_eo + m_bev * h_bev - m_comp * h_suc) * dt
        self.cases.update(bnd.q_load_kw, q_evap_kw, dt)
        if min(self.m_hs, self.m_rec, self.m_suc) <= 0.0:
            raise ValueError("a CO2 volume ran empty: the step is far too long for the flows")
        # pressures
        self._solve_p_gc(bnd.t_amb_c)
        relief = self._relieve(p_rec, h_vap, bnd.t_amb_c, dt)
        self.p_rec = rec.pressure_from_mu(self.m_rec, self.u_rec, pp.v_rec_m3, p_rec)
        self.p_suc = rec.pressure_from_mu(self.m_suc, self.u_suc, pp.v_suc_m3, p_suc)
        # water loop (HRHX as evaluated at the solved pressure)
        q_hr, t_w_target = self._gc[5], self._gc[6]
        self.water.step(dt, m_w, t_w_target, bnd.q_heat_use_kw * 1e3, bnd.t_w_return_c)
        # sensors and bookkeeping
        w_kw = m_comp * (h_dis - h_suc) / 1e3
        st.t_s += dt
        st.energy_kwh += w_kw * dt / 3600.0
        st.heat_kwh += q_hr * dt / 3.6e6
        st.p_gc_bar, st.p_rec_bar, st.p_suc_bar = self.p_gc, self.p_rec, self.p_suc
        st.t_gc_out_c = t3
        st.t_disch_c = self.t_disch_lag.update(t_dis if running else bnd.t_amb_c, dt)
        st.t_amb_c = bnd.t_amb_c
        st.te_c = P.t_sat_c(self.p_suc)
        st.q_evap_kw = q_evap_kw
        st.w_comp_kw = w_kw
        st.q_hr_kw = q_hr / 1e3
        st.q_air_kw = q_air / 1e3
        st.q_gc_kw = (q_hr + q_air) / 1e3
        st.q_heat_use_kw = self.water.q_use_w / 1e3
        st.m_dot_hp_kg_s = m_comp
        st.m_dot_hpev_kg_s = m_hpev
        st.m_dot_bev_kg_s = m_bev
        st.m_dot_evap_kg_s = m_evap
        st.rec_level_pct = level
        st.cop = q_evap_kw / w_kw if w_kw > 1e-6 else 0.0
        st.comp_running = running
        st.comp_speed_hz = speed
        st.hp_switch_ok = self._hp_ok
        st.hpev_pos_pct = self.hpev.pos_pct
        st.bev_pos_pct = self.bev.pos_pct
        st.hr_valve_pos_pct = self.hr_valve.pos_pct
        st.fan_speed_pct = self.fan.y
        st.relief_open = relief
        self._publish_static()

    def _move_actuators(self, act: Actuators, dt: float) -> tuple[float, float]:
        """Valves, pump and fans toward their commands (a stuck valve stays); the HPEV
        and BEV openings as fractions."""
        f = self.faults
        self.hpev.stuck_pct = f.hpev_stuck_pct
        self.bev.stuck_pct = f.bev_stuck_pct
        hpev = self.hpev.move(act.hpev_pct, dt) / 100.0
        bev = self.bev.move(act.bev_pct, dt) / 100.0
        self.hr_valve.move(act.hr_valve_pct, dt)
        self.gc_bypass.move(100.0 if act.gc_bypass >= 0.5 else 0.0, dt)
        self.pump.move(act.hr_pump_pct, dt)
        self.fan.update(min(100.0, max(0.0, act.fan_pct)), dt)
        return hpev, bev

    def _relieve(self, p_rec: float, h_vap: float, t_amb_c: float, dt: float) -> bool:
        """The relief valves: the high side blows off what does not fit at its relief
        pressure, the receiver vents vapour above its own. True when either is open."""
        pp = self.params
        relief = False
        if self.p_gc > pp.p_relief_hs_bar:
            self.p_gc = pp.p_relief_hs_bar
            m_fit = self._gc_at(self.p_gc, t_amb_c)
            if m_fit < self.m_hs:
                self.vented_kg += self.m_hs - m_fit
                self.m_hs = m_fit
            relief = True
        if p_rec > pp.p_relief_rec_bar:
            m_v = min(pp.k_relief_rec_kg_s_bar * (p_rec - pp.p_relief_rec_bar) * dt,
                      0.5 * self.m_rec)
            self.m_rec -= m_v
            self.u_rec -= m_v * h_vap
            self.vented_kg += m_v
            relief = True
        return relief

    def _publish_static(self) -> None:
        st = self.state
        st.t_w_in_c = self.water.t_bottom_c
        st.t_w_out_c = self.water.t_hx_out_c
        st.t_tank_c = self.water.t_top_c
        st.water_boiling = st.t_w_out_c >= 100.0
        st.m_total_kg = self.total_mass_kg
        st.vented_kg = self.vented_kg
        if st.p_gc_bar == 0.0:
            st.p_gc_bar, st.p_rec_bar, st.p_suc_bar = self.p_gc, self.p_rec, self.p_suc
            st.t_gc_out_c = P.t_ph(self.p_gc, self._h3)
            st.t_disch_c = self.t_disch_lag.y
            st.te_c = P.t_sat_c(self.p_suc)
            st.rec_level_pct = rec.level_pct(self.m_rec, self.p_rec, self.params.v_rec_m3)
            st.hp_switch_ok = True
            st.hpev_pos_pct, st.bev_pos_pct = self.hpev.pos_pct, self.bev.pos_pct


# Not projected: solver hints and per-step values, and the fast states: the CO2 masses,
# energies and pressures of the three volumes settle within seconds (the valve flows
# equalise them), so each inner step brings them to the equilibrium the slow states set
# (projecting them along an inner step's change is unstable: their mode decays fast).
_NOT_PROJECTED = frozenset(("_slope_hs", "_dt", "_h3", "stroke_s", "tau_s", "q_use_w",
                            "m_layer_kg", "m_hs", "m_rec", "u_rec", "m_suc", "u_suc",
                            "p_gc", "p_rec", "p_suc", "speed_hz"))


def _limit(m: float, dp_bar: float, c_up: float, c_down: float, dt: float) -> float:
    m_eq = 0.8 * abs(dp_bar) / ((1.0 / c_up + 1.0 / c_down) * dt)
    return max(-m_eq, min(m_eq, m))


__all__ = ["Plant", "PlantParams", "Actuators", "Boundary", "Faults", "PlantState", "CP_W"]
