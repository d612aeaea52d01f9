"""`rig year` (a closed-loop year and its seasonal figures) and `rig sweep` (a parameter
study on Dask).

rig year [--scenario FILE] [--hours H] [--start-h H0] --out DIR
    -> DIR/summary.json (with "seasonal"), DIR/trace.csv; the figures on stdout
rig scop [--workers N] [--json FILE]
    -> the heat pump's SCOP by the EN 14825 bin method: calculator and closed loop
rig sweep SPEC --out DIR [--scheduler tcp://HOST:PORT] [--workers N] [--serial]
    -> DIR/results.parquet (or .csv), DIR/summary.html, DIR/runs/<id>.json (resumable)
"""

from __future__ import annotations

import sys
from pathlib import Path

YEAR_SCENARIO = Path(__file__).resolve().parents[3] / "studies" / "year_supermarket.json"


def local_cluster(n_workers: int):
    """A LocalCluster of n single-threaded worker processes for closed-loop runs. The
    workers' statistical profiler is off: it samples the running task's stack every
    10 ms, and a closed-loop run is pure Python holding the GIL (two one-day runs took
    32.8 s each with it, 30.8 s without; 32.5 s alone in a plain process)."""
    import dask
    from distributed import LocalCluster

    with dask.config.set({"distributed.worker.profile.enabled": False}):
        return LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                            dashboard_address=None)


def _year_sampled(args) -> int:
    """The 15th of every month, each day's figures x its month's days."""
    import json
    import time

    from rig.hil import seasonal

    t0 = time.perf_counter()
    months = list(range(12))
    if args.workers > 1:
        from distributed import Client, as_completed

        with local_cluster(args.workers) as lc, Client(lc) as client:
            futs = [client.submit(seasonal.month_day, args.scenario, m, args.board,
                                  pure=False, retries=2) for m in months]
            days = [f.result() for f in as_completed(futs)]
    else:
        days = []
        for m in months:
            days.append(seasonal.month_day(args.scenario, m, args.board))
            if not args.quiet:
                print(f"  {seasonal.MONTHS[m]}: {days[-1]['wall_s']:.0f} s", file=sys.stderr)
    wall = time.perf_counter() - t0
    fig = seasonal.year_from_days(days)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "year.json").write_text(json.dumps({"year": fig, "days": days}, indent=1) + "\n")
    sim_h = 12 * (24 + seasonal.SAMPLE_WARMUP_H)
    run_s = sum(d["wall_s"] for d in days)
    print(f"year from 12 sampled days (the 15th of each month, {seasonal.SAMPLE_WARMUP_H:g} h "
          f"warm-up each, weighted by the month's days): {sim_h:.0f} h simulated in "
          f"{run_s:.0f} s of runs ({sim_h * 3600 / run_s:.0f}x real time), {wall:.0f} s wall")
    for ln in seasonal.lines(fig):
        print(ln)
    bad = [d for d in days if d.get("error")]
    for d in bad:
        print(f"  {seasonal.MONTHS[d['month']]}: run stopped early: {d['error']}")
    return 1 if bad else 0


def cmd_year(args) -> int:
    if args.sample_days:
        return _year_sampled(args)
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


def _bar(stream=None, width: int = 40):
    """done/total runs as a text bar (the runs finish whole, so it counts runs)."""
    import time

    stream = stream or sys.stderr
    t0 = time.perf_counter()

    def show(done: int, total: int) -> None:
        f = done / total if total else 1.0
        stream.write(f"\r[{'#' * int(f * width)}{'-' * (width - int(f * width))}] "
                     f"{done}/{total} runs  {time.perf_counter() - t0:6.0f} s")
        if done >= total:
            stream.write("\n")
        stream.flush()

    return show


def cmd_sweep(args) -> int:
    from rig.hil import sweep

    try:
        spec = sweep.load_spec(args.spec)
        if args.hours:  # every run shortened (a quick look; its own run ids)
            spec.setdefault("overrides", {})["duration_s"] = args.hours * 3600.0
        sweep.expand(spec)
    except (sweep.SpecError, OSError, ValueError) as e:
        print(f"rig sweep: {e}", file=sys.stderr)
        return 2
    out = Path(args.out)
    prog = None if args.quiet else _bar()
    if args.serial:
        r = sweep.run_sweep(spec, out, None, prog)
    else:
        from distributed import Client

        if args.scheduler:
            client, cluster = Client(args.scheduler), None
        else:
            cluster = local_cluster(args.workers)
            client = Client(cluster)
        try:
            r = sweep.run_sweep(spec, out, client, prog)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    print(f"{spec['name']}: {r['runs']} runs ({r['ran']} run now, {r['skipped']} already "
          f"done) in {r['wall_s']:.1f} s -> {out / 'results.parquet'}, "
          f"{out / 'summary.html'}")
    return 0


def cmd_scop(args) -> int:
    import json

    from rig.hil import scop

    if args.workers > 1:
        from distributed import Client

        with local_cluster(args.workers) as cluster, Client(cluster) as client:
            res = scop.run(client=client)
    else:
        res = scop.run()
    for ln in scop.lines(res):
        print(ln)
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1) + "\n")
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
    p.add_argument("--sample-days", action="store_true",
                   help="the year from 12 sampled days (the 15th of each month, weighted by "
                   "the month's days) instead of 8760 h in one run")
    p.add_argument("--workers", type=int, default=1,
                   help="--sample-days on a Dask LocalCluster of this many workers")
    p.add_argument("--board", default="esp32_devkitc", help="board file name or path")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_year)
    p = sub.add_parser("scop", help="the heat pump's SCOP (EN 14825 bins): calculator and "
                       "closed loop", description="The heat pump's seasonal COP by the EN "
                       "14825 bin method (average climate, -10..15 degC): from the cycle "
                       "calculator and from the closed loop (firmware supply loop and HPEV "
                       "reference on the plant), side by side. docs/studies.md")
    p.add_argument("--workers", type=int, default=2,
                   help="Dask LocalCluster worker processes (default 2; 1: in this process)")
    p.add_argument("--json", help="write the bins and the SCOPs to this file")
    p.set_defaults(func=cmd_scop)
    p = sub.add_parser("sweep", help="a parameter study on Dask (scenario x settings x plant)",
                       description="Run every variant of a sweep spec closed loop on sil, in "
                       "parallel on a Dask cluster (a LocalCluster by default); resumable: "
                       "runs already in DIR/runs are skipped. Writes DIR/results.parquet, "
                       "DIR/results.csv and DIR/summary.html (Pareto plot). docs/studies.md")
    p.add_argument("spec", help="sweep spec (.json or .toml)")
    p.add_argument("--out", required=True, help="output directory (also the resume state)")
    p.add_argument("--scheduler", help="an existing Dask scheduler, tcp://HOST:PORT")
    p.add_argument("--workers", type=int, default=2,
                   help="LocalCluster worker processes (default 2; one thread each)")
    p.add_argument("--hours", type=float,
                   help="shorten every run to this many hours (overrides duration_s)")
    p.add_argument("--serial", action="store_true",
                   help="run in this process, one after the other (no Dask)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sweep)
