"""The trace of a closed-loop run: one column per signal, one row per step, and its CSV
file (trace.csv).

Column prefixes: `bnd.` boundary (profiles), `plant.` plant state (truth), `out.`
firmware outputs, `fw.` firmware status, counters and alarm words (read over Modbus, as
first seen; NaN while the board has no power or between samples when fw_sample_s > dt),
`fw.ticks`/`fw.overruns`/`fw.booted` the loop's counters, `event` what fired at that
step. Every name carries its unit.
"""

from __future__ import annotations

import csv
import math
from dataclasses import fields
from pathlib import Path

from co2hr.io import OUTPUTS
from rig.plant import PlantState

PLANT_COLS = [f.name for f in fields(PlantState) if f.name != "t_s"]
WEIGHT_COL = "w_s"
# in weighted rows: the highest p_gc over the row's interval (a row's p_gc is the state at
# its start; a peak between rows, an HP stop, would be lost to the limit checks)
PEAK_COL = "plant.p_gc_peak_bar"
# in weighted rows: means over the row's interval (the energies integrate exactly)
MEAN_COLS = ("plant.w_comp_kw", "plant.q_hr_kw", "plant.q_evap_kw", "plant.q_gc_kw",
             "plant.q_air_kw", "plant.q_heat_use_kw", "bnd.q_load_kw", "plant.relief_open")
# (column, from the boundary?, the boundary key or state attribute)
_MEAN_SRC = tuple((c, c.startswith("bnd."), c[4:] if c.startswith("bnd.") else c[6:])
                  for c in MEAN_COLS)


class Trace:
    """Rows appended step by step into `cols` (a dict of equal-length lists)."""

    def __init__(self, profile_names, weighted: bool = False) -> None:
        self.profile_names = list(profile_names)
        names = (["t_s"] + ["bnd." + k for k in self.profile_names]
                 + ["plant." + c for c in PLANT_COLS] + ["out." + o for o in OUTPUTS]
                 + ["fw.ticks", "fw.overruns", "fw.booted", "event"])
        if weighted:  # rows of unequal length: each row's seconds (metrics weigh by them)
            names += [WEIGHT_COL, PEAK_COL]
        self.cols: dict[str, list] = {c: [] for c in names}
        self._acc: dict[str, float] = {}  # weighted: power x seconds since the last row
        self._acc_s = 0.0
        self._fw_names: list[str] = []  # the firmware values, in the order first seen

    def add(self, t_s: float, bnd: dict, state, outputs, loop_counts: tuple, labels: list,
            fw: dict[str, float]) -> None:
        """One row: the boundary, the plant state the firmware saw, its outputs, its
        (ticks, overruns, booted), the event labels and the firmware values sampled."""
        tr = self.cols
        for nm in fw:
            if "fw." + nm not in tr:  # first seen: pad the rows before
                tr["fw." + nm] = [math.nan] * len(tr["t_s"])
                self._fw_names.append(nm)
        tr["t_s"].append(t_s)
        for key in self.profile_names:
            tr["bnd." + key].append(bnd[key])
        for c in PLANT_COLS:
            tr["plant." + c].append(float(getattr(state, c)))
        for o, v in zip(OUTPUTS, outputs, strict=False):
            tr["out." + o].append(float(v))
        ticks, overruns, booted = loop_counts
        tr["fw.ticks"].append(ticks)
        tr["fw.overruns"].append(overruns)
        tr["fw.booted"].append(booted)
        tr["event"].append("; ".join(labels))
        for nm in self._fw_names:
            tr["fw." + nm].append(fw.get(nm, math.nan))
        if WEIGHT_COL in tr:
            tr[WEIGHT_COL].append(math.nan)  # open until close_row()
            tr[PEAK_COL].append(float(state.p_gc_bar))

    def accumulate(self, bnd: dict, state, dt_s: float) -> None:
        """Weighted rows: one step of dt_s into the last row's interval means."""
        acc = self._acc
        for c, is_bnd, key in _MEAN_SRC:
            v = bnd[key] if is_bnd else getattr(state, key)
            acc[c] = acc.get(c, 0.0) + float(v) * dt_s
        self._acc_s += dt_s
        peak = self.cols[PEAK_COL]
        if state.p_gc_bar > peak[-1]:
            peak[-1] = float(state.p_gc_bar)

    def close_row(self) -> None:
        """Weighted rows: the last row's power columns become the means over its interval
        (what the steps accumulated), its weight the interval's length."""
        tr = self.cols
        col = tr.get(WEIGHT_COL)
        if not col or col[-1] == col[-1]:  # (unweighted, or closed: not NaN)
            return
        w = self._acc_s
        tr[WEIGHT_COL][-1] = w
        if w > 0.0:
            for c, a in self._acc.items():
                if c in tr:
                    tr[c][-1] = a / w
        self._acc.clear()
        self._acc_s = 0.0

    def first_at(self, t_s: float, names) -> dict[str, float]:
        """fw.<name> values at the first sample at or after t_s (the boot values when
        t_s lies before the run; NaN samples skipped)."""
        tr = self.cols
        ts = tr["t_s"]
        i = next((j for j, t in enumerate(ts) if t >= t_s), len(ts) - 1)
        out = {}
        for c in names:
            col = tr.get("fw." + c)
            if col and i >= 0:
                vals = [v for v in col[i:] if v == v]  # first non-NaN sample from i on
                if vals:
                    out[c] = vals[0]
        return out


def write_csv(trace: dict, path: Path) -> None:
    """Floats as %.6g, NaN as an empty cell."""
    cols = list(trace)
    n = len(trace["t_s"])
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for k in range(n):
            row = []
            for c in cols:
                v = trace[c][k]
                if isinstance(v, float):
                    row.append("" if math.isnan(v) else f"{v:.6g}")
                else:
                    row.append(v)
            w.writerow(row)


def read_csv(path: Path) -> dict:
    """A trace.csv back as columns (floats, NaN for an empty cell; event as text)."""
    with open(path, newline="") as f:
        r = csv.reader(f)
        cols = next(r)
        data: dict = {c: [] for c in cols}
        for row in r:
            for c, v in zip(cols, row, strict=True):
                if c == "event":
                    data[c].append(v)
                else:
                    data[c].append(float(v) if v != "" else math.nan)
    return data
