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

    def reboot(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
