"""serial: a real board running firmware/main.py in HIL mode (hil.flag on its
flash), reached over USB serial or RS-485 with pyserial. Any pyserial URL works,
so a pty path or `socket://` is as good as /dev/ttyUSB0."""

from __future__ import annotations

import time

import serial

from rig.targets.base import FirmwareError, rtc_after_power_loss
from rig.targets.link import LinkTarget


class SerialTarget(LinkTarget):
    name = "serial"

    def __init__(self, board: dict, port: str, baud: int = 115200, **_kw) -> None:
        self.board = board
        self.port = port
        try:
            self.ser = serial.serial_for_url(port, baudrate=baud, timeout=0.05)
        except (serial.SerialException, OSError) as e:
            raise FirmwareError(f"cannot open {port} at {baud} baud: {e}") from e
        self._buf = bytearray()
        self.ping()

    def _write(self, data: bytes) -> None:
        self.ser.write(data)

    def _readline(self, timeout: float) -> bytes:
        end = time.monotonic() + timeout
        while True:
            i = self._buf.find(b"\n")
            if i >= 0:
                line = bytes(self._buf[:i])
                del self._buf[: i + 1]
                return line
            if time.monotonic() > end:
                raise TimeoutError(f"no reply from the board on {self.port} in {timeout} s")
            self._buf.extend(self.ser.read(self.ser.in_waiting or 1))

    def reboot(self, power_off_s: float | None = None) -> None:
        """The board resets (X); its HIL link RTC is the host's, given back after."""
        rtc = self.rtc_get()
        self.command("X", "X")
        time.sleep(2.0)  # the board resets and comes back in HIL mode
        self._buf.clear()
        self.ping()
        if power_off_s is not None:
            rtc = rtc_after_power_loss(self.board, rtc, power_off_s)
        if rtc is not None:
            self.rtc_set(rtc)

    def close(self) -> None:
        self.ser.close()
