# ADS1115 16-bit I2C ADC (TI SBAS444). The ESP32's own ADC is non-linear, so the
# pressure transmitters, the 0-10 V demand and the NTC dividers are read here.
# Non-blocking: start(ch) begins a single-shot conversion, ready() polls the OS
# bit, result_v() reads it; board_io scans the channels one conversion per poll.
# Bus errors surface as OSError, which board_io turns into an invalid signal.
from micropython import const

_REG_CONV = const(0x00)
_REG_CONFIG = const(0x01)
_OS_START = const(0x8000)  # write: start a conversion; read: 1 = idle (done)
_MODE_SINGLE = const(0x0100)
_DR_860 = const(0x00E0)  # 860 samples/s: 1.2 ms per conversion
_COMP_OFF = const(0x0003)

# PGA setting -> full scale (V); index is the 3-bit PGA field.
FULL_SCALE_V = (6.144, 4.096, 2.048, 1.024, 0.512, 0.256)
_GAIN_4V096 = const(1)  # the default: 3.3 V signals fit, 125 uV per count
CONV_MS = const(2)  # a conversion at 860 SPS is done after this long


class ADS1115:
    def __init__(self, i2c, addr=0x48, gain=_GAIN_4V096):
        self.i2c = i2c
        self.addr = addr
        self.gain = gain
        self._buf = bytearray(2)
        self.ch = -1  # channel being converted, -1 when idle

    def start(self, ch):
        """Start a single-shot conversion of input ch (0..3) against GND."""
        cfg = _OS_START | ((4 + ch) << 12) | (self.gain << 9) | _MODE_SINGLE | _DR_860 | _COMP_OFF
        b = self._buf
        b[0] = cfg >> 8
        b[1] = cfg & 0xFF
        self.ch = -1
        self.i2c.writeto_mem(self.addr, _REG_CONFIG, b)
        self.ch = ch

    def ready(self):
        b = self._buf
        self.i2c.readfrom_mem_into(self.addr, _REG_CONFIG, b)
        return bool(b[0] & 0x80)

    def result_raw(self):
        b = self._buf
        self.i2c.readfrom_mem_into(self.addr, _REG_CONV, b)
        v = (b[0] << 8) | b[1]
        return v - 65536 if v & 0x8000 else v

    def result_v(self):
        return self.result_raw() * FULL_SCALE_V[self.gain] / 32768.0
