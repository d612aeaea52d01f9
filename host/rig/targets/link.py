"""Host end of the HIL link (the protocol is in docs/hil-link.md and
firmware/co2hr/hil_link.py). Works over anything with write(bytes) and a
readline(timeout) -> bytes: the MicroPython VM's pipes, a pty, a USB serial port."""

from __future__ import annotations

from rig.targets.base import FirmwareError, PowerLost, StepResult, Target, is_power_fail


class LinkTarget(Target):
    timeout_s = 10.0

    def _write(self, data: bytes) -> None:
        raise NotImplementedError

    def _readline(self, timeout: float) -> bytes:
        """One line without its newline; raise TimeoutError when none came."""
        raise NotImplementedError

    def command(self, line: str, expect: str) -> list[str]:
        self._write(line.encode() + b"\n")
        trace: list[str] = []
        while True:
            reply = self._readline(self.timeout_s).decode(errors="replace").rstrip("\r")
            if not reply:
                continue
            head, _, rest = reply.partition(" ")
            if head == "!":
                trace.append(rest)
            elif head == "E":
                cls = PowerLost if is_power_fail(rest) else FirmwareError
                raise cls(rest, "\n".join(trace))
            elif head == expect:
                return rest.split()
            # anything else is the board's own chatter (boot banner): skip it

    def step(self, t_ms, raw, ok) -> StepResult:
        mask = 0
        for i, v in enumerate(ok):
            if v:
                mask |= 1 << i
        vals = " ".join("%.7g" % v for v in raw)
        f = self.command("I %d %x %s" % (t_ms & 0x3FFFFFFF, mask, vals), "O")
        return StepResult(int(f[0]), int(f[1]), [float(x) for x in f[2:]])

    def modbus(self, unit, pdu):
        f = self.command("M %d %s" % (unit, bytes(pdu).hex()), "R")
        return None if f[0] == "-" else bytes.fromhex(f[0])

    def rtu_exchange(self, t_us: int, data: bytes) -> bytes:
        """Bytes on the RTU line ending at t_us (port clock); what the device sent."""
        f = self.command("U %d %s" % (t_us & 0x3FFFFFFF, bytes(data).hex() or "-"), "U")
        return b"" if f[0] == "-" else bytes.fromhex(f[0])

    def tcp_exchange(self, cid: int, op: str, data: bytes = b"") -> tuple[bytes, bool]:
        """op: open, close, poll or data. Returns (bytes sent on cid, device closed it)."""
        arg = bytes(data).hex() if op == "data" else "-" if op == "poll" else op
        f = self.command("T %d %s" % (cid, arg), "T")
        return (b"" if f[0] == "-" else bytes.fromhex(f[0])), f[1] == "1"

    def ping(self) -> list[str]:
        return self.command("P", "P")

    def stats(self) -> dict:
        f = [int(x) for x in self.command("S", "S")]
        return {"ticks": f[0], "overruns": f[1], "tick_alloc": f[2], "mem_alloc": f[3],
                "mem_free": f[4]}

    def measure_alloc(self, on: bool) -> None:
        self.command("C %d" % (1 if on else 0), "C")

    def rtc_get(self) -> int | None:
        f = self.command("K", "K")
        return None if f[0] == "-" else int(f[0])

    def rtc_set(self, unix_ms: int | None) -> None:
        self.command("K %s" % ("-" if unix_ms is None else int(unix_ms)), "K")

    def arm_power_cut(self, after_bytes: int, name_part: str = "ev") -> None:
        self.command("F %d %s" % (after_bytes, name_part), "F")
