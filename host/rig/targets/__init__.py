"""The three places the same firmware runs: sil (CPython in-process), mpy (the real
MicroPython interpreter under wasmtime) and serial (a real board); what they share
(the HIL link, the MicroPython VM of vm.py, also used by the pty board and the
in-MicroPython test runner mpytest.py) and the Modbus bridge that puts a real TCP port
and serial line in front of any of them."""

from rig.targets.base import FirmwareError, StepResult, Target


def open_target(name: str, board: dict, **kw) -> Target:
    if name == "sil":
        from rig.targets.sil import SilTarget

        return SilTarget(board, **kw)
    if name == "mpy":
        from rig.targets.mpy import MpyTarget

        return MpyTarget(board, **kw)
    if name == "serial":
        from rig.targets.serial_board import SerialTarget

        return SerialTarget(board, **kw)
    raise ValueError(f"unknown target {name!r}: choose sil, mpy or serial")


__all__ = ["FirmwareError", "StepResult", "Target", "open_target"]
