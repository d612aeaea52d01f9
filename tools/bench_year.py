"""make bench: how long a closed-loop year (8760 h) takes on sil, extrapolated.

Runs studies/year_supermarket.json (quiet_step_s = 10, record_s = 900, fw_sample_s =
300: docs/studies.md) on sil for the first day of January, April, July and October (one
per season: winter with forced heat recovery, the shoulders, summer), and extrapolates
their mean speed to the year; the line says so. A whole year in one run (`rig year`)
is in docs/studies.md. Also the process's CPU time (on a
machine shared with other work the wall time is what the load left over; the CPU time is
what the run itself cost) and the plant's energy balance over each day. Goal: a
year in <= 20 min on one core (>= 26 000x real time). What a year pays once (the
synthetic reference year's construction) is done before the clock starts, so the two
days' time extrapolates to the year's.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from rig.boards import load_board
from rig.hil import seasonal, trace
from rig.hil.runner import run_one
from rig.plant import year
from rig.targets import open_target

YEAR_H = 8760
DAYS_H = (0.0, 2160.0, 4344.0, 6552.0)  # 1 January, 1 April, 1 July, 1 October
# the closed loop at the 1 s step throughout (winter_day on sil) before the year work
CLOSED_LOOP_DAY_X = 2100.0
SCEN = Path(__file__).resolve().parents[1] / "studies" / "year_supermarket.json"


def main() -> int:
    board = load_board("esp32_devkitc")
    year.reference_year("dk_synthetic")  # (built once per process, cached)
    sim = wall = cpu = 0.0
    days = []
    for start in DAYS_H:
        over = {"duration_s": 86400.0,
                "profiles": {n: {"year": "dk_synthetic", "start_h": start}
                             for n in ("t_amb_c", "q_load_kw", "q_heat_use_kw", "demand_v")}}
        with tempfile.TemporaryDirectory() as tmp, open_target("sil", board) as t:
            t0, c0 = time.perf_counter(), time.process_time()
            r = run_one(SCEN, t, board, Path(tmp), overrides=over, plots=False)
            wall += time.perf_counter() - t0
            cpu += time.process_time() - c0
            s = r["summary"]
            fig = seasonal.figures(trace.read_csv(Path(tmp) / "trace.csv"), 1.0, s["heat"])
        sim += s["duration_s"]
        st = s.get("steps", {})
        days.append((start, fig["energy_balance"]["error"], st.get("quiet", 0),
                     st.get("normal", 0)))
    x = sim / wall
    print(f"closed-loop year (sil, quiet_step_s=10): {sim / 3600:.0f} h (the first day of "
          f"January, April, July, October) in {wall:.1f} s wall -> {x:.0f}x real time "
          f"({x / CLOSED_LOOP_DAY_X:.1f} x the {CLOSED_LOOP_DAY_X:.0f}x of a closed-loop day "
          f"at the 1 s step); extrapolated to 8760 h: {YEAR_H * 3600 / x / 60:.1f} min "
          f"(goal: <= 20 min, >= 26 000x)")
    xc = sim / cpu
    print(f"   CPU time {cpu:.1f} s -> {xc:.0f}x real time per CPU second; extrapolated to "
          f"8760 h: {YEAR_H * 3600 / xc / 60:.1f} min of one core")
    for start, bal, q, n in days:
        b = "-" if bal is None else f"{100 * bal:.2f} %"
        print(f"   day from hour {start:.0f}: {q} quiet / {n} normal steps, energy balance {b}")
    return 0


if __name__ == "__main__":
    rc = main()
    sys.stdout.flush()
    os._exit(rc)
