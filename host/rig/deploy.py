"""`rig build` and `rig deploy`: the firmware onto a real board.

build: every firmware module compiled with mpy-cross for the board's native
architecture (ESP32: xtensawin, RP2040: armv6m) into build/<mcu>/co2hr/*.mpy, plus
main.py as source (MicroPython runs main.py, it does not import it). The output
depends only on the sources: the same tree gives byte-identical files, and
build/<mcu>/MANIFEST.txt lists each file's size and sha256 so two builds can be
compared at a glance.

build also packs co2hr/ into build/<mcu>/co2hr.romfs, a ROMFS image (mpremote's).

deploy: validates the board file, builds for its MCU, then one mpremote session:
remove the old co2hr/ (a stale .py would shadow its .mpy), write co2hr.romfs to the
board's ROMFS partition, copy main.py and the board file as board.json, write or
remove hil.flag (--hil: the board serves the HIL link instead of running the rig),
reset. --dry-run prints the mpremote command.

ROMFS is the default because of the heap (deploy asks the board first with
`mpremote romfs query` and falls back to the filesystem, with a warning, when it has no
ROMFS partition large enough): MicroPython (1.25+, boards built with a
ROMFS partition) runs the .mpy bytecode in place from flash, so it costs no RAM and
the heap after boot is ~62 KB (make bench, goal < 64 KB). --fs copies co2hr/ to the
filesystem instead, for an interpreter without ROMFS: the bytecode is then copied
into RAM at import (~103 KB after boot).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import rig.fw as fw
from rig.boards import BoardError, board_path, load_board
from rig.targets.base import FirmwareError
from rig.targets.mpy import build_mpy

ARCH = {"esp32": "xtensawin", "rp2040": "armv6m"}
BUILD_DIR = fw.REPO / "build"

# Run on the board before copying: remove co2hr/ recursively and the HIL flag,
# whatever of them exists.
_CLEAN = (
    "import os\n"
    "def _rm(p):\n"
    "    try:\n"
    "        st = os.stat(p)\n"
    "    except OSError:\n"
    "        return\n"
    "    if st[0] & 0x4000:\n"
    "        for n in os.listdir(p):\n"
    "            _rm(p + '/' + n)\n"
    "        os.rmdir(p)\n"
    "    else:\n"
    "        os.remove(p)\n"
    "_rm('co2hr')\n"
    "_rm('hil.flag')\n"
)


@dataclass
class BuildInfo:
    mcu: str
    arch: str
    out: Path
    files: int
    size: int
    romfs_size: int = 0

    def line(self) -> str:
        return (f"build {self.mcu} ({self.arch}): {self.size:,} B in {self.files} files; "
                f"ROMFS image {self.romfs_size:,} B")


def build(out_root: Path = BUILD_DIR, mcus: tuple[str, ...] = tuple(ARCH)) -> list[BuildInfo]:
    """Compile the firmware for each MCU into out_root/<mcu>/ (replaced)."""
    infos = []
    for mcu in mcus:
        arch = ARCH[mcu]
        out = Path(out_root) / mcu
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        build_mpy(fw.FIRMWARE_DIR / "co2hr", out / "co2hr", arch)
        shutil.copyfile(fw.FIRMWARE_DIR / "main.py", out / "main.py")
        romfs_image(out / "co2hr", out / "co2hr.romfs")
        files = sorted(p for p in out.rglob("*") if p.is_file())
        lines = []
        size = 0  # what goes onto the board's filesystem (the image is an alternative)
        for p in files:
            data = p.read_bytes()
            if p.suffix != ".romfs":
                size += len(data)
            lines.append(f"{hashlib.sha256(data).hexdigest()} {len(data):7d} "
                         f"{p.relative_to(out).as_posix()}")
        (out / "MANIFEST.txt").write_text(f"co2hr firmware for {mcu} ({arch})\n"
                                          + "\n".join(lines) + "\n")
        infos.append(BuildInfo(mcu, arch, out, len(files) - 1, size,
                               (out / "co2hr.romfs").stat().st_size))
    return infos


def romfs_image(pkg_dir: Path, image: Path) -> None:
    """A ROMFS image holding pkg_dir as /rom/<pkg> (mpremote romfs build, no recompile)."""
    with tempfile.TemporaryDirectory(prefix="rig-romfs-") as tmp:
        shutil.copytree(pkg_dir, Path(tmp) / pkg_dir.name)
        p = subprocess.run([sys.executable, "-m", "mpremote", "romfs", "--no-mpy",
                            "-o", str(image), "build", tmp], capture_output=True, text=True)
    if p.returncode or not image.exists():
        raise FirmwareError(f"mpremote romfs build failed: {(p.stdout + p.stderr).strip()}")


def deploy_plan(port: str, board_file: Path, mcu_dir: Path, hil: bool,
                romfs: bool = True) -> list[str]:
    """The mpremote arguments (after `mpremote`) for one chained session."""
    code = (["romfs", "deploy", str(mcu_dir / "co2hr.romfs")] if romfs
            else ["fs", "cp", "-r", str(mcu_dir / "co2hr"), ":"])
    cmds = [["connect", port], ["exec", _CLEAN], code,
            ["fs", "cp", str(mcu_dir / "main.py"), ":main.py"],
            ["fs", "cp", str(board_file), ":board.json"]]
    if hil:
        cmds.append(["exec", "open('hil.flag', 'w').close()"])
    cmds.append(["reset"])
    argv = list(cmds[0])
    for k, c in enumerate(cmds[1:]):
        if k:
            argv.append("+")  # mpremote's separator between chained commands
        argv += c
    return argv


def main_build(args) -> int:
    mcus = (args.mcu,) if getattr(args, "mcu", None) else tuple(ARCH)
    try:
        infos = build(Path(args.out), mcus)
    except FirmwareError as e:
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
    mcu = board["mcu"]
    out_root = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="rig-build-"))
    try:
        info = build(out_root, (mcu,))[0]
    except FirmwareError as e:
        print(f"rig deploy: {e}", file=sys.stderr)
        return 1
    print(info.line())
    romfs = not args.fs
    if romfs and not args.dry_run:
        # Ask the board first: an interpreter without a (large enough) ROMFS partition
        # gets the filesystem layout, with a warning, instead of a failed deploy.
        q = subprocess.run([sys.executable, "-m", "mpremote", "connect", args.port,
                            "romfs", "query"], capture_output=True, text=True, timeout=60)
        if q.returncode:
            print(f"rig deploy: cannot query {args.port}: "
                  f"{(q.stdout + q.stderr).strip() or 'mpremote failed'}", file=sys.stderr)
            return 1
        romfs, why = romfs_choice(q.stdout, info.romfs_size)
        if not romfs:
            print(f"rig deploy: {why}: copying the firmware to the filesystem instead (its "
                  "bytecode then takes ~40 KB of heap, see docs/flashing.md)", file=sys.stderr)
    argv = deploy_plan(args.port, path, info.out, args.hil, romfs)
    cmd = [sys.executable, "-m", "mpremote", *argv]
    if args.dry_run:
        print(" ".join(_quote(a) for a in cmd))
        return 0
    print(f"deploying {board['name']} to {args.port}{' (HIL mode)' if args.hil else ''}"
          f" {'into its ROMFS partition' if romfs else 'onto its filesystem'}")
    return subprocess.run(cmd).returncode


def romfs_choice(query_output: str, image_size: int) -> tuple[bool, str]:
    """From the output of `mpremote romfs query`: (write the ROMFS image?, why not)."""
    m = re.search(r"ROMFS0 partition has size (\d+) bytes", query_output)
    if m is None:
        said = [ln.strip() for ln in query_output.splitlines() if "ROMFS" in ln]
        return False, said[0] if said else "no ROMFS partition on the board"
    size = int(m.group(1))
    if size < image_size:
        return False, (f"the ROMFS partition ({size:,} B) is smaller than the image "
                       f"({image_size:,} B)")
    return True, ""


def _quote(a: str) -> str:
    import shlex

    return shlex.quote(a)


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


if __name__ == "__main__":  # python -m rig.deploy build|deploy ...
    p = argparse.ArgumentParser(prog="rig.deploy")
    add_parsers(p.add_subparsers(dest="command", required=True))
    a = p.parse_args()
    sys.exit(a.func(a))
