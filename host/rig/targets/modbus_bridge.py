"""Let real Modbus masters reach the firmware on any target.

The firmware in the MicroPython VM (or in-process on sil) has no sockets and no UART:
its Modbus servers run on loopback byte ports (co2hr.modbus.ports) that the Target
feeds with rtu_exchange()/tcp_exchange() (HIL link commands U and T). This bridge
puts a real TCP server (127.0.0.1:port) and a real serial line (a pty, or an existing
tty such as one end of a socat pair) in front of those ports.

Everything happens in pump(), one non-blocking pass, so a single thread can step the
firmware's control ticks and move Modbus traffic (a Target is not thread-safe):

    bridge = ModbusBridge(target, tcp_port=5020)
    while running:
        bridge.pump()
        if tick_due: target.step(t_ms, raw, ok)

or serve(stop_event, on_pass=...) does that loop. The RTU line's port clock is the
wall clock in microseconds: a frame ends after 3.5 characters of real silence.

A pty moves bytes whatever the baud rate, so the bridge plays the wire's part: it reads
the line settings the master set on its end of the pty (termios: baud rate, data bits,
stop bits, odd parity) and, where they differ from the device's, passes on only what the
other side's UART would decode (rig.targets.uart_line): a master at the wrong baud rate
gets garbled replies or none, and the firmware counts the CRC errors, as on a real
RS-485 line. docs/hil-link.md ("The RTU line") has the details and the limit (a Linux
pty drops the parity-enable flag: even and none cannot be told apart).

A pty moves the device's reply to the master at once, but on a real line the reply
lasts len x character time, and the firmware counts itself transmitting for exactly
that long on its port clock (a byte arriving then is its own RS-485 echo). A fast
master (pymodbus, mbpoll in a loop, a BMS) answers the pty at once, inside that
window. So the bridge holds bytes from the pty/tty until the port clock has passed
the end of the device's transmission, and hands them over then, as a real wire would
have delivered them. The character time is the line's (rtu_line: baud, parity, stop
bits; the firmware's defaults unless told, set_rtu_line() when the device changes).
"""

from __future__ import annotations

import os
import socket
import termios
import threading
import time
import tty
from collections.abc import Callable

from co2hr.settings import SCHEMA, index
from rig.targets import uart_line
from rig.targets.base import Target
from rig.targets.uart_line import LineFormat

_RTU_BUSY_S = 0.05  # keep polling the RTU port this long after bytes reached the device
_TCP_IDLE_POLL_S = 0.5  # poll quiet connections this often (idle timeouts, late answers)


def _now_us() -> int:
    return time.monotonic_ns() // 1000


def char_us(baud: int, parity: int, stop_bits: int) -> int:
    """One character on the line: start + 8 data + parity + stop bits (as the firmware's
    loopback port counts it)."""
    return (9 + (1 if parity else 0) + stop_bits) * 1000000 // baud


DEFAULT_LINE = (int(SCHEMA[index("mb_baud_x100")][1]) * 100, int(SCHEMA[index("mb_parity")][1]),
                int(SCHEMA[index("mb_stop_bits")][1]))
PARITY_LETTERS = "NOE"  # the firmware's mb_parity: 0 none, 1 odd, 2 even
_SPEEDS = {getattr(termios, n): int(n[1:]) for n in dir(termios)
           if n[:1] == "B" and n[1:].isdigit()}
_DATA_BITS = {termios.CS5: 5, termios.CS6: 6, termios.CS7: 7, termios.CS8: 8}


def device_format(line: tuple[int, int, int]) -> LineFormat:
    """The firmware's line (baud, mb_parity 0/1/2, stop bits) as a LineFormat."""
    return LineFormat(line[0], PARITY_LETTERS[line[1]], line[2])


def master_format(fd: int, device: LineFormat) -> LineFormat:
    """The line settings a master set on its end of a pty. A Linux pty keeps the baud
    rate, data bits, stop bits and the odd-parity flag but drops parity-enable: odd is
    seen, even and none are not told apart (taken as the device's when it is not odd)."""
    a = termios.tcgetattr(fd)
    cflag = a[2]
    baud = _SPEEDS.get(a[5], device.baud)
    if cflag & termios.PARODD:
        parity = "O"
    else:
        parity = device.parity if device.parity != "O" else "E"
    return LineFormat(baud, parity, 2 if cflag & termios.CSTOPB else 1,
                      _DATA_BITS.get(cflag & termios.CSIZE, 8))


class _Client:
    def __init__(self, sock: socket.socket, cid: int) -> None:
        self.sock = sock
        self.cid = cid
        self.outstanding = False  # bytes sent to the device not yet answered
        self.last_poll = time.monotonic()


class ModbusBridge:
    def __init__(self, target: Target, tcp_port: int | None = 0, rtu: bool | str = True,
                 host: str = "127.0.0.1",
                 rtu_line: tuple[int, int, int] = DEFAULT_LINE) -> None:
        """tcp_port: 0 = any free port, None = no TCP. rtu: True = a new pty (its path
        in rtu_path), a str = open that tty, False = no RTU. rtu_line: the device's
        (baud, parity 0/1/2, stop bits), for the length of its transmissions."""
        self.target = target
        self.listener: socket.socket | None = None
        self.tcp_port = 0
        self.clients: dict[int, _Client] = {}
        self._next_cid = 1
        if tcp_port is not None:
            ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ls.bind((host, tcp_port))
            ls.listen(16)
            ls.setblocking(False)
            self.listener = ls
            self.tcp_port = ls.getsockname()[1]
        self.rtu_fd: int | None = None
        self._slave_fd: int | None = None
        self.rtu_path = ""
        if rtu is True:
            master, slave = os.openpty()
            tty.setraw(slave)
            tty.setraw(master)
            os.set_blocking(master, False)
            self.rtu_fd, self._slave_fd = master, slave
            self.rtu_path = os.ttyname(slave)
        elif rtu:
            fd = os.open(str(rtu), os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
            tty.setraw(fd)
            self.rtu_fd = fd
            self.rtu_path = str(rtu)
        self._rtu_busy_until = 0.0
        self._rtu_polled = 0.0  # when the device's RTU port was last polled
        self.char_us = char_us(*rtu_line)
        self.device_line = device_format(rtu_line)
        self.rtu_garbled = 0  # chunks the line settings changed on the way (either way)
        self._tx_end_us = 0  # port clock: the device's last stop bit (bridge's clock)
        self._held = bytearray()  # from the master while the device transmits
        self.rtu_held = 0  # times a master's bytes had to wait for the device's reply
        self.rtu_frames_in = 0
        self.tcp_requests = 0

    # --- one pass
    def pump(self) -> bool:
        """Move whatever is waiting, both ways. True when any byte moved."""
        moved = False
        if self.rtu_fd is not None:
            moved |= self._pump_rtu()
        if self.listener is not None:
            moved |= self._pump_tcp()
        return moved

    def set_rtu_line(self, baud: int, parity: int, stop_bits: int) -> None:
        """The device's RTU line settings changed (they set its character time)."""
        self.char_us = char_us(baud, parity, stop_bits)
        self.device_line = device_format((baud, parity, stop_bits))

    def _wire(self, data: bytes, to_device: bool) -> bytes:
        """data as the receiving UART decodes it, where the master's line settings (on
        our own pty) differ from the device's."""
        if self._slave_fd is None or not data:
            return data
        try:
            master = master_format(self._slave_fd, self.device_line)
        except termios.error:
            return data
        if master == self.device_line:
            return data
        self.rtu_garbled += 1
        if to_device:
            return uart_line.receive(data, master, self.device_line)
        return uart_line.receive(data, self.device_line, master)

    def _pump_rtu(self) -> bool:
        assert self.rtu_fd is not None
        try:
            data = os.read(self.rtu_fd, 4096)
        except (BlockingIOError, InterruptedError):
            data = b""
        except OSError:  # EIO: nobody has the other end open
            data = b""
        now_us = _now_us()
        if data:
            self.rtu_frames_in += 1
            if self._held or now_us < self._tx_end_us:
                if not self._held:
                    self.rtu_held += 1
                self._held.extend(data)  # it could not be on the wire before our reply
                data = b""
        if self._held and now_us >= self._tx_end_us:
            data, self._held = bytes(self._held), bytearray()
        if data:
            data = self._wire(data, to_device=True)
        now = time.monotonic()
        if data:
            self._rtu_busy_until = now + _RTU_BUSY_S
        elif not self._held and self._rtu_polled > self._rtu_busy_until:
            return False  # (one poll past the window, late as it may come, ends a frame)
        self._rtu_polled = now
        out = self.target.rtu_exchange(now_us, data)
        if out:
            self._tx_end_us = max(now_us, self._tx_end_us) + len(out) * self.char_us
            self._rtu_busy_until = max(self._rtu_busy_until,
                                       now + (self._tx_end_us - now_us) / 1e6 + _RTU_BUSY_S)
            self._write_all(self._wire(out, to_device=False))
        return bool(data or out)

    def _write_all(self, out: bytes) -> None:
        assert self.rtu_fd is not None
        view = memoryview(out)
        while view:
            try:
                k = os.write(self.rtu_fd, view)
                view = view[k:]
            except BlockingIOError:
                time.sleep(0.0005)
            except OSError:
                return

    def _pump_tcp(self) -> bool:
        assert self.listener is not None
        moved = False
        while True:
            try:
                sock, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                break
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            cid = self._next_cid
            self._next_cid += 1
            out, closed = self.target.tcp_exchange(cid, "open")
            if closed:
                sock.close()  # the firmware refused it (all client slots busy)
            else:
                self.clients[cid] = _Client(sock, cid)
            moved = True
        now = time.monotonic()
        for c in list(self.clients.values()):
            op, data = "", b""
            try:
                data = c.sock.recv(4096)
                op = "data" if data else "close"
            except (BlockingIOError, InterruptedError):
                if c.outstanding or now - c.last_poll > _TCP_IDLE_POLL_S:
                    op = "poll"
            except OSError:
                op = "close"
            if not op:
                continue
            c.last_poll = now
            out, closed = self.target.tcp_exchange(c.cid, op, data)
            if op == "data":
                self.tcp_requests += 1
                c.outstanding = True
            if out:
                c.outstanding = False
                try:
                    c.sock.sendall(out)
                except OSError:
                    closed = True
            elif op == "poll":
                c.outstanding = False
            if closed or op == "close":
                if op != "close":
                    self.target.tcp_exchange(c.cid, "close")
                c.sock.close()
                del self.clients[c.cid]
            moved = True
        return moved

    # --- a loop for callers that want one
    def serve(self, stop: threading.Event, on_pass: Callable[[], None] | None = None,
              idle_sleep_s: float = 0.0002) -> None:
        """pump() (and on_pass(), e.g. stepping the control tick) until stop is set."""
        while not stop.is_set():
            moved = self.pump()
            if on_pass is not None:
                on_pass()
            if not moved:
                time.sleep(idle_sleep_s)

    def close(self) -> None:
        for c in self.clients.values():
            c.sock.close()
        self.clients.clear()
        if self.listener is not None:
            self.listener.close()
            self.listener = None
        for fd in (self.rtu_fd, self._slave_fd):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.rtu_fd = self._slave_fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


__all__ = ["ModbusBridge"]
