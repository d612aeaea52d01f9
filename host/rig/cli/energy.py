"""`rig energy`: the operating-state counters per tax season and per month, for the
accountant.

Why: Danish taxation splits a refrigeration plant's recovered heat by season and by
operating state (docs/control.md, "Operating state and counters"): surplus heat from an
unchanged plant pays heat tax in the heating season (1 October - 31 March); a plant in
the heat-pump (forced) state pays electricity tax on its compressor energy and heat tax
only on the heat above three times that energy. The controller keeps the figures per
season and month (input 2000.., 2100..); this prints them, as a table or --csv. Amounts
in money only with the user's own rates (--heat-rate, --el-rate): the rules change and
the rates are not ours to know.
"""

from __future__ import annotations

import csv
import sys

import rig  # noqa: F401  (puts the firmware on sys.path)
from rig.cli.modbus import _run, add_link_args
from rig.regs import energy
from rig.regs.link import Link


def add_parsers(sub) -> None:
    p = sub.add_parser("energy", help="hours, energy and heat per operating state, per "
                       "tax season and month")
    p.add_argument("--csv", action="store_true", help="CSV on stdout instead of a table")
    p.add_argument("--heat-rate", type=float, default=None, metavar="DKK_PER_KWH",
                   help="your heat-tax rate: adds the heat tax per period")
    p.add_argument("--el-rate", type=float, default=None, metavar="DKK_PER_KWH",
                   help="your electricity-tax rate: adds it on the forced state's "
                   "compressor energy")
    add_link_args(p)
    p.set_defaults(func=cmd_energy)


def taxes(p: energy.Period, heat_rate: float | None, el_rate: float | None) -> list:
    """[heat tax, electricity tax] at the user's rates ("" without a rate): heat tax on
    the surplus heat in the heating season and on the forced state's heat above three
    times its compressor energy; electricity tax on the forced state's compressor
    energy."""
    heat = ""
    if heat_rate is not None:
        surplus = p.kwh("hr_refrig_wh") if p.heating else 0.0
        heat = round((surplus + p.heat_above_3x_kwh) * heat_rate, 2)
    el = "" if el_rate is None else round(p.kwh("comp_forced_wh") * el_rate, 2)
    return [heat, el]


def cmd_energy(args) -> int:
    def go(a):
        with Link(a) as link:
            seasons, months = energy.read_calendar(link)
        money = a.heat_rate is not None or a.el_rate is not None
        cols = list(energy.COLUMNS) + (["heat_tax_dkk", "el_tax_dkk"] if money else [])
        rows = [energy.row(p) + (taxes(p, a.heat_rate, a.el_rate) if money else [])
                for p in seasons + months]
        if a.csv:
            w = csv.writer(sys.stdout)
            w.writerow(cols)
            w.writerows(rows)
        else:
            print("  ".join(f"{c:>14}" if i else f"{c:<16}" for i, c in enumerate(cols)))
            for r in rows:
                print("  ".join(f"{v:>14}" if i else f"{v:<16}" for i, v in enumerate(r)))
            print(f"{len(seasons)} seasons, {len(months)} months (newest first; heat and "
                  "energy in kWh, time in h)")
        if money:
            print(f"# amounts at the rates you gave (heat {a.heat_rate} DKK/kWh, electricity "
                  f"{a.el_rate} DKK/kWh), not rates of this program; heat tax: surplus heat "
                  "in the heating season + forced heat above 3 x compressor energy",
                  file=sys.stderr if a.csv else sys.stdout)
        return 0

    return _run(go, args)
