"""sil: the firmware imported into this CPython process, on virtual time."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from co2hr import boot
from co2hr.hil_link import LinkHardware, PowerFail
from rig.targets.base import FirmwareError, PowerLost, StepResult, Target, rtc_after_power_loss


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

    def _boot(self, rtc_ms: int | None = None) -> None:
        # the same hardware the HIL link drives: host-set clock and terminals, loopback
        # Modbus ports; here the host sets them by direct calls instead of link lines.
        # The RTC holds rtc_ms before the firmware boots, as a board RTC that ran on.
        self.hw = LinkHardware()
        self.hw.rtc_ms = rtc_ms
        self.app = boot.build(self.hw, self.board, flash_dir=str(self.flash))

    def _dead(self) -> None:
        if self.hw.fs is not None and self.hw.fs.dead:
            raise PowerLost("PowerFail: power failed")

    def step(self, t_ms, raw, ok) -> StepResult:
        self._dead()
        hw = self.hw
        hw.set_now(t_ms & 0x3FFFFFFF)
        hw.raw[:] = raw
        hw.okv[:] = bytes(ok)
        try:
            self.app.service()
        except PowerFail as e:
            raise PowerLost(f"PowerFail: {e}") from e
        except Exception as e:
            raise FirmwareError(f"{type(e).__name__}: {e}") from e
        return StepResult(self.app.ticks, self.app.overruns, list(hw.out))

    def modbus(self, unit, pdu):
        self._dead()
        try:
            resp = self.app.modbus.handle_pdu(unit, bytes(pdu))
        except PowerFail as e:
            raise PowerLost(f"PowerFail: {e}") from e
        return bytes(resp) if resp else None

    def rtc_get(self) -> int | None:
        return self.hw.rtc_ms

    def rtc_set(self, unix_ms: int | None) -> None:
        self.hw.set_rtc(unix_ms)

    def arm_power_cut(self, after_bytes: int, name_part: str = "ev") -> None:
        self.hw.flash_fs().arm(after_bytes, name_part)

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

    def reboot(self, power_off_s: float | None = None) -> None:
        """RAM state is lost, flash/ keeps what was written; the RTC runs on through a
        reset (power_off_s: rig.targets.base.rtc_after_power_loss)."""
        rtc = self.hw.rtc_ms
        if power_off_s is not None:
            rtc = rtc_after_power_loss(self.board, rtc, power_off_s)
        self._boot(rtc)

    def close(self) -> None:
        shutil.rmtree(self._tmp, ignore_errors=True)
