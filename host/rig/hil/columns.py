"""Trace columns as the HIL metrics and checks read them: a column as floats (NaN when
the trace has none), each row's seconds, and JSON-safe figures for a summary."""

from __future__ import annotations

import math

import numpy as np


def col(tr: dict, name: str) -> np.ndarray:
    v = tr.get(name)
    if v is None:
        return np.full(len(tr["t_s"]), np.nan)
    return np.asarray(v, dtype=float)


def json_float(x) -> float | None:
    """JSON-safe float (NaN/inf -> None), rounded for a readable summary."""
    if x is None:
        return None
    x = float(x)
    if not math.isfinite(x):
        return None
    return round(x, 4)


def row_seconds(tr: dict, dt: float) -> np.ndarray:
    """Each trace row's seconds: dt, or the rows' own weights (runs with quiet_step_s or
    record_s: rig.hil.trace.WEIGHT_COL)."""
    if "w_s" in tr:
        return np.nan_to_num(col(tr, "w_s"))
    return np.full(len(tr["t_s"]), float(dt))
