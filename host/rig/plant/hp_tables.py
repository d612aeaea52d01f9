"""The heat pump's pressure tables for the firmware (co2hr.hp_pressure), made by the
cycle calculator (hp_cycle.py).

The board has no CoolProp, so its HPEV reference is two tables the calculator fills:
* the free heating-COP optimum over the CO2 leaving the gas cooler (T3) and the
  evaporating temperature;
* the lowest pressure that heats the water from the return to the supply without the
  CO2 coming closer than the approach anywhere in the counter-flow gas cooler, over
  supply, return and evaporating temperature.
The calculator's defaults hold for both (eta_is 0.7, 5 K superheat, 3 K approach).
`python -m rig.plant.hp_tables` prints them as the firmware module holds them;
firmware/tests/test_hp_pressure_cpy.py checks the two agree, and that the firmware's
reference keeps the calculator's COP and reaches the supply.
"""

from __future__ import annotations

from . import hp_cycle as H
from .cycle import maximise

P_TOP_BAR = 150.0  # the tables' ceiling: the supply cannot be reached below it
T3_C = tuple(20.0 + 2.0 * i for i in range(17))  # 20 .. 52 degC
TE_C = (-30.0, -20.0, -10.0, 0.0, 10.0)
TS_C = tuple(40.0 + 5.0 * i for i in range(10))  # supply 40 .. 85 degC
TR_C = tuple(25.0 + 2.5 * i for i in range(11))  # return 25 .. 50 degC
_RETURN_GAP_K = 2.0  # a supply this close to the return: the table's floor
_DT_EVAP_K = 8.0  # any: the cycle is given by te, the air only names it


def _cycle(te_c: float, t_return_c: float, t_supply_c: float) -> H._Cycle:
    d = H.DEFAULTS
    return H._Cycle(te_c + _DT_EVAP_K, t_return_c, t_supply_c, d["eta_is"], d["superheat_k"],
                    _DT_EVAP_K, d["approach_k"])


def p_opt_free_bar(t3_c: float, te_c: float) -> float:
    c = _cycle(te_c, t3_c - H.DEFAULTS["approach_k"], t3_c + 10.0)
    return maximise(c.cop, c.p_lo_bar, P_TOP_BAR)


def p_min_supply_bar(t_supply_c: float, t_return_c: float, te_c: float) -> float:
    c = _cycle(te_c, t_return_c, max(t_supply_c, t_return_c + _RETURN_GAP_K))
    try:
        return c.p_min_supply(P_TOP_BAR)
    except ValueError:  # not reachable below the ceiling
        return P_TOP_BAR


def tables() -> tuple[list[int], list[int]]:
    """(P_OPT, P_SUP) in 0.1 bar: P_OPT[i_te * len(T3_C) + i_t3] and
    P_SUP[(i_te * len(TR_C) + i_tr) * len(TS_C) + i_ts]."""
    p_opt = [round(10.0 * p_opt_free_bar(t3, te)) for te in TE_C for t3 in T3_C]
    p_sup = [round(10.0 * p_min_supply_bar(ts, tr, te))
             for te in TE_C for tr in TR_C for ts in TS_C]
    return p_opt, p_sup


_LINE_BYTES = 22  # a source line stays within 100 characters whatever the bytes


def as_source(name: str, values: list[int]) -> str:
    """The table as the firmware module writes it: little-endian uint16 in one bytes
    constant (it stays in flash on a ROMFS board, one object on the heap otherwise)."""
    raw = b"".join(v.to_bytes(2, "little") for v in values)
    lines = [f"{name} = ("]
    for i in range(0, len(raw), _LINE_BYTES):
        lines.append("    " + repr(raw[i:i + _LINE_BYTES]))
    return "\n".join(lines + [")"])


def decode(raw: bytes) -> list[int]:
    return [int.from_bytes(raw[i:i + 2], "little") for i in range(0, len(raw), 2)]


if __name__ == "__main__":  # pragma: no cover
    p_opt, p_sup = tables()
    print(as_source("P_OPT", p_opt))
    print(as_source("P_SUP", p_sup))
