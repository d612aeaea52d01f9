"""`rig sim` (one scenario, closed loop) and `rig hil` (every shipped scenario + report).

rig sim --scenario FILE --target sil|mpy|serial [--port P] --out DIR
    -> DIR/trace.csv, DIR/summary.json, DIR/*.png, a progress bar on stderr
rig hil --out DIR [--target T] [--variant full|test] [--only NAME ...]
    -> DIR/<scenario>/..., DIR/report.html with every scenario's plots and metrics
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def _open(args, board):
    from rig.targets import open_target

    if args.target == "serial":
        if not args.port:
            raise SystemExit("rig: --target serial needs --port (e.g. /dev/ttyUSB0)")
        return open_target("serial", board, port=args.port, baud=args.baud)
    return open_target(args.target, board)


def text_progress(stream=None, width: int = 40):
    """A plain-text progress bar for the terminal (carriage return, no dependency)."""
    stream = stream or sys.stderr
    t0 = time.perf_counter()

    def show(t_s: float, total_s: float) -> None:
        f = 0.0 if total_s <= 0 else min(1.0, t_s / total_s)
        bar = "#" * int(f * width) + "-" * (width - int(f * width))
        wall = time.perf_counter() - t0
        speed = t_s / wall if wall > 0 else 0.0
        stream.write(f"\r[{bar}] {f * 100:5.1f}%  {t_s:8.0f}/{total_s:.0f} s sim  "
                     f"{speed:7.0f}x real time")
        if f >= 1.0:
            stream.write("\n")
        stream.flush()

    return show


def cmd_sim(args) -> int:
    from rig.boards import load_board
    from rig.hil.runner import run_one
    from rig.hil.scenario import ScenarioError

    board = load_board(args.board)
    try:
        with _open(args, board) as target:
            r = run_one(args.scenario, target, board, Path(args.out), variant=args.variant,
                        progress=None if args.quiet else text_progress())
    except ScenarioError as e:
        print(f"rig sim: {e}", file=sys.stderr)
        return 2
    s = r["summary"]
    bad = [c for c in r["checks"] if not c[1]]
    print(f"{s['scenario']} on {s['target']}: {s['duration_s']:g} s simulated in "
          f"{s['wall_s']:.1f} s wall; {len(r['checks']) - len(bad)}/{len(r['checks'])} "
          f"checks pass -> {args.out}")
    for n, _ok, d in bad:
        print(f"  FAIL {n}: {d}")
    if s.get("error"):
        print(f"  run stopped early: {s['error']}")
        return 1
    return 0


def cmd_hil(args) -> int:
    from rig.boards import load_board
    from rig.hil import report, scenario
    from rig.hil.runner import run_one

    board = load_board(args.board)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    files = scenario.shipped()
    if args.only:
        files = [f for f in files if f.stem in args.only]
        missing = set(args.only) - {f.stem for f in files}
        if missing:
            print(f"rig hil: no shipped scenario named {sorted(missing)}", file=sys.stderr)
            return 2
    results = []
    t0 = time.perf_counter()
    for i, f in enumerate(files):
        print(f"[{i + 1}/{len(files)}] {f.stem} on {args.target}", file=sys.stderr)
        with _open(args, board) as target:
            r = run_one(f, target, board, out / f.stem,
                        variant=None if args.variant == "full" else args.variant,
                        progress=None if args.quiet else text_progress())
        results.append(r)
        bad = [c for c in r["checks"] if not c[1]]
        for n, _ok, d in bad:
            print(f"  FAIL {n}: {d}", file=sys.stderr)
    report.write_html(results, out / "report.html",
                      title=f"HIL report: {len(files)} scenarios on {args.target}")
    nbad = sum(1 for r in results for c in r["checks"] if not c[1])
    ntot = sum(len(r["checks"]) for r in results)
    print(f"{len(files)} scenarios, {ntot - nbad}/{ntot} checks pass in "
          f"{time.perf_counter() - t0:.0f} s -> {out / 'report.html'}")
    return 1 if nbad else 0


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--target", choices=("sil", "mpy", "serial"), default="sil",
                   help="where the firmware runs (default: sil)")
    p.add_argument("--port", help="serial port of a real board (--target serial)")
    p.add_argument("--baud", type=int, default=115200, help="HIL link baud rate (serial)")
    p.add_argument("--board", default="esp32_devkitc", help="board file name or path")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def add_parsers(sub) -> None:
    p = sub.add_parser("sim", help="run one closed-loop scenario: trace, metrics, plots",
                       description="Run one scenario file closed loop (plant + simulated board "
                       "+ firmware) and write DIR/trace.csv, DIR/summary.json and plots.")
    p.add_argument("--scenario", required=True, help="scenario file (.json or .toml)")
    p.add_argument("--variant", choices=("full", "test"), default="full",
                   help="test: apply the file's shortened `test` table")
    _common(p)
    p.set_defaults(func=cmd_sim)
    p = sub.add_parser("hil", help="run every shipped scenario and write an HTML report",
                       description="Run all scenarios in hil_tests/scenarios and write "
                       "DIR/report.html with plots and a metrics table per scenario.")
    p.add_argument("--variant", choices=("full", "test"), default="full",
                   help="full-length scenarios (default) or their shortened test versions")
    p.add_argument("--only", nargs="*", help="scenario names (file stems) to run")
    _common(p)
    p.set_defaults(func=cmd_hil)
