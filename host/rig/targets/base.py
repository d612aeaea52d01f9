"""What every target offers the host: step the firmware at a given time with given
terminal values, exchange Modbus PDUs, reboot it."""

from __future__ import annotations

from dataclasses import dataclass


class FirmwareError(RuntimeError):
    """The firmware raised; `traceback` is its own (MicroPython's on mpy/serial)."""

    def __init__(self, message: str, traceback: str = ""):
        tail = "\n--- firmware traceback ---\n" + traceback if traceback else ""
        super().__init__(message + tail)
        self.traceback = traceback


class PowerLost(FirmwareError):
    """The power failed where the host armed it (arm_power_cut): the board is dead
    until reboot()."""


def is_power_fail(message: str) -> bool:
    """The firmware's report of a power cut armed with arm_power_cut (co2hr.hil_link)."""
    return message.startswith("PowerFail")


def rtc_after_power_loss(board: dict, rtc_ms: int | None, off_s: float) -> int | None:
    """What a board RTC reads when the power returns after off_s: it ran on with a
    backup cell (board file "rtc_backup": true), else it holds no time."""
    if rtc_ms is None or not board.get("rtc_backup", False):
        return None
    return rtc_ms + int(round(off_s * 1000))


@dataclass
class StepResult:
    ticks: int
    overruns: int
    outputs: list[float]


class Target:
    name = "?"

    def step(self, t_ms: int, raw: list[float], ok: list[int]) -> StepResult:
        """Set the clock and terminals, run one pass of the firmware loop."""
        raise NotImplementedError

    def modbus(self, unit: int, pdu: bytes) -> bytes | None:
        """Hand one request PDU to the firmware's Modbus core; its reply PDU or None."""
        raise NotImplementedError

    def rtu_exchange(self, t_us: int, data: bytes) -> bytes:
        """Put bytes on the firmware's loopback RTU line (their last stop bit ends at t_us
        on the port clock), poll its Modbus transports once; the bytes it transmitted."""
        raise NotImplementedError

    def tcp_exchange(self, cid: int, op: str, data: bytes = b"") -> tuple[bytes, bool]:
        """Drive loopback TCP connection cid: op "open", "close", "poll" or "data".
        Returns (bytes the firmware sent on it, True when the firmware closed it)."""
        raise NotImplementedError

    def stats(self) -> dict:
        raise NotImplementedError

    def measure_alloc(self, on: bool) -> None:
        """Ask the firmware to count bytes allocated per tick (MicroPython only)."""

    def reboot(self, power_off_s: float | None = None) -> None:
        """Reset the board. power_off_s None: a reset with the power on, the board RTC
        runs on; a number: the power was off that long (rtc_after_power_loss)."""
        raise NotImplementedError

    def rtc_get(self) -> int | None:
        """The board RTC's Unix time in ms (None: it holds none)."""
        return None

    def rtc_set(self, unix_ms: int | None) -> None:
        """Set the board RTC, as a technician's tool or a backup cell would (the
        firmware takes it at its next loop pass)."""

    def arm_power_cut(self, after_bytes: int, name_part: str = "ev") -> None:
        """Cut the power once the firmware has written after_bytes more bytes to flash
        files whose name holds name_part: the step that writes them raises PowerLost."""
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
