"""The mpy target runs the firmware the two ways `rig deploy` puts it on a board: .mpy
files in a ROMFS image mounted at /rom (the default: bytecode in place) and .mpy files
on the filesystem (--fs). Same firmware, same behaviour, tick for tick."""

import math

from co2hr.io import INPUTS, N_IN
from rig.boards import load_board
from rig.hil.terminals import terminal_value
from rig.targets import open_target


def _terms(board, k):
    eng = {"p_gc_bar": 90.0 + 3.0 * math.sin(k / 7.0), "p_rec_bar": 36.0, "p_suc_bar": 27.0,
           "t_gc_out_c": 33.0, "t_amb_c": 28.0, "t_disch_c": 100.0, "t_w_in_c": 30.0,
           "t_w_out_c": 55.0, "t_tank_c": 50.0, "demand_v": 3.0, "comp_run": 1, "hp_ok": 1,
           "ext_enable": 1, "energy_pulses": 10 * k, "heat_pulses": 0, "fan_ok": 1}
    return [terminal_value(board["inputs"][n], eng[n])
            if n in board["inputs"] else 0.0 for n in INPUTS]


def test_romfs_and_filesystem_deployments_behave_the_same():
    board = load_board("esp32_devkitc")
    runs = {}
    for romfs in (True, False):
        with open_target("mpy", board, romfs=romfs) as t:
            assert (t.image_heap > 0) == romfs  # the image is mounted only for ROMFS
            outs = [t.step(k * 1000, _terms(board, k), [1] * N_IN).outputs for k in range(60)]
            reply = t.modbus(1, bytes([4, 0, 0, 0, 1]))  # FC4 input register 0: p_gc
        runs[romfs] = (outs, reply)
    assert runs[True] == runs[False]
    outs, reply = runs[True]
    assert reply[:2] == bytes([4, 2]) and 850 < int.from_bytes(reply[2:4], "big") < 950
    assert len({round(o[0], 3) for o in outs}) > 5  # the HPEV moved with p_gc
