# Modbus RTU on a byte port (Modbus over Serial Line v1.02 §2.5):
# * a frame ends after 3.5 character times of silence (fixed 1750 us above 19200
#   baud), measured on the port's own microsecond clock (virtual on the simulators);
#   the 1.5-character inter-byte rule is not enforced (polled UART FIFOs cannot see it);
# * CRC-16/MODBUS; a bad CRC is counted and never answered;
# * only frames for our address are served; address 0 (broadcast) is never answered
#   and writes nothing (registers.py: a broadcast has no sender to hold an unlock);
# * the line is one unlock session (co2hr.modbus.unlock) with its own guard: an RTU
#   line has one master at a time, so its unlock holds between requests until it
#   times out or 0 is written to the unlock register;
# * RS-485 direction: DE is raised before the first byte is written and dropped only
#   when the port reports the last stop bit gone (tx_done()); bytes received while
#   transmitting (the echo of a half-duplex transceiver) are discarded;
# * communication settings (address, baud, parity, stop bits) are re-read only when
#   idle, so the answer to the write that changed them goes out the old way.
#
# The port interface (co2hr.hw implements it with machine.UART + a DE Pin; the
# simulators with modbus.ports.LoopRtuPort). Every call is non-blocking:
#   kind = "rtu"          any() -> bytes waiting     readinto(mv) -> n read
#   write(mv) (queues)    tx_done() -> bool          de(level)
#   ticks_us() -> int (wraps at 2**30)               configure(baud, parity, stop_bits)
#
# Byte path: preallocated buffers; a memoryview slice is made only when bytes arrive
# and once per response.
from micropython import const

from co2hr.modbus import crc
from co2hr.modbus.registers import D_BAD_FRAME, D_CRC, D_OTHER_UNIT
from co2hr.modbus.unlock import Guard, Unlock
from co2hr.settings import index as _sidx
from co2hr.ticks import ticks_diff

_MAX_ADU = const(256)
_I_UNIT = _sidx("mb_unit")  # build: constant
_I_BAUD = _sidx("mb_baud_x100")  # build: constant
_I_PARITY = _sidx("mb_parity")  # build: constant
_I_STOP = _sidx("mb_stop_bits")  # build: constant


def silence_us(baud, parity, stop_bits):
    """t3.5 in microseconds for a character of 1 start + 8 data + parity + stop bits."""
    if baud > 19200:
        return 1750
    bits = 9 + (1 if parity else 0) + stop_bits
    return (35 * bits * 100000) // baud


class RtuServer:
    def __init__(self, port, server, clock_ms):
        self.port = port
        self.server = server
        self.clock_ms = clock_ms  # the App's ms clock (the session's deadlines)
        self.session = Unlock(Guard(clock_ms), server.settings)
        self.rx = bytearray(_MAX_ADU)
        self.rx_mv = memoryview(self.rx)
        self.tail = self.rx_mv
        self.tx = bytearray(_MAX_ADU)
        self.tx_mv = memoryview(self.tx)
        self.scratch = bytearray(32)
        self.n = 0
        self.overflow = False
        self.last_us = 0
        self.sending = False
        self.cfg_version = -1
        self.unit = 1
        self.baud = 0
        self.t35_us = 0
        self.turnaround_us = 0  # last request end -> response written, port clock
        self._configure()
        port.de(0)

    def _configure(self):
        s = self.server.settings
        self.cfg_version = s.version
        v = s.values
        self.unit = int(v[_I_UNIT])
        baud = int(v[_I_BAUD]) * 100
        parity = int(v[_I_PARITY])
        stop = int(v[_I_STOP])
        if baud != self.baud or self.t35_us != silence_us(baud, parity, stop):
            self.port.configure(baud, parity, stop)
        self.baud = baud
        self.t35_us = silence_us(baud, parity, stop)

    def poll(self):
        port = self.port
        self.session.expire(self.clock_ms())
        if self.sending:
            if not port.tx_done():
                while port.any():
                    port.readinto(self.scratch)  # our own echo
                return
            port.de(0)
            self.sending = False  # bytes now waiting came after our last stop bit: keep
        if self.cfg_version != self.server.settings.version:
            self._configure()
        now = port.ticks_us()
        if (self.n or self.overflow) and ticks_diff(now, self.last_us) >= self.t35_us:
            self._frame(now)
            if self.sending:
                return
        if port.any():
            while port.any():
                if self.n < _MAX_ADU:
                    k = port.readinto(self.tail)
                    if k:
                        self.n += k
                        self.tail = self.rx_mv[self.n:]
                else:
                    k = port.readinto(self.scratch)
                    self.overflow = True
                if not k:
                    break
            self.last_us = now

    def _frame(self, now):
        n = self.n
        self.n = 0
        self.tail = self.rx_mv
        srv = self.server
        if self.overflow or n < 4:
            self.overflow = False
            srv.diag[D_BAD_FRAME] += 1
            return
        rx = self.rx
        if not crc.check(rx, n):
            srv.diag[D_CRC] += 1
            return
        addr = rx[0]
        if addr != 0 and addr != self.unit:
            srv.diag[D_OTHER_UNIT] += 1
            return
        tx = self.tx
        k = srv.serve(rx, 1, n - 3, tx, 1, self.session, addr == 0)
        if k == 0:
            return
        tx[0] = addr
        k = crc.append(tx, k + 1)
        port = self.port
        port.de(1)
        self.sending = True
        self.turnaround_us = ticks_diff(port.ticks_us(), self.last_us)
        port.write(self.tx_mv[:k])
