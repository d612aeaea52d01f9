# The operating state (refrigeration only / forced) and where each tick's energy goes,
# through the composed controller: the state is decided against the unforced reference
# (COP reference at ambient + approach while heat recovery acts), which neither the
# GC bypass nor the fan reduction can move by heating T3.
from ctlkit import Rig

from co2hr import status as S
from co2hr.io import (
    AI_DEMAND,
    AI_P_GC,
    AI_T_AMB,
    AI_T_DISCH,
    AI_T_GC_OUT,
    AO_FAN,
    CI_ENERGY,
    DO_GC_BYPASS,
)


def _pulses(r, n, per_step=1):
    for _ in range(n):
        r.eng[CI_ENERGY] += per_step
        r.step()


def _hr_rig(t3_c=15.0, amb_c=10.0):
    r = Rig()
    r.eng[AI_T_GC_OUT] = t3_c
    r.eng[AI_T_AMB] = amb_c
    r.step(30)
    return r


def test_bypass_open_with_hot_t3_is_forced():
    # with the coil bypassed T3 is the HRHX outlet: the COP table read there asks for
    # more than the reference held at p_hr_max, so "raised above the optimum at T3"
    # would call it refrigeration only
    r = _hr_rig()
    r.set("mode_cmd", 3)
    r.eng[AI_DEMAND] = 9.8
    _pulses(r, 200)
    assert r.out[DO_GC_BYPASS] == 1.0
    r.eng[AI_T_GC_OUT] = 45.0
    c0 = list(r.c.counters)
    _pulses(r, 30)
    c = r.c.counters
    assert r.out[DO_GC_BYPASS] == 1.0
    assert r.c.status[S.ST_P_GC_OPT] > r.c.status[S.ST_P_GC_REF] + 5.0
    assert r.c.status[S.ST_OP_STATE] == 2
    assert c[S.CNT_RUN_FORCED] - c0[S.CNT_RUN_FORCED] == 30
    assert c[S.CNT_RUN_REFRIG] == c0[S.CNT_RUN_REFRIG]
    assert c[S.CNT_HR_REFRIG] == c0[S.CNT_HR_REFRIG]
    assert c[S.CNT_HR_FORCED] > c0[S.CNT_HR_FORCED]
    assert c[S.CNT_COMP_FORCED] - c0[S.CNT_COMP_FORCED] == 300  # 30 pulses of 10 Wh
    assert c[S.CNT_COMP_EXTRA] > c0[S.CNT_COMP_EXTRA]


def test_surplus_heat_in_max_cop_is_refrigeration():
    # pump and 3-way valve only (Max-COP): the HRHX cools T3 below ambient + approach
    # and the reference follows it down: unchanged operation
    r = _hr_rig()
    r.eng[AI_DEMAND] = 9.8
    _pulses(r, 60)
    r.eng[AI_T_GC_OUT] = 11.0
    c0 = list(r.c.counters)
    _pulses(r, 60)
    c = r.c.counters
    assert r.c.status[S.ST_OP_STATE] == 1 and r.c.status[S.ST_HR_STAGE] == 1
    assert c[S.CNT_RUN_FORCED] == c0[S.CNT_RUN_FORCED] == 0
    assert c[S.CNT_HR_REFRIG] > c0[S.CNT_HR_REFRIG] and c[S.CNT_HR_FORCED] == 0
    assert c[S.CNT_COMP_REFRIG] + c[S.CNT_COMP_FORCED] == c[S.CNT_COMP]


def test_fans_held_below_max_cop_is_forced_without_a_raise():
    # p_hr_max below the optimum: no pressure raise; the fan reduction alone holds the
    # fans at their limit while T3 stands above the fan setpoint
    r = Rig()
    r.eng[AI_T_GC_OUT] = 18.0
    r.eng[AI_T_AMB] = 15.0
    r.eng[AI_P_GC] = 55.0  # near the reference: no HP fan safety
    r.eng[AI_T_DISCH] = 63.0  # the discharge temperature of 55 bar (co2hr.hp_guard)
    r.step(30)
    r.set("p_hr_max_bar", 60)
    r.set("mode_cmd", 3)
    r.eng[AI_DEMAND] = 8.5
    r.step(30)
    r.eng[AI_T_GC_OUT] = 25.0  # the fans held back: T3 rises, and the optimum read there
    r.eng[AI_P_GC] = 64.0
    r.eng[AI_T_DISCH] = 70.0  # (rising with it: within the rate check)
    r.step(1)
    r.eng[AI_T_DISCH] = 75.5
    r.step(119)
    st = r.c.status
    assert st[S.ST_HR_RAISE] == 0.0
    assert st[S.ST_FAN_LIMIT] < 60.0 and r.out[AO_FAN] >= st[S.ST_FAN_LIMIT] - 0.5
    assert st[S.ST_OP_STATE] == 2
    r.eng[AI_DEMAND] = 5.0  # no fan reduction: the fans run up, nothing is forced
    r.step(60)
    assert r.c.status[S.ST_OP_STATE] == 1


def test_raise_winding_down_stays_forced_until_back():
    r = _hr_rig()
    r.set("mode_cmd", 3)
    r.eng[AI_DEMAND] = 8.0
    r.step(200)
    assert r.c.status[S.ST_OP_STATE] == 2
    r.eng[AI_DEMAND] = 0.0
    r.step(10)  # staging off (the demand is filtered), the reference ramps down at its rate
    st = r.c.status
    assert st[S.ST_HR_STAGE] == 0 and st[S.ST_P_GC_REF] > st[S.ST_P_GC_OPT] + 10.0
    assert st[S.ST_OP_STATE] == 2
    r.step(200)
    assert r.c.status[S.ST_OP_STATE] == 1
