"""The `rig` command: one entry point for the bench engineer and the technician.

Each subcommand lives in its own module and registers itself here; this file only
dispatches, so adding a command never touches another command's code.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# (module, registration function): each adds its subparsers and sets `func`.
_COMMANDS = (
    ("rig.cli_cycle", "add_parser"),
    ("rig.deploy", "add_parsers"),
    ("rig.cli_sim", "add_parsers"),
    ("rig.cli_modbus", "add_parsers"),
    ("rig.cli_run", "add_parsers"),
)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="rig",
        description="CO2 heat-recovery rig: simulate, calculate cycles, deploy firmware, "
        "read and set the controller over Modbus.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for mod_name, fn_name in _COMMANDS:
        try:
            mod = importlib.import_module(mod_name)
        except ModuleNotFoundError as e:
            if e.name == mod_name:
                continue  # that command is not part of this build yet
            raise
        getattr(mod, fn_name)(sub)
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


if __name__ == "__main__":
    sys.exit(main())
