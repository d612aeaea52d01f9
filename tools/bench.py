"""make bench: run every tools/bench_*.py in turn and print their figures."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ORDER = ["bench_firmware", "bench_control", "bench_plant", "bench_modbus", "bench_build",
         "bench_day", "bench_year"]


def main() -> int:
    tools = Path(__file__).resolve().parent
    found = {p.stem for p in tools.glob("bench_*.py")}
    names = [n for n in ORDER if n in found] + sorted(found - set(ORDER))
    rc = 0
    for name in names:
        print(f"== {name}", flush=True)
        t0 = time.time()
        p = subprocess.run([sys.executable, str(tools / f"{name}.py")], text=True,
                           capture_output=True)
        out = "\n".join(ln for ln in p.stdout.splitlines())
        print(out, flush=True)
        if p.returncode:
            rc = 1
            print(f"   {name} FAILED (exit {p.returncode}):\n{p.stderr[-2000:]}", flush=True)
        print(f"   ({time.time() - t0:.1f} s)", flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
