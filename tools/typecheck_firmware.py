"""Type-check the firmware against the MicroPython stubs of each board port.

Each port's stubs (micropython-esp32-stubs, micropython-rp2-stubs, with the
MicroPython stdlib stubs as typeshed) go into their own folder under
.venv/stubs/<port>, so `machine` resolves to that port's API, not CPython's.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STUBS = {  # port -> pinned stub packages (same pins as pyproject's dev extra)
    "esp32": ["micropython-esp32-stubs==1.29.0.post1", "micropython-stdlib-stubs==1.29.0.post2"],
    "rp2": ["micropython-rp2-stubs==1.29.0.post1", "micropython-stdlib-stubs==1.29.0.post2"],
}


def stub_dir(port: str) -> Path:
    d = REPO / ".venv" / "stubs" / port
    if not (d / "machine.pyi").exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                        "--target", str(d), *STUBS[port]], check=True)
    return d


def check(port: str) -> int:
    d = stub_dir(port)
    env = dict(os.environ, MYPYPATH=str(d))
    cmd = [sys.executable, "-m", "mypy", "--config-file", str(REPO / "tools" / "mypy_firmware.ini"),
           "--custom-typeshed-dir", str(d), "--no-error-summary",
           "--cache-dir", str(REPO / ".venv" / f".mypy_cache_{port}"), "-p", "co2hr"]
    p = subprocess.run(cmd, cwd=REPO / "firmware", env=env, capture_output=True, text=True)
    out = (p.stdout + p.stderr).strip()
    print(f"type check against {port} stubs: {'ok' if p.returncode == 0 else 'FAILED'}")
    if p.returncode:
        print(out)
    return p.returncode


def main() -> int:
    rc = 0
    for port in STUBS:
        rc |= check(port)
    return rc


if __name__ == "__main__":
    sys.exit(main())
