"""What every value read from a scenario file goes through: a one-line ScenarioError
naming the file and the place (`sc.json: events[2].kind: ...`), and number checks."""

from __future__ import annotations

import math


class ScenarioError(ValueError):
    """A scenario file that cannot be run; the message names the file and the place."""


def err(src: str, where: str, msg: str) -> ScenarioError:
    return ScenarioError(f"{src}: {where}: {msg}")


def num(src: str, where: str, v, lo: float = -math.inf, hi: float = math.inf) -> float:
    """v as a float, or a ScenarioError when it is not a finite number in lo..hi."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise err(src, where, f"expected a number, got {v!r}")
    if not lo <= v <= hi:
        raise err(src, where, f"{v} outside {lo:g}..{hi:g}")
    return float(v)


def names_list(v) -> bool:
    """"all" or a list of register names."""
    return v == "all" or (isinstance(v, list) and all(isinstance(x, str) for x in v))
