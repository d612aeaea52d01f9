"""The p_gc trust guard's discharge model (co2hr.hp_guard) against CoolProp.

The truth: adiabatic compression with the rig's isentropic efficiency (0.65) from a
suction that mixes the evaporators' gas (saturated + 10 K) with the receiver's flash
gas (saturated vapour at p_rec, throttled), in the share the HPEV's expansion of
CO2 at (p_gc, T3) into the receiver makes. Over the states the rig runs in the model
must stay within 4 K, and, what the check relies on, it must not lose its slope: a
p_gc a few bar higher than read must show in the residual whatever T3 does.
"""

import CoolProp.CoolProp as CP
import pytest

import rig.fw  # noqa: F401  (firmware importable)
from co2hr.co2sat import p_sat_bar, p_tc_bar
from co2hr.hp_guard import HpGuard
from co2hr.io import AI_P_GC, AI_P_REC, AI_P_SUC, AI_T_AMB, AI_T_GC_OUT, N_IN

ETA_IS = 0.65
SH_K = 10.0


def _coolprop_td(p_suc, p_gc, t3, p_rec):
    f = "CO2"
    hl = CP.PropsSI("H", "P", p_rec * 1e5, "Q", 0, f)
    hv = CP.PropsSI("H", "P", p_rec * 1e5, "Q", 1, f)
    h3 = CP.PropsSI("H", "P", p_gc * 1e5, "T", t3 + 273.15, f)
    x = min(max((h3 - hl) / (hv - hl), 0.0), 1.0)  # flash share of the HPEV flow
    t_sat = CP.PropsSI("T", "P", p_suc * 1e5, "Q", 1, f)
    h_evap = CP.PropsSI("H", "P", p_suc * 1e5, "T", t_sat + SH_K, f)
    h_suc = (1.0 - x) * h_evap + x * hv
    s = CP.PropsSI("S", "P", p_suc * 1e5, "H", h_suc, f)
    h2s = CP.PropsSI("H", "P", p_gc * 1e5, "S", s, f)
    return CP.PropsSI("T", "P", p_gc * 1e5, "H", h_suc + (h2s - h_suc) / ETA_IS, f) - 273.15


class _Readings:  # what co2hr.signals hands the guard: values and validity per input
    def __init__(self):
        self.value = [0.0] * N_IN
        self.valid = bytearray(N_IN)


def _model(p_suc, p_gc, t3):
    g, sig = HpGuard(), _Readings()
    for i, v in ((AI_P_SUC, p_suc), (AI_P_GC, p_gc), (AI_T_GC_OUT, t3), (AI_P_REC, 37.0),
                 (AI_T_AMB, t3 - 3.0)):
        sig.value[i] = v
        sig.valid[i] = 1
    return g._model_c(p_gc, p_suc, g._flash_k(sig))


T3_C = (12.0, 17.0, 22.0, 27.0, 32.0, 37.0, 42.0, 47.0)


@pytest.mark.parametrize("t3", T3_C)
def test_the_model_within_4_k_of_coolprop(t3):
    # p_gc from the COP optimum - 8 bar (or just above saturation) to 115 bar
    worst = 0.0
    for p_suc in (24.0, 26.5, 29.0):
        for p_rec in (34.0, 40.0):
            p = p_sat_bar(t3) + 1.0 if t3 < 29 else max(p_tc_bar(t3) - 8.0, 76.0)
            while p <= 115.0:
                err = _model(p_suc, p, t3) - _coolprop_td(p_suc, p, t3, p_rec)
                worst = err if abs(err) > abs(worst) else worst
                p += 6.0
    assert abs(worst) <= 4.0, worst


@pytest.mark.parametrize("t3", [30.0, 35.0, 40.0, 45.0])
def test_a_higher_p_gc_shows_in_the_residual_whatever_t3_does(t3):
    # the fans fail: T3 rises 4 K and p_gc 6 bar, the reading stays; the residual must
    # grow by most of what 6 bar make at the reading (~7 K; without the flash-gas term
    # the warmer T3 took 1.4 K of it away)
    p_suc, p_rec, p_read = 26.5, 37.0, p_tc_bar(t3)
    base = _coolprop_td(p_suc, p_read, t3, p_rec) - _model(p_suc, p_read, t3)
    hot = _coolprop_td(p_suc, p_read + 6.0, t3 + 4.0, p_rec) - _model(p_suc, p_read, t3 + 4.0)
    assert hot - base >= 5.5, (base, hot)
