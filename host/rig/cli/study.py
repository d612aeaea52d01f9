"""`rig year` (a closed-loop year and its seasonal figures) and `rig sweep` (a parameter
study on Dask).

rig year [--scenario FILE] [--hours H] [--start-h H0] --out DIR
    -> DIR/summary.json (with "seasonal"), DIR/trace.csv; the figures on stdout
rig sweep SPEC --out DIR [--scheduler tcp://HOST:PORT] [--workers N] [--serial]
    -> DIR/results.parquet (or .csv), DIR/summary.html, DIR/runs/<id>.json (resumable)
"""

from __future__ import annotations

import sys
from pathlib import Path

YEAR_SCENARIO = Path(__file__).resolve().parents[3] / "studies" / "year_supermarket.json"


def cmd_year(args) -> int:
    from rig.boards import load_board
    from rig.cli.sim import text_progress
    from rig.hil import report, seasonal
    from rig.hil import trace as trace_mod
    from rig.hil.runner import run_one
    from rig.hil.scenario import ScenarioError

    over: dict = {}
    if args.hours:
        over["duration_s"] = args.hours * 3600.0
    if args.start_h:
        over["profiles"] = {n: {"year": "dk_synthetic", "start_h": args.start_h}
                            for n in ("t_amb_c", "q_load_kw", "q_heat_use_kw", "demand_v")}
    board = load_board(args.board)
    from rig.targets import open_target

    out = Path(args.out)
    try:
        with open_target("sil", board) as target:
            r = run_one(args.scenario, target, board, out, overrides=over or None,
                        progress=None if args.quiet else text_progress(), plots=False)
    except ScenarioError as e:
        print(f"rig year: {e}", file=sys.stderr)
        return 2
    s = r["summary"]
    tr = trace_mod.read_csv(out / "trace.csv")
    fig = seasonal.figures(tr, 1.0, s["heat"])
    s["seasonal"] = fig
    report.write_summary(s, out / "summary.json")
    print(f"{s['scenario']} on sil: {s['duration_s'] / 3600:.0f} h simulated in "
          f"{s['wall_s']:.0f} s wall ({s['speed_x_real_time']:.0f}x real time)")
    for ln in seasonal.lines(fig):
        print(ln)
    if s.get("error"):
        print(f"  run stopped early: {s['error']}")
        return 1
    return 0


def add_parsers(sub) -> None:
    p = sub.add_parser("year", help="a closed-loop year on sil and its seasonal figures",
                       description="Run the supermarket rig through a year (studies/"
                       "year_supermarket.json: a synthetic Danish reference year) closed "
                       "loop on sil and print annual cooling COP, recovered heat per "
                       "operating state and season, extra compressor work and EHR.")
    p.add_argument("--scenario", default=str(YEAR_SCENARIO), help="year scenario file")
    p.add_argument("--hours", type=float, help="run only this many hours (a shorter study)")
    p.add_argument("--start-h", type=float, default=0.0,
                   help="hour of the year the run starts at (default 0: 1 January)")
    p.add_argument("--board", default="esp32_devkitc", help="board file name or path")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_year)
