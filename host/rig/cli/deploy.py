"""`rig build` and `rig deploy`: the firmware onto a real board (rig.deploy does the work;
this module parses the options and says what happened)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from rig.boards import BoardError, board_nets, board_path, load_board
from rig.deploy.build import ARCH, BUILD_DIR, build
from rig.deploy.mpy import BuildError
from rig.deploy.session import (
    Deploy,
    Layout,
    command_line,
    copy_steps,
    enter_step,
    mpremote_runner,
    query_step,
)


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


def _check_site(path: Path, board: dict) -> list[str]:
    """The site file's problems for this board ([]: good), by the firmware's own checks."""
    import rig.fw  # noqa: F401  (co2hr importable)
    from co2hr.sitefile import SITE_OK, load

    status, _d, why = load(str(path), list(board_nets(board)))
    return [] if status == SITE_OK else [why]


def _dry_run(port: str, lay: Layout) -> int:
    steps = [enter_step(port, lay.mcu_dir)]
    if lay.romfs:
        steps.append(query_step(port))
    with tempfile.TemporaryDirectory(prefix="rig-deploy-") as tmp:
        steps += copy_steps(port, lay, Path(tmp) / "deploy.sha256")
    for k, st in enumerate(steps, 1):
        print(f"# {k}. {st.name}: {st.what}")
        print(command_line(st.argv))
    if lay.romfs:
        print("# (a board without a large enough ROMFS partition gets the --fs copy)")
    return 0


def main_deploy(args) -> int:
    try:
        path = board_path(args.board)
        board = load_board(path)
    except BoardError as e:
        print(f"rig deploy: {e}", file=sys.stderr)
        return 2
    site = Path(args.site) if args.site else None
    if site is not None:
        errs = _check_site(site, board)
        if errs:
            print(f"rig deploy: site file refused: {errs[0]}", file=sys.stderr)
            return 2
    out_root = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="rig-build-"))
    try:
        info = build(out_root, (board["mcu"],))[0]
    except BuildError as e:
        print(f"rig deploy: {e}", file=sys.stderr)
        return 1
    print(info.line())
    lay = Layout(info.out, path, romfs=not args.fs, hil=args.hil, site_file=site)
    if args.dry_run:
        return _dry_run(args.port, lay)
    print(f"deploying {board['name']} to {args.port}{' (HIL mode)' if args.hil else ''}")
    return Deploy(args.port, lay, info.romfs_size, mpremote_runner())(ask_romfs=True)


def add_parsers(sub) -> None:
    b = sub.add_parser("build", help="compile the firmware with mpy-cross for each MCU",
                       description="Compile firmware/co2hr with mpy-cross into "
                       "build/<mcu>/ (xtensawin for esp32, armv6m for rp2040).")
    b.add_argument("--out", default=str(BUILD_DIR), help="output folder (default: build/)")
    b.add_argument("--mcu", choices=sorted(ARCH), help="only this MCU")
    b.set_defaults(func=main_build)
    d = sub.add_parser("deploy", help="copy the firmware and a board file to a board (mpremote)",
                       description="Build for the board's MCU and deploy it through the "
                       "board's maintenance boot (no watchdog, outputs safe): write the "
                       "firmware into the ROMFS partition (or the filesystem with --fs), "
                       "copy main.py and the board file (as board.json), read every file "
                       "back and compare it with the build, then reset into the new "
                       "firmware. An interrupted deploy leaves the board in maintenance: "
                       "run it again (docs/flashing.md).")
    d.add_argument("--port", required=True, help="serial port, e.g. /dev/ttyUSB0 or COM3")
    d.add_argument("--board", required=True,
                   help="board name (boards/<name>.json) or path to a board file")
    d.add_argument("--hil", action="store_true",
                   help="also write hil.flag: the board serves the HIL link")
    d.add_argument("--fs", action="store_true",
                   help="copy co2hr/ to the filesystem instead of the ROMFS partition (for "
                   "an interpreter without ROMFS; the bytecode then takes ~40 KB of heap)")
    d.add_argument("--site", default=None, metavar="FILE",
                   help="site file (network: Wi-Fi SSID and key, or Ethernet; DHCP or a "
                   "static address) to check and write as site.json; never kept in the "
                   "repository (format: docs/flashing.md)")
    d.add_argument("--out", default=None, help="build folder (default: a temporary one)")
    d.add_argument("--dry-run", action="store_true",
                   help="print the plan's mpremote sessions only")
    d.set_defaults(func=main_deploy)
