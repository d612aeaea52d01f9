"""make bench: simulated seconds per wall second for a closed-loop 24 h day.

The shipped winter_day scenario (plant + simulated board + firmware, dt = 1 s, firmware
status read over Modbus every step) runs a full day on sil. On mpy one control tick
costs milliseconds, so a shorter stretch of the same day is measured and extrapolated
to 24 h; the printed line says so. Goal: a 24 h day closed-loop in under 60 s on sil.
"""

from __future__ import annotations

import os
import sys
import time

from rig.boards import load_board
from rig.hil import runner, scenario
from rig.targets import open_target

DAY_S = 86400.0
MPY_S = 3600.0  # measured on mpy, then extrapolated


def run(target_name: str, board: dict, duration_s: float | None) -> tuple[float, float, str]:
    path = [p for p in scenario.shipped() if p.stem == "winter_day"][0]
    over = {"duration_s": duration_s} if duration_s else None
    sc = scenario.load(path, overrides=over)
    with open_target(target_name, board) as t:
        t0 = time.perf_counter()
        loop = runner.run(sc, t, board)
        wall = time.perf_counter() - t0
    sim = loop.trace["t_s"][-1] if loop.trace["t_s"] else 0.0
    return sim, wall, loop.error or ""


def main() -> int:
    board = load_board("esp32_devkitc")
    sim, wall, err = run("sil", board, None)
    x = sim / wall
    if sim >= DAY_S - 1:
        print(f"closed-loop day (sil): {sim:.0f} s in {wall:.1f} s wall -> {x:.0f}x real time"
              f" (goal: under 60 s)")
    else:
        print(f"closed-loop day (sil): stopped at {sim:.0f} s ({err}); {sim:.0f} s in "
              f"{wall:.1f} s wall -> {x:.0f}x real time, a full day would take "
              f"{DAY_S / x:.1f} s (goal: under 60 s)")
    sim, wall, err = run("mpy", board, MPY_S)
    x = sim / wall
    note = f"; stopped early: {err}" if err else ""
    print(f"closed-loop day (mpy): {sim:.0f} s in {wall:.1f} s wall -> {x:.0f}x real time; "
          f"measured on the first {sim / 3600:.1f} h, extrapolated 24 h: {DAY_S / x:.0f} s"
          f"{note}")
    return 0


if __name__ == "__main__":
    rc = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(rc)  # skip wasmtime's noisy C teardown at interpreter exit
