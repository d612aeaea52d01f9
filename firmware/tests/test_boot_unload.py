# Boot-only code leaves the heap once it has run (dual: CPython and MicroPython): the
# construction of BoardHardware from its board file (co2hr.hw.board_setup) is dropped
# once the hardware stands, and built afresh for a second one (maintenance after a
# failed start); what stays drives the outputs and reads the inputs as before. What
# that frees is measured by make bench (tools/heap_modules.py): a collection inside a
# test frame is not safe in this interpreter (rig.targets.vm).
import sys

from hwfakes import BOARD, Clock, rig_machine

import co2hr.hw
from co2hr.hw.board_io import BoardHardware
from co2hr.io import N_IN, N_OUT, OUTPUTS, SAFE_OUTPUTS


def _hw():
    clk = Clock(0)
    m = rig_machine(clock=clk)
    return BoardHardware(BOARD, machine=m, clock=clk, clock_us=clk.us, timer=False), m, clk


def _pwm_pct(m, name):
    return m.pwms[BOARD["outputs"][name]["pin"]].duty * 100 / 65535


def test_board_setup_is_dropped_once_the_hardware_stands():
    hw, m, clk = _hw()
    assert "co2hr.hw.board_setup" not in sys.modules
    assert not hasattr(co2hr.hw, "board_setup")
    # what it built is in place: the outputs safe, the valve homing, inputs wired
    assert abs(_pwm_pct(m, "fan_pct") - SAFE_OUTPUTS[OUTPUTS.index("fan_pct")]) < 0.01
    assert hw.homing() != 0 and len(hw.steppers) == 1
    assert len(hw.scan_in) > 0 and sum(1 for w in hw.wire if w) > len(hw.scan_in)
    out = list(SAFE_OUTPUTS)
    out[OUTPUTS.index("fan_pct")] = 60.0
    hw.write(out)
    assert abs(_pwm_pct(m, "fan_pct") - 60.0) < 0.01
    raw = [0.0] * N_IN
    ok = bytearray(N_IN)
    hw.read(raw, ok)
    assert len(ok) == N_IN and N_OUT == len(out)


def test_a_second_board_hardware_builds_it_again():
    first, _m, _clk = _hw()
    hw, m, clk = _hw()
    assert "co2hr.hw.board_setup" not in sys.modules
    assert [k for k in hw.out_kind] == [k for k in first.out_kind]
    assert [w for w in hw.wire] == [w for w in first.wire]

