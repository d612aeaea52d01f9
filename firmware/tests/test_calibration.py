# Calibration offsets (settings cal_*): added in the signal layer to the converted value of
# each analog sensor before its range, rate and stuck checks. Truth: the terminal values
# ctlkit makes from engineering values (independent of co2hr.signals), and paired runs
# with and without an offset.
from ctlkit import NOMINAL, Rig

from co2hr import alarms as A
from co2hr.io import AI_P_GC, AI_P_SUC, AI_T_AMB, AI_T_GC_OUT, INPUTS
from co2hr.settings import SCHEMA, index
from co2hr.signals import F_RANGE

CAL = ("cal_p_gc_bar", "cal_p_rec_bar", "cal_p_suc_bar", "cal_t_gc_out_k", "cal_t_amb_k",
       "cal_t_disch_k", "cal_t_w_in_k", "cal_t_w_out_k", "cal_t_tank_k")


def test_one_offset_per_analog_sensor_in_input_order_bounded():
    first = index(CAL[0])
    for k in range(len(CAL)):
        row = SCHEMA[first + k]
        assert row[0] == CAL[k] and row[1] == 0
        name = INPUTS[k]
        if name.endswith("_bar"):
            assert (row[2], row[3], row[4]) == (-2, 2, "bar")
        else:
            assert name.endswith("_c") and (row[2], row[3], row[4]) == (-5, 5, "K")
    assert first + len(CAL) <= len(SCHEMA)


def _settled(offsets, eng=None, n=30):
    rig = Rig(eng=eng)
    for name in offsets:
        rig.set(name, offsets[name])
    rig.step(n)
    return rig


def test_offset_shifts_the_value_of_each_kind():
    plain = _settled({})
    cal = _settled({"cal_p_gc_bar": 1.5, "cal_t_gc_out_k": -2.0, "cal_p_suc_bar": 0.25})
    v0, v1 = plain.c.sig.value, cal.c.sig.value
    assert abs(v0[AI_P_GC] - NOMINAL[AI_P_GC]) < 0.01  # 4-20 mA
    assert abs(v1[AI_P_GC] - (NOMINAL[AI_P_GC] + 1.5)) < 0.01
    assert abs(v1[AI_T_GC_OUT] - (NOMINAL[AI_T_GC_OUT] - 2.0)) < 0.01  # PT1000
    assert abs(v1[AI_P_SUC] - (NOMINAL[AI_P_SUC] + 0.25)) < 0.01  # ratiometric
    for i in range(len(INPUTS)):  # the others untouched
        if i not in (AI_P_GC, AI_T_GC_OUT, AI_P_SUC):
            assert v1[i] == v0[i], INPUTS[i]


def test_offset_applies_before_the_range_check():
    eng = list(NOMINAL)
    eng[AI_P_SUC] = 0.9  # plausible from 0.5 bar
    plain = _settled({}, eng)
    low = _settled({"cal_p_suc_bar": -0.6}, eng)  # 0.3 bar: not plausible
    assert plain.c.sig.valid[AI_P_SUC]
    assert not low.c.sig.valid[AI_P_SUC] and low.c.sig.fault[AI_P_SUC] == F_RANGE
    assert low.c.alarms.active[A.A_P_SUC_SENSOR] and not plain.c.alarms.active[
        A.A_P_SUC_SENSOR]


def test_changing_an_offset_is_no_rate_fault_a_process_step_is():
    # ambient: 5 K/s at most; the offset from -5 to +5 K is a 10 K step within one tick
    rig = _settled({"cal_t_amb_k": -5})
    rig.set("cal_t_amb_k", 5)
    rig.step()
    assert rig.c.sig.valid[AI_T_AMB]
    assert abs(rig.c.sig.sample[AI_T_AMB] - (NOMINAL[AI_T_AMB] + 5.0)) < 0.01
    step = _settled({})  # the same 10 K step in the process: one sample rejected
    step.eng[AI_T_AMB] += 10.0
    step.step()
    assert not step.c.sig.valid[AI_T_AMB]


def test_out_of_range_offsets_are_refused():
    rig = Rig()
    for name, bad in (("cal_p_gc_bar", 2.01), ("cal_t_tank_k", -5.5)):
        try:
            rig.set(name, bad)
        except ValueError:
            continue
        raise AssertionError(name + " took " + str(bad))
