# The heat pump's HPEV reference: the tables read at their nodes, held at their ends,
# the jump rule, and which rule sets the reference. Against the cycle calculator:
# firmware/tests/test_hp_pressure_cpy.py.
from co2hr.hp_pressure import P_OPT, P_SUP, HpPressure, p_opt_bar, p_supply_bar


def at(table, k):
    """A little-endian uint16 of the table."""
    return table[2 * k] + 256 * table[2 * k + 1]

N_T3 = 17
N_TS = 10
N_TR = 11


def near(a, b, tol=1e-6):
    return abs(a - b) <= tol


def make(p_max=110.0):
    hp = HpPressure()
    hp.configure({"hp_p_max_bar": p_max, "hp_p_supply_margin_bar": 1.0})
    return hp


def test_the_tables_hold_every_node():
    assert len(P_OPT) == 2 * N_T3 * 5 and len(P_SUP) == 2 * N_TS * N_TR * 5


def test_nodes_read_as_the_table():
    # T3 44 degC is node 12, t_evap -10 degC row 2
    assert near(p_opt_bar(44.0, -10.0), at(P_OPT, 2 * N_T3 + 12) * 0.1)
    # supply 70 (node 6), return 35 (node 4), t_evap 0 (row 3)
    assert near(p_supply_bar(70.0, 35.0, 0.0), at(P_SUP, (3 * N_TR + 4) * N_TS + 6) * 0.1)


def test_between_nodes_is_between_them():
    a = p_opt_bar(44.0, -10.0)
    b = p_opt_bar(46.0, -10.0)
    m = p_opt_bar(45.0, -10.0)
    assert a < m < b and near(m, 0.5 * (a + b), 1e-3)


def test_held_at_the_ends():
    assert near(p_opt_bar(80.0, 40.0), p_opt_bar(52.0, 10.0))
    assert near(p_opt_bar(-5.0, -60.0), p_opt_bar(20.0, -30.0))
    assert near(p_supply_bar(99.0, 70.0, 30.0), p_supply_bar(85.0, 50.0, 10.0))


def test_a_jump_takes_the_higher_node():
    # return 35 degC, t_evap 0: the floor up to 50 degC supply, ~93 bar at 55
    k = (3 * N_TR + 4) * N_TS
    lo, hi = at(P_SUP, k + 2), at(P_SUP, k + 3)
    assert hi - lo > 60
    assert near(p_supply_bar(51.0, 35.0, 0.0), hi * 0.1)


def test_the_optimum_rises_with_t3_and_the_supply_with_the_setpoint():
    last = 0.0
    for t3 in (34.0, 38.0, 42.0, 46.0):
        p = p_opt_bar(t3, -5.0)
        assert p > last
        last = p
    assert p_supply_bar(75.0, 30.0, -5.0) > p_supply_bar(65.0, 30.0, -5.0)


def test_the_reference_is_the_higher_rule_and_capped():
    hp = make()
    p = hp.ref(41.0, -8.0, 55.0, 38.0)  # return 38: the COP sets it
    assert not hp.supply_bound and not hp.capped and near(p, hp.p_opt)
    p = hp.ref(33.0, -8.0, 75.0, 30.0)  # return 30, supply 75: the supply sets it
    assert hp.supply_bound and near(p, hp.p_supply) and hp.p_supply > hp.p_opt
    p = hp.ref(48.0, -8.0, 70.0, 45.0)  # return 45: the optimum is above 110 bar
    assert hp.capped and p == 110.0 and hp.p_opt > 110.0
