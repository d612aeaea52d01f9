"""The heat pump's seasonal COP by the EN 14825 bin method, from the cycle calculator and
from the closed loop, side by side.

Why: a heat-pump buyer asks for the SCOP. EN 14825 weighs each 1 K bin of outdoor
temperature by its hours in the reference climate (the *average* climate,
rig.plant.year.EN14825_AVERAGE_BINS: -10..+15 degC, 4 910 h). It weighs the bins by the
building's part load, which falls linearly from 1 at the design temperature (-10 degC) to
0 at 16 degC. SCOP_on = sum(h_j pl_j) / sum(h_j pl_j / COP_j).

Per bin the conditions are these:
* supply: the firmware's own weather curve (co2hr.hp_supply with hp_wc_on = 1 and the
  settings of rig.hil.hp_loop: 70 degC at -12 degC and below, down to 60 degC at 15 degC);
* return: T_RETURN_C;
* compressor speed: proportional to the part load, SPEED_MAX_HZ at design, never below
  SPEED_MIN_HZ.

Three COPs per bin:
* `calculator`: rig.plant.hp_cycle at the bin's air, return and supply with its default
  evaporator and gas-cooler approaches (the design calculation).
* `closed_loop`: the firmware's supply loop and HPEV reference on the heat pump plant
  (rig.hil.hp_loop.run_point), heat over work once settled.
* `calculator_same`: the calculator again, at the evaporating temperature and the gas
  cooler approach the closed loop reached. It is the like-for-like check of the loop's
  pressure choice.

Left out, as the figures say: cycling below the minimum speed (EN 14825's degradation
coefficient), a backup heater below a bivalent point (the unit covers the design load),
defrost (the closed loop runs a dry coil; the defrost day, hil_tests/
test_heatpump_defrost.py, measures its cost), and the auxiliary modes (off, standby,
crankcase heater).
"""

from __future__ import annotations

from co2hr.hp_supply import HpSupply
from rig.hil import hp_loop
from rig.plant import hp_cycle as H
from rig.plant.year import EN14825_AVERAGE_BINS

T_DESIGN_C = -10.0  # EN 14825 average climate's design temperature
T_ZERO_LOAD_C = 16.0  # the part-load line's zero
T_RETURN_C = 35.0  # district heating return
RH = 0.85  # outdoor air humidity (the dry-coil closed loop needs one)
SPEED_MAX_HZ = 70.0
SPEED_MIN_HZ = 30.0
P_MAX_BAR = 110.0  # the unit's design pressure (hp_p_max_bar)
METHODS = ("calculator", "closed_loop", "calculator_same")


def part_load(t_c: float) -> float:
    return (T_ZERO_LOAD_C - t_c) / (T_ZERO_LOAD_C - T_DESIGN_C)


def supply_c(t_c: float) -> float:
    """The firmware's weather curve at t_c."""
    sup = HpSupply()
    sup.configure({**hp_loop.SETTINGS, "hp_wc_on": 1})
    return sup.setpoint(t_c, True, False)


def speed_hz(t_c: float) -> float:
    return min(SPEED_MAX_HZ, max(SPEED_MIN_HZ, SPEED_MAX_HZ * part_load(t_c)))


def point(t_c: float) -> dict:
    """One bin's conditions and its three COPs (a closed loop of ~2 h simulated)."""
    t_sup = supply_c(t_c)
    hz = speed_hz(t_c)
    calc = H.solve(t_c, T_RETURN_C, t_sup, p_max_bar=P_MAX_BAR, return_cost=False)
    r = hp_loop.run_point(t_c, RH, T_RETURN_C, t_sup, hz)
    same = H.solve(t_c, T_RETURN_C, t_sup, dt_evap_k=t_c - r.t_evap_c,
                   approach_k=max(0.5, r.t3_c - T_RETURN_C), p_max_bar=P_MAX_BAR,
                   return_cost=False)
    return {"t_c": t_c, "hours": EN14825_AVERAGE_BINS[int(t_c)], "part_load": part_load(t_c),
            "t_supply_c": t_sup, "speed_hz": hz,
            "calculator": calc["cop_heating"], "closed_loop": r.cop,
            "calculator_same": same["cop_heating"], "p_gc_bar": r.p_gc_bar,
            "p_gc_calc_bar": calc["p_gc_bar"], "supply_err_k": r.supply_err_max_k,
            "short": bool(r.short)}


def scop(points: list[dict], method: str) -> float:
    """SCOP_on of the bins by method: heat demand over the electricity it takes."""
    heat = sum(p["hours"] * p["part_load"] for p in points)
    elec = sum(p["hours"] * p["part_load"] / p[method] for p in points)
    return heat / elec


def run(temps=None, client=None) -> dict:
    """Every bin (or the temps given), on a Dask client when one is given."""
    temps = [float(t) for t in (sorted(EN14825_AVERAGE_BINS) if temps is None else temps)]
    if client is None:
        points = [point(t) for t in temps]
    else:
        points = client.gather(client.map(point, temps, pure=False))
    return {"bins": points, "scop": {m: scop(points, m) for m in METHODS}}


def lines(res: dict) -> list[str]:
    out = [f"{'bin':>5} {'h':>4} {'load':>5} {'supply':>6} {'Hz':>4} {'calc':>5} "
           f"{'loop':>5} {'same':>5} {'p_gc':>6}"]
    for p in res["bins"]:
        out.append(f"{p['t_c']:5.0f} {p['hours']:4d} {p['part_load']:5.2f} "
                   f"{p['t_supply_c']:6.1f} {p['speed_hz']:4.0f} {p['calculator']:5.2f} "
                   f"{p['closed_loop']:5.2f} {p['calculator_same']:5.2f} {p['p_gc_bar']:6.1f}"
                   + ("  supply short" if p["short"] else ""))
    s = res["scop"]
    out.append(f"SCOP_on (EN 14825 average climate, return {T_RETURN_C:g} degC): calculator "
               f"{s['calculator']:.2f}, closed loop {s['closed_loop']:.2f} (the calculator "
               f"at the loop's evaporating temperature and approach: "
               f"{s['calculator_same']:.2f})")
    return out
