"""Engineering value -> what the board's terminal sees, per board-file input kind.

The inverse of the firmware's signal layer (firmware/co2hr/signals.py), used by the
simulated board and by test plants to present a value the way a transmitter,
a PT1000 or a 0-10 V source would.
"""

from __future__ import annotations

import math

# IEC 60751 Callendar-Van Dusen coefficients (PT1000: R0 = 1000 ohm)
_A = 3.9083e-3
_B = -5.775e-7
_C = -4.183e-12


def pt1000_ohm(t_c: float) -> float:
    c = _C if t_c < 0.0 else 0.0
    return 1000.0 * (1.0 + _A * t_c + _B * t_c * t_c + c * (t_c - 100.0) * t_c**3)


def ntc_ohm(t_c: float, r25_ohm: float, beta: float) -> float:
    return r25_ohm * math.exp(beta * (1.0 / (t_c + 273.15) - 1.0 / 298.15))


def terminal_value(spec: dict, value: float) -> float:
    """The terminal reading for engineering `value` under board input `spec`."""
    kind = spec["kind"]
    if kind == "ma420":
        return 4.0 + 16.0 * (value - spec["lo"]) / (spec["hi"] - spec["lo"])
    if kind == "ratio":
        return 0.5 + 4.0 * (value - spec["lo"]) / (spec["hi"] - spec["lo"])
    if kind == "pt1000":
        return pt1000_ohm(value)
    if kind == "ntc":
        return ntc_ohm(value, spec["r25_ohm"], spec["beta"])
    if kind in ("v010", "di", "pulse"):
        return float(value)
    raise ValueError(f"unknown input kind {kind!r}")
