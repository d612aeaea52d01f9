"""Compare two sets of closed-loop traces column by column.

Used to show that a change which must not alter behaviour (a refactoring) leaves every
shipped scenario's trace as it was:

    rig hil --out build/before --quiet          # on the old revision
    rig hil --out build/after --quiet           # on the new one
    python tools/compare_traces.py build/before build/after

Each DIR holds one sub-directory per scenario with its trace.csv (as `rig hil` and
`rig sim` write them). Cells are compared as the text the runner wrote, so any change in
any digit of any signal at any time step counts. Prints one line per scenario (rows,
columns, identical or the columns that differ with the first time and the largest
difference) and exits 1 when anything differs or a scenario is missing on one side.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path


def _num(s: str) -> float | None:
    try:
        return float(s)
    except ValueError:
        return None


def compare(a: Path, b: Path) -> list[str]:
    """Differences between two trace.csv files, one line per column that differs."""
    with open(a, newline="") as fa, open(b, newline="") as fb:
        ra, rb = list(csv.reader(fa)), list(csv.reader(fb))
    if not ra or not rb:
        return ["empty trace"]
    ha, hb = ra[0], rb[0]
    out = []
    if ha != hb:
        gone, new = sorted(set(ha) - set(hb)), sorted(set(hb) - set(ha))
        out.append(f"columns differ: only before {gone}, only after {new}")
    if len(ra) != len(rb):
        out.append(f"rows differ: {len(ra) - 1} before, {len(rb) - 1} after")
    cols = [c for c in ha if c in hb]
    ia, ib = {c: i for i, c in enumerate(ha)}, {c: i for i, c in enumerate(hb)}
    t_col = ia.get("t_s", 0)
    for c in cols:
        first, worst, n = None, 0.0, 0
        for row_a, row_b in zip(ra[1:], rb[1:], strict=False):
            va, vb = row_a[ia[c]], row_b[ib[c]]
            if va == vb:
                continue
            n += 1
            if first is None:
                first = row_a[t_col]
            xa, xb = _num(va), _num(vb)
            if xa is not None and xb is not None:
                worst = max(worst, abs(xa - xb))
        if n:
            out.append(f"{c}: {n} rows differ, first at t={first} s, largest difference "
                       f"{worst:g}")
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print("usage: compare_traces.py BEFORE_DIR AFTER_DIR", file=sys.stderr)
        return 2
    before, after = Path(argv[0]), Path(argv[1])
    names = sorted({p.parent.name for d in (before, after) for p in d.glob("*/trace.csv")})
    if not names:
        print(f"no */trace.csv under {before} or {after}", file=sys.stderr)
        return 2
    bad = 0
    for name in names:
        a, b = before / name / "trace.csv", after / name / "trace.csv"
        if not a.exists() or not b.exists():
            print(f"{name}: missing {'before' if not a.exists() else 'after'}")
            bad += 1
            continue
        diffs = compare(a, b)
        with open(a, newline="") as f:
            rows = sum(1 for _ in f) - 1
        if diffs:
            bad += 1
            print(f"{name}: DIFFERENT ({rows} rows)")
            for d in diffs:
                print(f"  {d}")
        else:
            ncol = len(a.open().readline().split(","))
            print(f"{name}: identical ({rows} rows x {ncol} columns)")
    print(f"{len(names) - bad} of {len(names)} scenarios identical")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
