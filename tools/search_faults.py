"""Search compound faults closed loop for the worst true p_gc (rig.hil.faultsearch).

    .venv/bin/python tools/search_faults.py [--examples 200] [--target sil] [--max-amb 45]

Hypothesis draws the cases (a pressure-sensor fault with a fan failure, a stuck HPEV, a
failed T3 or nothing, at 20..45 degC); every case runs on a fresh firmware. Prints each
case's true p_gc peak and the failed always-checks, then the worst case; exit status 1
when any case failed a check (p_gc above the configured maximum or 110 bar, a relief
valve, a compressor start into a closed HPEV, ...).
"""

from __future__ import annotations

import argparse
import json
import sys

from hypothesis import HealthCheck, given, settings

from rig.boards import load_board
from rig.hil import faultsearch as FS
from rig.targets import open_target


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=200)
    ap.add_argument("--target", default="sil", choices=("sil", "mpy"))
    ap.add_argument("--board", default="esp32_devkitc")
    ap.add_argument("--max-amb", type=float, default=45.0)
    ap.add_argument("--json", help="write every result to this file")
    a = ap.parse_args(argv)
    board = load_board(a.board)
    results: list[dict] = []

    @settings(max_examples=a.examples, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(FS.cases(a.max_amb))
    def one(case):
        with open_target(a.target, board) as t:
            r = FS.run_case(case, t, board)
        results.append(r)
        print(f"{len(results):4d} {r['name']:58s} p_gc {r['p_gc_max_bar']:6.1f} bar "
              f"p_rec {r['p_rec_max_bar']:5.1f} {' '.join(r['failed'])}", flush=True)

    one()
    worst = max(results, key=lambda r: r["p_gc_max_bar"])
    bad = [r for r in results if r["failed"]]
    print(f"\n{len(results)} cases on {a.target}: worst true p_gc {worst['p_gc_max_bar']:.1f} bar "
          f"({worst['name']}, at {worst['p_gc_max_t_s']:.0f} s); worst p_rec "
          f"{max(r['p_rec_max_bar'] for r in results):.1f} bar; "
          f"{len(bad)} cases failed a check")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
