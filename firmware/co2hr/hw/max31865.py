# MAX31865 RTD-to-digital converter on SPI, for the PT1000 sensors. Runs in
# automatic conversion mode (a fresh reading every ~20 ms at 50 Hz filtering),
# so a read is one short SPI transfer and never waits. The config register is
# read back with every sample: a chip that reset, or is missing (MISO stuck),
# gives an invalid reading and is set up again, rather than a plausible number.
from micropython import const

_REG_CONFIG = const(0x00)
_REG_FAULT = const(0x07)
_WRITE = const(0x80)
_CFG_VBIAS = const(0x80)
_CFG_AUTO = const(0x40)
_CFG_3WIRE = const(0x10)
_CFG_FAULT_CLEAR = const(0x02)
_CFG_50HZ = const(0x01)


class MAX31865:
    def __init__(self, spi, cs, rref_ohm=4300.0, wires=3, filter_50hz=True):
        """spi: a configured machine.SPI (mode 1 or 3); cs: a Pin, idle high."""
        self.spi = spi
        self.cs = cs
        self.rref_ohm = float(rref_ohm)
        cfg = _CFG_VBIAS | _CFG_AUTO
        if wires == 3:
            cfg |= _CFG_3WIRE
        if filter_50hz:
            cfg |= _CFG_50HZ
        self.cfg = cfg
        self.fault = 0  # last fault status register, 0 when none
        self._tx = bytearray(4)
        self._rx = bytearray(4)
        self._w = bytearray(2)
        cs(1)

    def _write(self, reg, value):
        w = self._w
        w[0] = reg | _WRITE
        w[1] = value
        self.cs(0)
        try:
            self.spi.write(w)
        finally:
            self.cs(1)

    def init(self):
        """Configure (and clear faults). Raises OSError on a bus error."""
        self._write(_REG_CONFIG, self.cfg | _CFG_FAULT_CLEAR)

    def _xfer(self, reg):
        tx = self._tx
        tx[0] = reg
        tx[1] = 0
        tx[2] = 0
        tx[3] = 0
        self.cs(0)
        try:
            self.spi.write_readinto(tx, self._rx)
        finally:
            self.cs(1)
        return self._rx

    def read_ohm(self):
        """RTD resistance in ohm, or None when the chip reports a fault or does not
        answer as configured (it is then set up again). OSError on a bus error."""
        rx = self._xfer(_REG_CONFIG)  # config, RTD MSB, RTD LSB in one burst
        if (rx[1] & ~_CFG_FAULT_CLEAR & 0xFF) != self.cfg:
            self.fault = 0x100  # not configured: missing, reset or MISO stuck
            self.init()
            return None
        if rx[3] & 1:
            self.fault = self._xfer(_REG_FAULT)[1] or 1
            self.init()  # clear, so the next sample shows whether it persists
            return None
        self.fault = 0
        code = ((rx[2] << 8) | rx[3]) >> 1
        return code * self.rref_ohm / 32768.0
