# CO2 saturation pressure and the COP-optimal gas cooler pressure, compact enough for
# the board (no CoolProp there). Checked against CoolProp and the host cycle calculator
# in firmware/tests/test_co2sat_cpy.py.
#
# p_sat_bar: the Span & Wagner (1996) vapour-pressure ancillary equation,
#   ln(p/pc) = Tc/T * sum(a_i * (1 - T/Tc)**t_i), within 0.02 % of the full EOS.
# Transcritical optimum: a piecewise-linear table in T3 fitted to the cycle
# calculator's COP optimum (te -7 degC, 10 K superheat, eta_is 0.65, receiver 35 bar).
import math

T_CRIT_C = 30.978
P_CRIT_BAR = 73.773
T_TRIPLE_C = -56.56
_TC_K = 304.1282
_A1 = -7.0602087
_A2 = 1.9391218
_A3 = -1.6463597
_A4 = -3.2995634

# Transcritical (and upper transition) reference, T3 degC -> bar. It lies ABOVE the COP
# optimum on purpose, most near the critical point: there COP(p) is very asymmetric,
# an undershoot (pressure too low for T3, the outlet gas turns to a low-density,
# high-enthalpy state) loses COP much faster than an overshoot of the same size, and
# the plant settles with a small pressure error on either side. So the table runs about
# 1 bar above the optimum near the critical point (T3 30-35 degC) and 0.5 bar above it
# further up, inside the band where COP is within 0.5 % of its maximum.
TC_T = (30.2, 31.0, 32.0, 33.0, 34.0, 35.0, 37.0, 39.0, 41.0, 43.0, 46.0, 50.0)
TC_P = (76.3, 78.5, 81.5, 84.3, 87.2, 90.0, 95.6, 101.2, 107.0, 113.2, 122.8, 136.0)
_N_TC = len(TC_T)


def p_sat_bar(t_c):
    """Saturation pressure of CO2, bar a, for T from the triple to the critical point
    (clamped into that range)."""
    if t_c > T_CRIT_C:
        t_c = T_CRIT_C
    elif t_c < T_TRIPLE_C:
        t_c = T_TRIPLE_C
    tk = t_c + 273.15
    th = 1.0 - tk / _TC_K
    th2 = th * th
    s = th * (_A1 + _A2 * math.sqrt(th) + th * (_A3 + _A4 * th2))
    return P_CRIT_BAR * math.exp(s * _TC_K / tk)


def t_sat_c(p_bar):
    """Saturation temperature, degC (inverse of p_sat_bar by Newton, clamped)."""
    if p_bar >= P_CRIT_BAR:
        return T_CRIT_C
    if p_bar <= 5.18:
        return T_TRIPLE_C
    # Clausius-Clapeyron start: ln p roughly linear in 1/T
    t = 1.0 / (1.0 / 304.13 - math.log(p_bar / P_CRIT_BAR) / 2000.0) - 273.15
    for _ in range(6):
        p = p_sat_bar(t)
        dp = (p_sat_bar(t + 0.01) - p) / 0.01
        t -= (p - p_bar) / dp
        if t > T_CRIT_C:
            t = T_CRIT_C
    return t


def p_tc_bar(t3_c):
    """The transcritical reference table, linear between points, extrapolated."""
    if t3_c <= TC_T[0]:
        return TC_P[0]
    for k in range(1, _N_TC):
        if t3_c <= TC_T[k]:
            p0 = TC_P[k - 1]
            t0 = TC_T[k - 1]
            return p0 + (TC_P[k] - p0) * (t3_c - t0) / (TC_T[k] - t0)
    return TC_P[_N_TC - 1] + 3.0 * (t3_c - TC_T[_N_TC - 1])
