"""The heat pump's closed loop at one operating point: the firmware's supply loop
(co2hr.hp_supply) and HPEV reference (co2hr.hp_pressure) on the heat pump plant
(rig.plant.hp_plant), with the compressor held at one speed (the heat demand).

The truth the firmware's pressure is judged against is the plant itself: the same loop
run with the HPEV held at fixed pressures, the best steady COP among those that hold
the supply. docs/heatpump.md ("The closed loop") has the figures this gives.
"""

from __future__ import annotations

from dataclasses import dataclass

from co2hr.co2sat import t_sat_c
from co2hr.hp_pressure import HpPressure
from co2hr.hp_supply import HpSupply
from rig.plant.hp_plant import HpPlant, HpState

DT_S = 10.0
SETTLE_S = 5400.0
MEASURE_S = 1800.0
FAN_PCT = 100.0
SETTINGS = {
    "hp_supply_sp_c": 70.0, "hp_supply_boiler_c": 52.0, "hp_wc_on": 0,
    "hp_wc_t_lo_c": -12.0, "hp_wc_t_hi_c": 15.0, "hp_wc_sp_warm_c": 60.0,
    "hp_pump_fail_pct": 60.0, "hp_pump_min_pct": 10.0, "hp_pump_kp": 2.0,
    "hp_pump_ti_s": 60.0, "hp_pump_rate_pct_s": 2.0,
    "hp_p_max_bar": 110.0, "hp_p_supply_margin_bar": 1.0,
}


@dataclass
class Steady:
    supply_err_max_k: float  # |supply - setpoint| over the measuring window
    cop: float  # heat over work, over the window
    p_gc_bar: float
    q_heat_kw: float
    t_evap_c: float
    t3_c: float
    pump_pct: float
    short: int  # the firmware's "supply short"
    last: HpState


def run_point(t_air_c: float, rh: float, t_return_c: float, t_supply_c: float,
              speed_hz: float, p_fixed_bar: float | None = None,
              plant: HpPlant | None = None) -> Steady:
    """SETTLE_S to settle, then MEASURE_S measured; p_fixed_bar holds the HPEV."""
    plant = plant or HpPlant(t_return_c=t_return_c, frost=False)
    sup, hp = HpSupply(), HpPressure()
    settings = {**SETTINGS, "hp_supply_sp_c": t_supply_c}
    sup.configure(settings)
    hp.configure(settings)
    sp = sup.setpoint(t_air_c, True, False)
    st = plant.step(DT_S, speed_hz, 90.0, 50.0, FAN_PCT, t_air_c, rh, t_return_c)
    err, q, w, t = 0.0, 0.0, 0.0, 0.0
    while t < SETTLE_S + MEASURE_S:
        pump = sup.step(DT_S, st.t_supply_c, True, True)
        p_ref = p_fixed_bar if p_fixed_bar is not None else \
            hp.ref(st.t3_c, t_sat_c(st.p_evap_bar), sp, t_return_c)
        st = plant.step(DT_S, speed_hz, p_ref, pump, FAN_PCT, t_air_c, rh, t_return_c)
        t += DT_S
        if t > SETTLE_S:
            err = max(err, abs(st.t_supply_c - sp))
            q += st.q_heat_w
            w += st.w_comp_w
    return Steady(err, q / w, st.p_gc_bar, st.q_heat_w / 1e3, st.t_evap_c, st.t3_c,
                  sup.pi.u, sup.short, st)


def best_fixed(t_air_c: float, rh: float, t_return_c: float, t_supply_c: float,
               speed_hz: float, pressures, tol_k: float = 1.0) -> tuple[float, Steady]:
    """The best steady COP over fixed HPEV pressures that hold the supply within tol_k."""
    best = None
    for p in pressures:
        r = run_point(t_air_c, rh, t_return_c, t_supply_c, speed_hz, p_fixed_bar=p)
        if r.supply_err_max_k <= tol_k and (best is None or r.cop > best[1].cop):
            best = (p, r)
    if best is None:
        raise ValueError("no fixed pressure holds the supply")
    return best
