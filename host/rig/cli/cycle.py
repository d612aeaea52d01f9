"""`rig cycle`: the steady-state cycle calculator on the command line.

Why: the rig engineer checks an operating point (and the firmware author the COP-optimal
pressure) without writing Python. Output is a short table, or JSON with --json.
Bad input gives a one-line error on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys


def _p_gc(text: str):
    if text == "opt":
        return "opt"
    return float(text)


def _water(text: str) -> tuple[float, float]:
    try:
        a, b = text.split(":")
        return float(a), float(b)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected IN:OUT in degC, got {text!r}") from None


def add_parsers(subparsers) -> None:
    p = subparsers.add_parser(
        "cycle", help="steady-state CO2 cycle: COP, compressor power, recoverable heat",
        description="Steady-state transcritical CO2 cycle. --app supermarket (the default): "
        "the refrigeration plant with flash-gas bypass and a heat-recovery exchanger "
        "(pinch-limited). --app heatpump: the air-source heat pump heating district-heating "
        "water from --t-return to --t-supply (docs/heatpump.md).")
    _populate(p)
    p.set_defaults(func=main)


def _populate(p: argparse.ArgumentParser) -> None:
    p.add_argument("--app", choices=_APPS, default="supermarket",
                   help="which rig: supermarket (default) or heatpump")
    p.add_argument("--te", type=float, help="supermarket: evaporating temperature, degC")
    p.add_argument("--sh", "--superheat", dest="sh", type=float, default=None,
                   help="superheat, K (supermarket 10, heatpump 5)")
    p.add_argument("--eta-is", type=float, default=None,
                   help="isentropic efficiency (supermarket 0.65, heatpump 0.7)")
    p.add_argument("--t3", type=float, help="supermarket: gas cooler outlet, degC")
    p.add_argument("--p-gc", type=_p_gc, default="opt", help="gas cooler pressure bar a, or opt")
    p.add_argument("--p-rec", type=float, default=35.0, help="receiver pressure, bar a (35)")
    p.add_argument("--q-evap", type=float, default=100.0, help="cooling capacity, kW (100)")
    p.add_argument("--water", type=_water, default=None, help="HR water IN:OUT, degC")
    p.add_argument("--pinch", type=float, default=5.0, help="HRHX pinch, K (5)")
    p.add_argument("--t-cond-min", type=float, default=10.0,
                   help="minimum condensing temperature, degC (10)")
    _populate_heatpump(p)
    p.add_argument("--json", action="store_true", help="print JSON")


def _populate_heatpump(p: argparse.ArgumentParser) -> None:
    p.add_argument("--t-amb", type=float, help="heatpump: outdoor air, degC")
    p.add_argument("--t-return", type=float, help="heatpump: district-heating return, degC")
    p.add_argument("--t-supply", type=float, help="heatpump: supply setpoint, degC")
    p.add_argument("--dt-evap", type=float, default=8.0,
                   help="heatpump: evaporator below the air, K (8)")
    p.add_argument("--approach", type=float, default=3.0,
                   help="heatpump: gas cooler outlet above the return, K (3)")
    p.add_argument("--q-heat", type=float, default=1200.0, help="heatpump: heat output, kW (1200)")
    p.add_argument("--p-max", type=float, default=150.0,
                   help="heatpump: design pressure capping the optimum, bar a (150)")


_APPS = ("supermarket", "heatpump")
# the options each application needs, and those that belong to the other one
_NEEDS = {"supermarket": ("te", "t3"), "heatpump": ("t_amb", "t_return", "t_supply")}
_DEFAULTS = {"supermarket": {"sh": 10.0, "eta_is": 0.65}, "heatpump": {"sh": 5.0, "eta_is": 0.7}}


def _opt(name: str) -> str:
    return "--" + name.replace("_", "-")


def _check_app(a) -> None:
    for name in _NEEDS[a.app]:
        if getattr(a, name) is None:
            raise ValueError(f"--app {a.app} needs {_opt(name)}")
    other = _NEEDS[_APPS[1 - _APPS.index(a.app)]]
    given = [_opt(n) for n in other if getattr(a, n) is not None]
    if given:
        verb = "is" if len(given) == 1 else "are"
        raise ValueError(f"{', '.join(given)} {verb} not an option of --app {a.app}")
    for name, v in _DEFAULTS[a.app].items():
        if getattr(a, name) is None:
            setattr(a, name, v)


def _validate(a) -> None:
    from rig.plant import props as P  # CoolProp tables load here, not at `rig` start-up

    for name in ("te", "t3", "t_cond_min"):
        v = getattr(a, name)
        if v < P.T_TRIPLE_C:
            raise ValueError(f"--{name.replace('_', '-')} {v} degC is below the triple point "
                             f"({P.T_TRIPLE_C:.1f} degC)")
    for name in ("p_gc", "p_rec"):
        v = getattr(a, name)
        if isinstance(v, float) and v > P.P_MAX_BAR:
            raise ValueError(f"--{name.replace('_', '-')} {v} bar is above "
                             f"{P.P_MAX_BAR:.0f} bar")
        if isinstance(v, float) and v <= 0.0:
            raise ValueError(f"--{name.replace('_', '-')} must be positive")
    if a.water is not None and a.water[0] >= a.water[1]:
        raise ValueError(f"--water {a.water[0]:g}:{a.water[1]:g}: IN must be below OUT")


_KEYS = ("p_gc_bar", "cop", "cop_total", "w_comp_kw", "q_gc_kw", "q_hr_kw", "t_discharge_c",
         "m_hp_kg_s", "x_rec", "p_suc_bar")


_HP_KEYS = ("p_gc_bar", "cop_heating", "q_heat_kw", "w_comp_kw", "q_evap_kw", "t_disch_c",
            "t3_c", "te_c", "p_min_supply_bar", "p_opt_free_bar", "cop_loss_per_k_return",
            "cop_lorenz", "m_water_kg_s")


def _solve_supermarket(a) -> dict:
    from rig.plant import cycle

    _validate(a)
    return cycle.solve(a.te, a.sh, a.eta_is, a.t3, a.p_gc, a.p_rec, a.q_evap, water=a.water,
                       pinch_k=a.pinch, t_cond_min_c=a.t_cond_min)


def _solve_heatpump(a) -> dict:
    from rig.plant import hp_cycle

    return hp_cycle.solve(a.t_amb, a.t_return, a.t_supply, a.p_gc, eta_is=a.eta_is,
                          superheat_k=a.sh, dt_evap_k=a.dt_evap, approach_k=a.approach,
                          q_heat_kw=a.q_heat, p_max_bar=a.p_max)


def main(args) -> int:
    try:
        _check_app(args)
        hp = args.app == "heatpump"
        r = _solve_heatpump(args) if hp else _solve_supermarket(args)
    except ValueError as e:
        print(f"rig cycle: error: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({k: (float(v) if isinstance(v, (int, float)) and not isinstance(v, bool)
                              else v) for k, v in r.items()}, sort_keys=True))
    else:
        for k in _HP_KEYS if hp else _KEYS:
            print(f"{k:>22} {r[k]:10.3f}")
    return 0

