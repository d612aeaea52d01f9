# Signal layer: open/short circuit, plausibility, implausible rate, stuck, filtering.
from ctlkit import BOARD, NOMINAL, ma, terminals

from co2hr.io import AI_DEMAND, AI_P_GC, AI_T_GC_OUT, CI_ENERGY, DI_HP_OK, INPUTS, N_IN
from co2hr.signals import F_OPEN, F_RANGE, F_RATE, F_READ, F_SHORT, F_STUCK, Signals


def _sig(filt=0.0, stuck=0):
    s = Signals(BOARD["inputs"])
    s.configure(filt, filt, stuck)
    return s


def _ok():
    return bytearray([1] * N_IN)


def test_nominal_all_valid():
    s = _sig()
    s.update(terminals(NOMINAL), _ok(), 1.0)
    for i in range(N_IN):  # every input BOARD wires (the heat pump's own are not)
        assert s.valid[i] == (1 if INPUTS[i] in BOARD["inputs"] else 0), i
    assert abs(s.value[AI_P_GC] - 90.0) < 1e-6
    assert abs(s.value[AI_T_GC_OUT] - 35.0) < 1e-3


def test_open_short_and_read_faults():
    s = _sig()
    raw = terminals(NOMINAL)
    raw[AI_P_GC] = 2.0
    raw[AI_T_GC_OUT] = 5000.0
    raw[AI_DEMAND] = float("nan")
    ok = _ok()
    ok[DI_HP_OK] = 0
    s.update(raw, ok, 1.0)
    assert s.fault[AI_P_GC] == F_OPEN and not s.valid[AI_P_GC]
    assert s.fault[AI_T_GC_OUT] == F_OPEN
    assert s.fault[AI_DEMAND] == F_READ and s.fault[DI_HP_OK] == F_READ
    raw[AI_P_GC] = 22.0
    raw[AI_T_GC_OUT] = 100.0
    s.update(raw, ok, 1.0)
    assert s.fault[AI_P_GC] == F_SHORT and s.fault[AI_T_GC_OUT] == F_SHORT


def test_implausible_value_and_rate():
    s = _sig()
    raw = terminals(NOMINAL)
    s.update(raw, _ok(), 1.0)
    raw[AI_P_GC] = ma(155.0, 0, 160)
    s.update(raw, _ok(), 1.0)
    assert s.fault[AI_P_GC] == F_RANGE
    raw[AI_P_GC] = ma(90.0, 0, 160)
    s.update(raw, _ok(), 1.0)
    assert s.valid[AI_P_GC]
    raw[AI_P_GC] = ma(145.0, 0, 160)  # +55 bar in a second: a spike
    s.update(raw, _ok(), 1.0)
    assert s.fault[AI_P_GC] == F_RATE and abs(s.value[AI_P_GC] - 90.0) < 1e-6
    assert abs(s.sample[AI_P_GC] - 145.0) < 1e-6  # the HP protection still sees it
    s.update(raw, _ok(), 1.0)  # it holds: a real step, accepted
    assert s.valid[AI_P_GC] and abs(s.value[AI_P_GC] - 145.0) < 1e-6


def test_rate_limits_physically_sensible():
    # a real high-side rise of 25 bar/s is accepted; a PT1000 moving 15 K/s is not
    s = _sig()
    eng = list(NOMINAL)
    s.update(terminals(eng), _ok(), 1.0)
    for _ in range(2):
        eng[AI_P_GC] += 25.0
        s.update(terminals(eng), _ok(), 1.0)
        assert s.valid[AI_P_GC]
    eng[AI_T_GC_OUT] += 15.0
    s.update(terminals(eng), _ok(), 1.0)
    assert s.fault[AI_T_GC_OUT] == F_RATE


def test_stuck_detection():
    s = _sig(stuck=10)
    raw = terminals(NOMINAL)
    for _ in range(9):
        s.update(raw, _ok(), 1.0)
    assert s.valid[AI_P_GC]
    for _ in range(3):
        s.update(raw, _ok(), 1.0)
    assert s.fault[AI_P_GC] == F_STUCK
    assert s.valid[CI_ENERGY]  # counters and digital inputs are not checked
    raw[AI_P_GC] += 0.001
    s.update(raw, _ok(), 1.0)
    assert s.valid[AI_P_GC]


def test_filter():
    s = _sig(filt=1.0)
    raw = terminals(NOMINAL)
    s.update(raw, _ok(), 1.0)
    raw[AI_P_GC] = ma(100.0, 0, 160)
    s.update(raw, _ok(), 1.0)
    assert abs(s.value[AI_P_GC] - 95.0) < 1e-6  # dt/(tau+dt) = 0.5
