"""Closed-loop scenarios, written once, run on the target chosen on the command line:

    pytest hil_tests --target sil            (CPython, in-process)
    pytest hil_tests --target mpy            (real MicroPython under wasmtime)
    pytest hil_tests --target serial --port /dev/ttyUSB0 [--baud 115200]   (a real board)

Option names follow pytest-embedded's where they overlap (--target, --port, --baud).
Without --target, the suite runs on sil and mpy; serial needs --port.
"""

from __future__ import annotations

import pytest

from rig.boards import load_board
from rig.targets import open_target

ALL_TARGETS = ("sil", "mpy", "serial")


def pytest_addoption(parser):
    g = parser.getgroup("hil", "hardware-in-the-loop")
    g.addoption("--target", action="append", choices=ALL_TARGETS,
                help="target(s) to run the scenarios on (default: sil and mpy)")
    g.addoption("--port", default=None, help="serial port or pyserial URL of a board (serial)")
    g.addoption("--baud", type=int, default=115200, help="HIL link baud rate (serial)")
    g.addoption("--board", default="esp32_devkitc", help="board file name in boards/ or a path")


def pytest_generate_tests(metafunc):
    if "target_name" in metafunc.fixturenames:
        names = metafunc.config.getoption("--target") or ["sil", "mpy", "serial"]
        metafunc.parametrize("target_name", names)


@pytest.fixture
def board(request):
    return load_board(request.config.getoption("--board"))


@pytest.fixture
def target(request, target_name, board, tmp_path):
    if target_name == "serial":
        port = request.config.getoption("--port")
        if not port:
            pytest.skip("serial target: no board attached (give --port /dev/ttyUSB0)")
        t = open_target("serial", board, port=port, baud=request.config.getoption("--baud"))
    else:
        t = open_target(target_name, board)
    yield t
    t.close()
