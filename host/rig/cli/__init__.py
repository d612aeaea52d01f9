"""The `rig` command: one entry point for the bench engineer and the technician.

Each subcommand lives in its own module and registers itself here; this file only
dispatches, so adding a command never touches another command's code.
"""

from __future__ import annotations

import argparse

from rig.cli import (
    alarms,
    clock,
    commission,
    cycle,
    deploy,
    energy,
    events,
    fault,
    modbus,
    run,
    sim,
    study,
)

# Each command group adds its subparsers and sets `func`, in the order `rig --help` lists them.
_COMMANDS = (cycle, deploy, sim, study, modbus, alarms, events, clock, energy, run, fault,
             commission)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="rig",
        description="CO2 heat-recovery rig: simulate, calculate cycles, deploy firmware, "
        "read and set the controller over Modbus.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for group in _COMMANDS:
        group.add_parsers(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
