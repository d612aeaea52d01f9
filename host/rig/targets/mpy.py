"""mpy: the firmware in the real MicroPython interpreter on this host (rig.targets.vm),
driven over the HIL link through its stdin/stdout."""

from __future__ import annotations

import shutil

from rig.targets.base import FirmwareError, rtc_after_power_loss
from rig.targets.link import LinkTarget
from rig.targets.vm import MicroPythonVM, hil_boot_code, prepare_root


class MpyTarget(LinkTarget):
    name = "mpy"

    def __init__(self, board: dict, flash_dir: str | None = None, source: bool = False,
                 romfs: bool = True) -> None:
        """Default: the .mpy files from a ROMFS image, as `rig deploy` puts them on a
        board; romfs=False: from the filesystem (`rig deploy --fs`); source: the .py
        files from the filesystem."""
        self.board = board
        self.vm: MicroPythonVM | None = None
        romfs = romfs and not source
        self.code = hil_boot_code(romfs)
        self.root = prepare_root(board, flash_dir, source, romfs)
        self._tmp = str(self.root)
        self.flash = self.root / "flash"
        self.heap_after_boot = 0  # whole interpreter heap in use after boot, bytes
        self.app_heap = 0  # of which the firmware's application objects
        self.image_heap = 0  # ROMFS image held in a bytes object (flash on a board)
        self._start()

    def _start(self) -> None:
        self.vm = MicroPythonVM(self.root, self.code)
        first = self._readline(60.0).decode().split()  # "B <heap in use> <app heap> <image>"
        if first[0] != "B":
            raise FirmwareError("unexpected boot line: " + " ".join(first))
        self.heap_after_boot = int(first[1])
        self.app_heap = int(first[2])
        self.image_heap = int(first[3])

    def _write(self, data: bytes) -> None:
        assert self.vm is not None
        self.vm.write(data)

    def _readline(self, timeout: float) -> bytes:
        assert self.vm is not None
        return self.vm.readline(timeout)

    def reboot(self, power_off_s: float | None = None) -> None:
        """The VM stops where it is; flash/ keeps what was written. The board RTC is the
        host's (link command K): read before, given back after the boot, so it runs on
        through a reset (power_off_s: rig.targets.base.rtc_after_power_loss)."""
        try:
            rtc = self.rtc_get() if self.vm is not None else None
        except (FirmwareError, TimeoutError):
            rtc = None  # the VM died: its RTC with it
        if power_off_s is not None:
            rtc = rtc_after_power_loss(self.board, rtc, power_off_s)
        if self.vm is not None:
            self.vm.close()
        self._start()
        if rtc is not None:
            self.rtc_set(rtc)

    def close(self) -> None:
        if self.vm is not None:
            self.vm.close()
            self.vm = None
        shutil.rmtree(self._tmp, ignore_errors=True)
