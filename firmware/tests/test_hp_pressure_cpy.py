"""The heat pump's HPEV reference (co2hr.hp_pressure) against the cycle calculator
(rig.plant.hp_cycle, CoolProp): its tables are the calculator's, and over the
application's range the reference keeps the calculator's heating COP and heats the
water to the supply."""

import random

import pytest

import co2hr.hp_pressure as fw
from rig.plant import hp_cycle as H
from rig.plant import hp_tables as T

COP_SHARE_MIN = 0.985  # of the calculator's optimum (the worst of 3000 points: 0.990)
SETTINGS = {"hp_p_max_bar": 150.0, "hp_p_supply_margin_bar": 1.0}


def _cases(n, seed):
    """Evaporating -28..8 degC, return 28..48 degC, supply 8 K above it up to 82."""
    rnd = random.Random(seed)
    out = []
    while len(out) < n:
        te = rnd.uniform(-28.0, 8.0)
        tr = rnd.uniform(28.0, 48.0)
        ts = rnd.uniform(max(tr + 8.0, 45.0), 82.0)
        out.append((te, tr, ts))
    return out


def test_the_tables_are_the_calculators():
    p_opt, p_sup = T.tables()
    assert T.decode(fw.P_OPT) == p_opt
    assert T.decode(fw.P_SUP) == p_sup


def test_the_axes_are_the_generators():
    assert (fw._T3_0, fw._T3_STEP, fw._N_T3) == (T.T3_C[0], T.T3_C[1] - T.T3_C[0], len(T.T3_C))
    assert (fw._TE_0, fw._TE_STEP, fw._N_TE) == (T.TE_C[0], T.TE_C[1] - T.TE_C[0], len(T.TE_C))
    assert (fw._TS_0, fw._TS_STEP, fw._N_TS) == (T.TS_C[0], T.TS_C[1] - T.TS_C[0], len(T.TS_C))
    assert (fw._TR_0, fw._TR_STEP, fw._N_TR) == (T.TR_C[0], T.TR_C[1] - T.TR_C[0], len(T.TR_C))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_reference_keeps_the_cop_and_reaches_the_supply(seed):
    hp = fw.HpPressure()
    hp.configure(SETTINGS)
    worst = 1.0
    for te, tr, ts in _cases(300, seed):
        best = H.solve(te + 8.0, tr, ts, p_max_bar=150.0, return_cost=False)
        c = H._Cycle(te + 8.0, tr, ts, 0.7, 5.0, 8.0, 3.0)
        p = hp.ref(tr + 3.0, te, ts, tr)
        assert c.reaches_supply(p), (te, tr, ts, p, best["p_min_supply_bar"])
        worst = min(worst, c.cop(p) / best["cop_heating"])
        assert hp.supply_bound == (hp.p_supply > hp.p_opt)
    assert worst >= COP_SHARE_MIN


def test_the_design_pressure_caps_it_as_the_calculator_does():
    hp = fw.HpPressure()
    hp.configure({**SETTINGS, "hp_p_max_bar": 110.0})
    n = 0
    for te, tr, ts in _cases(200, 4):
        p = hp.ref(tr + 3.0, te, ts, tr)
        assert p <= 110.0
        try:
            best = H.solve(te + 8.0, tr, ts, p_max_bar=110.0, return_cost=False)
        except ValueError:  # the supply cannot be reached at 110 bar
            assert hp.capped and hp.p_supply > 110.0
            continue
        n += hp.capped
        assert hp.capped == (max(hp.p_opt, hp.p_supply) > 110.0)
        c = H._Cycle(te + 8.0, tr, ts, 0.7, 5.0, 8.0, 3.0)
        assert c.cop(p) / best["cop_heating"] >= COP_SHARE_MIN
    assert n >= 20  # returns above ~40 degC ask for more than 110 bar
