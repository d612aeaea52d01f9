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



def test_the_store_loader_is_dropped_once_the_copy_is_in():
    # Boot-only as well: reading and checking the slot files (co2hr.store_load). A
    # second boot on the same flash finds what the first saved, with the loader
    # imported afresh and dropped again.
    from fakefs import FakeFs
    from storekit import boot, numeric_setting

    import co2hr

    fs = FakeFs()
    st, s, _c, clock = boot(fs)
    assert "co2hr.store_load" not in sys.modules
    assert not hasattr(co2hr, "store_load")
    assert st.first_boot and st.fault == 0
    i = numeric_setting()
    s.set_index(i, s.values[i] + 1)
    clock[0] += 10000
    st.poll()
    assert st.saves == 1
    st2, s2, _c2, _clock2 = boot(fs)
    assert "co2hr.store_load" not in sys.modules
    assert not st2.first_boot and st2.fault == 0 and s2.values[i] == s.values[i]
    assert st2.boot_count == 2
