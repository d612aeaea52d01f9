"""Profile the closed-loop year's code path (studies/year_supermarket.json on sil).

Why: issue 19 item 1 (a year >= 26 000x real time) needs to know where a step's CPU goes
(firmware tick, plant, CoolProp, coupling, trace) before anything is made cheaper. Runs
one span of the synthetic reference year under cProfile, prints the steps taken (quiet /
normal) and the top functions by cumulative and own time. Not part of `make bench`.

usage: python tools/profile_year.py [START_H] [DURATION_S] [OUT.prof]
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import tempfile
from pathlib import Path

from rig.boards import load_board
from rig.hil.runner import run_one
from rig.targets import open_target

SCEN = Path(__file__).resolve().parents[1] / "studies" / "year_supermarket.json"
PROFILES = ("t_amb_c", "q_load_kw", "q_heat_use_kw", "demand_v")
N_ROWS = 40  # functions listed per ordering


def main(argv: list[str]) -> int:
    start_h = float(argv[0]) if argv else 0.0
    duration_s = float(argv[1]) if len(argv) > 1 else 21600.0
    out = argv[2] if len(argv) > 2 else None
    board = load_board("esp32_devkitc")
    over = {"duration_s": duration_s,
            "profiles": {n: {"year": "dk_synthetic", "start_h": start_h} for n in PROFILES}}
    prof = cProfile.Profile()
    with tempfile.TemporaryDirectory() as tmp, open_target("sil", board) as t:
        prof.enable()
        r = run_one(SCEN, t, board, Path(tmp), overrides=over, plots=False)
        prof.disable()
    s = r["summary"]
    print(f"from hour {start_h:g}, {duration_s:g} s simulated: steps {s.get('steps')}, "
          f"wall {s.get('wall_s')} s (under the profiler)")
    if out:
        prof.dump_stats(out)
    st = pstats.Stats(prof)
    st.sort_stats("cumulative").print_stats(N_ROWS)
    st.sort_stats("tottime").print_stats(N_ROWS)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
