"""The serial target's host side, proven without hardware: the firmware runs in the
MicroPython interpreter as the far end of a pty, and SerialTarget drives it with
pyserial exactly as it would drive a board on /dev/ttyUSB0."""

from __future__ import annotations

import pytest

from co2hr.io import AO_HPEV, INPUTS
from rig.boards import load_board
from rig.hil.terminals import terminal_value
from rig.targets.base import FirmwareError
from rig.targets.pty_board import PtyBoard
from rig.targets.serial_board import SerialTarget

ENG = {"p_gc_bar": 90.0, "p_rec_bar": 35.0, "p_suc_bar": 28.0, "t_gc_out_c": 33.0,
       "t_amb_c": 25.0, "t_disch_c": 100.0, "t_w_in_c": 30.0, "t_w_out_c": 45.0, "t_tank_c": 45.0,
       "demand_v": 0.0, "comp_run": 1, "hp_ok": 1, "ext_enable": 1, "energy_pulses": 0,
       "heat_pulses": 0, "fan_ok": 1}


@pytest.fixture
def pty_board():
    board = load_board("esp32_devkitc")
    b = PtyBoard(board)
    yield board, b
    b.close()


def terminals(board, eng):
    return [terminal_value(board["inputs"][n], eng[n])
            if n in board["inputs"] else 0.0 for n in INPUTS], [1] * len(INPUTS)


def test_serial_target_drives_firmware_over_a_pty(pty_board):
    board, b = pty_board
    t = SerialTarget(board, port=b.port, baud=115200)
    try:
        assert t.ping()[0] == "co2hr"
        res = None
        for k in range(20):
            raw, ok = terminals(board, ENG)
            res = t.step(k * 1000, raw, ok)
        assert res.ticks == 20 and res.overruns == 0
        assert 0.0 <= res.outputs[AO_HPEV] <= 100.0
        assert t.stats()["ticks"] == 20
    finally:
        t.close()


def test_a_firmware_error_comes_back_with_its_traceback(pty_board):
    board, b = pty_board
    t = SerialTarget(board, port=b.port)
    try:
        with pytest.raises(FirmwareError) as e:
            t.command("I notanumber 0", "O")  # malformed: the firmware raises ValueError
        assert "ValueError" in str(e.value)
        assert "hil_link" in e.value.traceback  # MicroPython's own traceback
        assert t.ping()[0] == "co2hr"  # and it keeps serving
    finally:
        t.close()


def test_no_board_on_the_port_is_a_clear_error(tmp_path):
    with pytest.raises(FirmwareError, match="cannot open"):
        SerialTarget({}, port=str(tmp_path / "ttyNOPE"))
