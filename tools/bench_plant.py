"""Plant speed: simulated seconds per wall second for a 24 h day at the scenario step.

Runs the reference plant through a Danish winter day with heat recovery on (the HRHX
path is the costliest) at dt = 1 s on one core and prints one line.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "host"))

from rig.plant import Actuators, Plant, profiles  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--dt", type=float, default=1.0)
    a = ap.parse_args(argv)
    day = profiles.danish_winter_day()
    plant = Plant()
    act = Actuators(hpev_pct=45.0, bev_pct=30.0, hr_valve_pct=100.0, fan_pct=30.0,
                    hr_pump_pct=50.0)
    n = int(a.hours * 3600 / a.dt)
    t0 = time.perf_counter()
    for i in range(n):
        plant.step(a.dt, act, day.boundary(i * a.dt))
    wall = time.perf_counter() - t0
    print(f"plant: {a.hours:g}h day at dt={a.dt:g}s in {wall:.1f} s wall -> "
          f"{n * a.dt / wall:.0f}x real time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
