"""`rig build` and `rig deploy`: the firmware onto a real board (rig.deploy does the work;
this module parses the options and says what happened)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from rig.boards import BoardError, board_path, load_board
from rig.deploy.build import ARCH, BUILD_DIR, build
from rig.deploy.mpy import BuildError
from rig.deploy.session import MPREMOTE, command_line, deploy_plan, query_romfs, romfs_choice


def main_build(args) -> int:
    mcus = (args.mcu,) if args.mcu else tuple(ARCH)
    try:
        infos = build(Path(args.out), mcus)
    except BuildError as e:
        print(f"rig build: {e}", file=sys.stderr)
        return 1
    for info in infos:
        print(info.line() + f"  -> {info.out}")
    return 0


def main_deploy(args) -> int:
    try:
        path = board_path(args.board)
        board = load_board(path)
    except BoardError as e:
        print(f"rig deploy: {e}", file=sys.stderr)
        return 2
    out_root = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="rig-build-"))
    try:
        info = build(out_root, (board["mcu"],))[0]
    except BuildError as e:
        print(f"rig deploy: {e}", file=sys.stderr)
        return 1
    print(info.line())
    romfs = not args.fs
    if romfs and not args.dry_run:
        # Ask the board first: an interpreter without a (large enough) ROMFS partition
        # gets the filesystem layout, with a warning, instead of a failed deploy.
        q = query_romfs(args.port)
        if q.returncode:
            print(f"rig deploy: cannot query {args.port}: "
                  f"{(q.stdout + q.stderr).strip() or 'mpremote failed'}", file=sys.stderr)
            return 1
        romfs, why = romfs_choice(q.stdout, info.romfs_size)
        if not romfs:
            print(f"rig deploy: {why}: copying the firmware to the filesystem instead (its "
                  "bytecode then takes ~40 KB of heap, see docs/flashing.md)", file=sys.stderr)
    argv = deploy_plan(args.port, path, info.out, args.hil, romfs)
    if args.dry_run:
        print(command_line(argv))
        return 0
    print(f"deploying {board['name']} to {args.port}{' (HIL mode)' if args.hil else ''}"
          f" {'into its ROMFS partition' if romfs else 'onto its filesystem'}")
    return subprocess.run([*MPREMOTE, *argv]).returncode


def add_parsers(sub) -> None:
    b = sub.add_parser("build", help="compile the firmware with mpy-cross for each MCU",
                       description="Compile firmware/co2hr with mpy-cross into "
                       "build/<mcu>/ (xtensawin for esp32, armv6m for rp2040).")
    b.add_argument("--out", default=str(BUILD_DIR), help="output folder (default: build/)")
    b.add_argument("--mcu", choices=sorted(ARCH), help="only this MCU")
    b.set_defaults(func=main_build)
    d = sub.add_parser("deploy", help="copy the firmware and a board file to a board (mpremote)",
                       description="Build for the board's MCU, write the firmware into the "
                       "board's ROMFS partition (or its filesystem with --fs), copy main.py and "
                       "the board file (as board.json) with mpremote, then reset.")
    d.add_argument("--port", required=True, help="serial port, e.g. /dev/ttyUSB0 or COM3")
    d.add_argument("--board", required=True,
                   help="board name (boards/<name>.json) or path to a board file")
    d.add_argument("--hil", action="store_true",
                   help="also write hil.flag: the board serves the HIL link")
    d.add_argument("--fs", action="store_true",
                   help="copy co2hr/ to the filesystem instead of the ROMFS partition (for "
                   "an interpreter without ROMFS; the bytecode then takes ~40 KB of heap)")
    d.add_argument("--out", default=None, help="build folder (default: a temporary one)")
    d.add_argument("--dry-run", action="store_true", help="print the mpremote command only")
    d.set_defaults(func=main_deploy)
