"""A Modbus master for the technician's commands (pymodbus), with field-grade errors.

Why: in the field the question is never "which Python exception" but "what is wrong
on this wire": nothing answers (which port, address, baud were tried), garbled
replies (CRC: baud/parity/termination), or the controller refused (each Modbus
exception code in words, with what it means on this controller). Every failure is a
`FieldError` whose message is one line.
"""

from __future__ import annotations

import logging
import os
import termios

from pymodbus.client import ModbusSerialClient, ModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusException, ModbusIOException

from co2hr.modbus.crc import crc16
from rig.regs.master import EXCEPTIONS, Master

PARITY = {"N": "none", "E": "even", "O": "odd"}


class FieldError(Exception):
    """What went wrong, in one line a technician can act on."""


def _is_pty(dev: str) -> bool:
    try:
        return 136 <= os.major(os.stat(dev).st_rdev) <= 143  # Unix98 pty slaves
    except OSError:
        return False


class Link(Master):
    """One connection to a controller, by TCP or RTU. `args` holds the connection
    settings as the `rig` commands parse them (tcp or port, baud, parity, stop_bits,
    unit, timeout, retries)."""

    def __init__(self, args):
        logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
        self.unit = int(args.unit)
        self.tries = int(args.retries) + 1
        self.timeout = float(args.timeout)
        self.rx = bytearray()  # raw bytes seen, to tell silence from garbage
        self.pty = False
        if bool(args.tcp) == bool(args.port):
            raise FieldError("say where the controller is: --tcp HOST:PORT or --port DEV "
                             "(one of them)")
        if args.tcp:
            host, _, port = args.tcp.rpartition(":")
            if not host or not port.isdigit():
                raise FieldError(f"--tcp {args.tcp}: expected HOST:PORT, e.g. 127.0.0.1:5020")
            self.where = f"{host}:{port}"
            self.kind = "tcp"
            self.client = ModbusTcpClient(host, port=int(port), timeout=self.timeout,
                                          retries=args.retries, trace_packet=self._trace,
                                          reconnect_delay=0)
        else:
            self.kind = "rtu"
            self.where = (f"{args.port} at {args.baud} baud, 8{args.parity}{args.stop_bits} "
                          f"({PARITY[args.parity]} parity)")
            # A pty (the virtual rig's RTU line, socat) moves bytes, not parity bits: Linux
            # drops PARENB on it (and then refuses it with EINVAL) but keeps PARODD, which
            # the virtual rig's bridge reads to play a wrong parity. So a pty is opened
            # without parity, and odd parity is marked with PARODD alone (_mark_odd).
            self.pty = _is_pty(args.port)
            parity = "N" if self.pty else args.parity
            self.client = ModbusSerialClient(args.port, baudrate=args.baud, parity=parity,
                                             stopbits=args.stop_bits, bytesize=8,
                                             timeout=self.timeout, retries=args.retries,
                                             trace_packet=self._trace, reconnect_delay=0)
        try:
            ok = self.client.connect()
        except Exception as e:  # pyserial raises for a missing device
            raise FieldError(f"cannot open {self._place()}: {e}") from None
        if not ok:
            why = "connection refused or host unreachable" if self.kind == "tcp" else \
                "no such serial port, or it is in use / not permitted"
            raise FieldError(f"cannot open {self._place()}: {why}")
        if self.pty and args.parity == "O":
            self._mark_odd()

    def _mark_odd(self) -> None:
        try:
            fd = self.client.socket.fileno()  # type: ignore[union-attr]
            a = termios.tcgetattr(fd)
            a[2] |= termios.PARODD
            termios.tcsetattr(fd, termios.TCSANOW, a)
        except (AttributeError, OSError, termios.error):
            pass  # a pty that keeps no parity flag at all: the line is as it was

    def _place(self) -> str:
        return ("Modbus TCP " if self.kind == "tcp" else "RTU port ") + self.where

    def _trace(self, sending: bool, data: bytes) -> bytes:
        if sending:
            self.rx.clear()
        else:
            self.rx.extend(data)
        return data

    def close(self) -> None:
        self.client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- one request, every failure turned into a FieldError
    def _call(self, what: str, fn, *a, **kw):
        self.rx.clear()
        try:
            rr = fn(*a, device_id=self.unit, **kw)
        except (ModbusIOException, TimeoutError) as e:
            raise self._silence(what, e) from None
        except ConnectionException as e:
            raise FieldError(f"{what}: connection to {self._place()} lost ({e})") from None
        except ModbusException as e:
            raise FieldError(f"{what}: {e}") from None
        if rr.isError():
            code = getattr(rr, "exception_code", 0)
            name, meaning = EXCEPTIONS.get(code, ("unknown exception", "not a standard code"))
            raise FieldError(f"{what}: the controller answered Modbus exception {code} "
                             f"({name}): {meaning}")
        return rr

    def _silence(self, what: str, e: Exception) -> FieldError:
        got = bytes(self.rx)
        tries = f"{self.tries} tr{'y' if self.tries == 1 else 'ies'} of {self.timeout:g} s"
        if got and self.kind == "rtu":
            bad_crc = len(got) < 4 or crc16(got, 0, len(got)) != 0
            if bad_crc:
                return FieldError(
                    f"{what}: CRC error: {len(got)} garbled bytes from unit {self.unit} on "
                    f"{self.where} ({got[:8].hex()}...): wrong baud or parity, or a noisy / "
                    "unterminated RS-485 line")
            return FieldError(f"{what}: unexpected reply from {self._place()} "
                              f"({got[:12].hex()}): another master on the bus?")
        if self.kind == "rtu":
            return FieldError(
                f"{what}: no answer from unit {self.unit} on {self.where} after {tries}: "
                "check the unit address, baud and parity, and the A/B wiring")
        return FieldError(f"{what}: no answer from unit {self.unit} at Modbus TCP {self.where} "
                          f"after {tries}")

    # -- the transport of rig.regs.master.Master: one request each
    def read_words(self, table: str, addr: int, qty: int) -> list[int]:
        c = self.client
        what = f"reading {table} {addr}..{addr + qty - 1} from unit {self.unit}"
        if table == "input":
            rr = self._call(what, c.read_input_registers, addr, count=qty)
            return list(rr.registers)
        if table == "holding":
            rr = self._call(what, c.read_holding_registers, addr, count=qty)
            return list(rr.registers)
        fn = c.read_coils if table == "coil" else c.read_discrete_inputs
        rr = self._call(what, fn, addr, count=qty)
        return [1 if b else 0 for b in rr.bits[:qty]]

    def write_word(self, addr: int, raw: int, what: str) -> None:
        self._call(what, self.client.write_register, addr, raw)

    def write_bit(self, addr: int, on: bool, what: str) -> None:
        self._call(what, self.client.write_coil, addr, on)

    def write_block(self, addr: int, raws: list[int], what: str) -> None:
        self._call(what, self.client.write_registers, addr, [r & 0xFFFF for r in raws])

    def device_info(self) -> dict[int, bytes]:
        """FC 43/14 basic + regular objects (read device id code 2)."""
        rr = self._call(f"reading the device identification (FC 43/14) of unit {self.unit}",
                        self.client.read_device_information, read_code=2, object_id=0)
        return dict(rr.information)
