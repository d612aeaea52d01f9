"""The firmware build for each MCU (`rig build`).

Every firmware module is compiled with mpy-cross for the board's native architecture
(ESP32: xtensawin, RP2040: armv6m) into build/<mcu>/co2hr/*.mpy, plus main.py and
bootsel.py as source (MicroPython runs main.py from source), and co2hr/ is packed into
build/<mcu>/co2hr.romfs, the ROMFS image `rig deploy` writes by default. The output
depends only on the sources: the same tree gives byte-identical files, and
build/<mcu>/MANIFEST.txt lists each file's size and sha256 so two builds can be
compared at a glance.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

import rig.fw as fw
from rig.deploy.mpy import compile_tree, romfs_image

ARCH = {"esp32": "xtensawin", "rp2040": "armv6m"}
# Beside the package, as source: MicroPython runs main.py, which imports bootsel.py
# (the boot decision, which must not depend on the package).
TOP_FILES = ("bootsel.py", "main.py")
BUILD_DIR = fw.REPO / "build"


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
        compile_tree(fw.FIRMWARE_DIR / "co2hr", out / "co2hr", arch)
        for name in TOP_FILES:
            shutil.copyfile(fw.FIRMWARE_DIR / name, out / name)
        romfs_image(out / "co2hr", out / "co2hr.romfs")
        files, size = _manifest(out, f"co2hr firmware for {mcu} ({arch})")
        infos.append(BuildInfo(mcu, arch, out, files, size,
                               (out / "co2hr.romfs").stat().st_size))
    return infos


def _manifest(out: Path, title: str) -> tuple[int, int]:
    """Write out/MANIFEST.txt; (files a filesystem deploy copies, their bytes)."""
    files = sorted(p for p in out.rglob("*") if p.is_file())
    lines = []
    size = 0  # what goes onto the board's filesystem (the image is an alternative)
    for p in files:
        data = p.read_bytes()
        if p.suffix != ".romfs":
            size += len(data)
        lines.append(f"{hashlib.sha256(data).hexdigest()} {len(data):7d} "
                     f"{p.relative_to(out).as_posix()}")
    (out / "MANIFEST.txt").write_text(title + "\n" + "\n".join(lines) + "\n")
    return len(files) - 1, size
