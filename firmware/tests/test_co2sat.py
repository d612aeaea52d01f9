# Saturation pressure against reference values (Span-Wagner EOS, to 0.01 bar: the
# NIST webbook values) and the transcritical table's shape. CoolProp and the cycle
# calculator check it further in test_co2sat_cpy.py.
from co2hr import co2sat


def test_p_sat_known_points():
    for t, p in ((-40.0, 10.05), (-7.0, 28.82), (0.0, 34.85), (10.0, 45.02), (20.0, 57.29),
                 (30.0, 72.14)):
        assert abs(co2sat.p_sat_bar(t) - p) < 0.05, (t, co2sat.p_sat_bar(t))


def test_p_sat_clamped_outside_dome():
    assert abs(co2sat.p_sat_bar(50.0) - co2sat.P_CRIT_BAR) < 0.01
    assert co2sat.p_sat_bar(-80.0) == co2sat.p_sat_bar(co2sat.T_TRIPLE_C)


def test_t_sat_inverts_p_sat():
    for t in (-40.0, -10.0, 0.0, 12.5, 25.0, 30.5):
        assert abs(co2sat.t_sat_c(co2sat.p_sat_bar(t)) - t) < 0.01


def test_table_monotonic_and_continuous_with_saturation():
    for k in range(1, len(co2sat.TC_T)):
        assert co2sat.TC_T[k] > co2sat.TC_T[k - 1]
        assert co2sat.TC_P[k] > co2sat.TC_P[k - 1]
    # the first transcritical point sits just above saturation at its T3
    assert 0.0 < co2sat.TC_P[0] - co2sat.p_sat_bar(co2sat.TC_T[0]) < 4.0
    assert abs(co2sat.p_tc_bar(40.0) - 104.0) < 1.5  # ~100 bar at T3 = 40 degC
    assert co2sat.p_tc_bar(60.0) > co2sat.p_tc_bar(50.0)
