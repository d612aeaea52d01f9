"""Steady-state cycle calculator: balances, optimum pressure, pinch, reference case."""

import pytest

from rig.plant import cycle
from rig.plant import props as P

REF = dict(te_c=-15.0, sh_k=10.0, eta_is=0.65, p_rec_bar=35.0, q_evap_kw=100.0)


@pytest.mark.parametrize("t3,p", [(10.0, "opt"), (20.0, "opt"), (30.0, 80.0), (35.0, "opt"),
                                  (40.0, 110.0)])
def test_energy_balance_closes(t3, p):
    r = cycle.solve(t3_c=t3, p_gc_bar=p, **REF)
    assert abs(r["q_evap_kw"] + r["w_comp_kw"] - r["q_gc_kw"]) < 0.005 * r["q_gc_kw"]
    # mass balance at the receiver: flash gas + liquid = HPEV flow
    assert r["m_flash_kg_s"] + r["m_evap_kg_s"] == pytest.approx(r["m_hp_kg_s"], rel=1e-9)
    assert r["cop"] == pytest.approx(100.0 / r["w_comp_kw"])


def test_optimum_near_100_bar_at_t3_40_and_cop_falls_on_both_sides():
    p_opt = cycle.optimum_p_gc(40.0, te_c=-7.0)
    assert 95.0 < p_opt < 108.0
    kw = dict(te_c=-7.0, sh_k=10.0, eta_is=0.65, t3_c=40.0, p_rec_bar=35.0, q_evap_kw=100.0)
    c_opt = cycle.solve(p_gc_bar=p_opt, **kw)["cop"]
    assert cycle.solve(p_gc_bar=p_opt - 8, **kw)["cop"] < c_opt
    assert cycle.solve(p_gc_bar=p_opt + 8, **kw)["cop"] < c_opt
    assert cycle.solve(p_gc_bar="opt", **kw)["p_gc_bar"] == pytest.approx(p_opt)


def test_optimum_table_subcritical_floor_and_monotone_rise():
    rows = cycle.optimum_table([0.0, 10.0, 20.0, 35.0, 40.0, 45.0], te_c=-7.0)
    p = [r["p_opt_bar"] for r in rows]
    # subcritical: saturation at max(T3, 10 degC)
    assert p[0] == pytest.approx(P.p_sat_bar(10.0), rel=1e-6)
    assert p[1] == pytest.approx(P.p_sat_bar(10.0), rel=1e-6)
    assert p[2] == pytest.approx(P.p_sat_bar(20.0), rel=1e-6)
    assert all(b > a for a, b in zip(p[2:], p[3:], strict=False))
    assert all(r["cop"] > 0 for r in rows)


def test_heat_recovery_respects_pinch_everywhere_and_is_maximal():
    r = cycle.solve(t3_c=30.0, p_gc_bar=90.0, water=(15.0, 75.0), pinch_k=5.0, **REF)
    q = r["q_hr_kw"] * 1e3
    assert 0 < q <= r["q_gc_kw"] * 1e3
    m, h2 = r["m_hp_kg_s"], r["h2_j_kg"]
    worst = min(P.t_ph(90.0, h2 - f / 200 * q / m) - (75.0 - f / 200 * 60.0)
                for f in range(201))
    assert worst >= 5.0 - 0.05
    # 1 % more heat would violate the pinch somewhere
    q2 = 1.01 * q
    worst2 = min(P.t_ph(90.0, h2 - f / 200 * q2 / m) - (75.0 - f / 200 * 60.0)
                 for f in range(201))
    assert worst2 < 5.0


def test_no_recovery_when_co2_colder_than_the_water():
    r = cycle.solve(t3_c=10.0, p_gc_bar="opt", water=(60.0, 75.0), **REF)
    assert r["q_hr_kw"] == 0.0 and r["cop_total"] == pytest.approx(r["cop"])


def test_reference_case_water_sets_are_sensible():
    out = {}
    for name, w in {"I": (30.0, 55.0), "II": (15.0, 75.0), "III": (25.0, 35.0)}.items():
        r = cycle.solve(t3_c=35.0, p_gc_bar="opt", water=w, **REF)
        out[name] = r
        assert 80.0 < r["p_gc_bar"] < 105.0
        assert 1.2 < r["cop"] < 2.2
        assert r["cop"] < r["cop_total"] <= (100.0 + r["q_gc_kw"]) / r["w_comp_kw"] + 1e-9
        assert 90.0 < r["t_discharge_c"] < 140.0
    assert out["III"]["q_hr_kw"] > 0.0


@pytest.mark.parametrize("kw,msg", [
    (dict(te_c=-60.0), "triple"),
    (dict(p_gc_bar=250.0), "200"),
    (dict(water=(55.0, 30.0)), "IN"),
    (dict(p_rec_bar=80.0), "subcritical"),
    (dict(p_gc_bar=40.0, t3_c=20.0), "condenses"),
])
def test_impossible_inputs_raise(kw, msg):
    args = dict(te_c=-10.0, sh_k=10.0, eta_is=0.65, t3_c=35.0, p_gc_bar=95.0, p_rec_bar=35.0,
                q_evap_kw=100.0)
    args.update(kw)
    with pytest.raises(ValueError, match=msg):
        cycle.solve(**args)
