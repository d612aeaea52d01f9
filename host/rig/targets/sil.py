"""sil: the firmware imported into this CPython process, on virtual time."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from co2hr import boot
from co2hr.hil_link import LinkHardware
from rig.targets.base import FirmwareError, StepResult, Target


class SilTarget(Target):
    name = "sil"

    def __init__(self, board: dict, flash_dir: str | None = None) -> None:
        self.board = board
        # The board's flash: a throw-away copy, kept across reboot() like a real one.
        self._tmp = tempfile.mkdtemp(prefix="sil-flash-")
        self.flash = Path(self._tmp) / "flash"
        if flash_dir:
            shutil.copytree(flash_dir, self.flash)
        else:
            self.flash.mkdir()
        self._boot()

    def _boot(self) -> None:
        # the same hardware the HIL link drives: host-set clock and terminals, loopback
        # Modbus ports; here the host sets them by direct calls instead of link lines
        self.hw = LinkHardware()
        self.app = boot.build(self.hw, self.board, flash_dir=str(self.flash))

    def step(self, t_ms, raw, ok) -> StepResult:
        hw = self.hw
        hw.now = t_ms & 0x3FFFFFFF
        hw.raw[:] = raw
        hw.okv[:] = bytes(ok)
        try:
            self.app.service()
        except Exception as e:
            raise FirmwareError(f"{type(e).__name__}: {e}") from e
        return StepResult(self.app.ticks, self.app.overruns, list(hw.out))

    def modbus(self, unit, pdu):
        resp = self.app.modbus.handle_pdu(unit, bytes(pdu))
        return bytes(resp) if resp else None

    def rtu_exchange(self, t_us: int, data: bytes) -> bytes:
        """Bytes on the RTU line ending at t_us (port clock); what the device sent."""
        try:
            return self.hw.bus.rtu_exchange(t_us & 0x3FFFFFFF, bytes(data), self.app.modbus.poll)
        except Exception as e:
            raise FirmwareError(f"{type(e).__name__}: {e}") from e

    def tcp_exchange(self, cid: int, op: str, data: bytes = b"") -> tuple[bytes, bool]:
        """op: open, close, poll or data. Returns (bytes sent on cid, device closed it)."""
        try:
            return self.hw.bus.tcp_exchange(cid, op, bytes(data), self.app.modbus.poll)
        except Exception as e:
            raise FirmwareError(f"{type(e).__name__}: {e}") from e

    def stats(self) -> dict:
        return {"ticks": self.app.ticks, "overruns": self.app.overruns, "tick_alloc": 0,
                "mem_alloc": 0, "mem_free": 0}

    def reboot(self) -> None:
        """A power cut: RAM state is lost, flash/ keeps what was written."""
        self._boot()

    def close(self) -> None:
        shutil.rmtree(self._tmp, ignore_errors=True)
