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
        description="Steady-state transcritical CO2 cycle with flash-gas bypass and a "
        "heat-recovery exchanger (pinch-limited).")
    _populate(p)
    p.set_defaults(func=main)


def _populate(p: argparse.ArgumentParser) -> None:
    p.add_argument("--te", type=float, required=True, help="evaporating temperature, degC")
    p.add_argument("--sh", type=float, default=10.0, help="superheat, K (10)")
    p.add_argument("--eta-is", type=float, default=0.65, help="isentropic efficiency (0.65)")
    p.add_argument("--t3", type=float, required=True, help="gas cooler outlet, degC")
    p.add_argument("--p-gc", type=_p_gc, default="opt", help="gas cooler pressure bar a, or opt")
    p.add_argument("--p-rec", type=float, default=35.0, help="receiver pressure, bar a (35)")
    p.add_argument("--q-evap", type=float, default=100.0, help="cooling capacity, kW (100)")
    p.add_argument("--water", type=_water, default=None, help="HR water IN:OUT, degC")
    p.add_argument("--pinch", type=float, default=5.0, help="HRHX pinch, K (5)")
    p.add_argument("--t-cond-min", type=float, default=10.0,
                   help="minimum condensing temperature, degC (10)")
    p.add_argument("--json", action="store_true", help="print JSON")


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


def main(args) -> int:
    from rig.plant import cycle

    try:
        _validate(args)
        r = cycle.solve(args.te, args.sh, args.eta_is, args.t3, args.p_gc, args.p_rec,
                        args.q_evap, water=args.water, pinch_k=args.pinch,
                        t_cond_min_c=args.t_cond_min)
    except ValueError as e:
        print(f"rig cycle: error: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({k: (float(v) if isinstance(v, (int, float)) and not isinstance(v, bool)
                              else v) for k, v in r.items()}, sort_keys=True))
    else:
        for k in _KEYS:
            print(f"{k:>14} {r[k]:10.3f}")
    return 0

