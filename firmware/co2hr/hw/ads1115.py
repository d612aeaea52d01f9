# ADS1115 16-bit I2C ADC (TI SBAS444). The ESP32's own ADC is non-linear, so the
# pressure transmitters, the 0-10 V demand and the NTC dividers are read here.
#
# Non-blocking single-shot conversions: start(ch) writes the config (OS=1 starts
# the conversion) and stamps the time after that write returned, i.e. no earlier
# than the conversion really began; done() is False until the conversion time has
# passed since that stamp and the chip's OS bit says idle, with the config reading
# back as written (a chip that reset meanwhile converted nothing of ours); only then
# may result_v() read the conversion register, which until the end of a conversion
# still holds the previous one (another channel's value). A conversion not done
# after _TIMEOUT_US is a bus error. After any fault start() first checks the chip
# is idle: while it converts, a new OS=1 is ignored and the running conversion's
# result would be taken for the new channel's. Bus errors surface as OSError,
# which board_io turns into an invalid signal.
from micropython import const

from co2hr.ticks import ticks_diff

_REG_CONV = const(0x00)
_REG_CONFIG = const(0x01)
_OS_START = const(0x8000)  # write: start a conversion; read: 1 = idle (done)
_MODE_SINGLE = const(0x0100)
_DR_860 = const(0x00E0)  # 860 samples/s: 1.163 ms per conversion
_COMP_OFF = const(0x0003)
_ETIMEDOUT = const(110)
_EIO = const(5)

# PGA setting -> full scale (V); index is the 3-bit PGA field.
FULL_SCALE_V = (6.144, 4.096, 2.048, 1.024, 0.512, 0.256)
_GAIN_4V096 = const(1)  # the default: 3.3 V signals fit, 125 uV per count
CONV_US = const(1300)  # 1/860 s, +10 % (the data rate's tolerance), rounded up
_TIMEOUT_US = const(10000)  # ~8 conversion times: the chip is not converting


class ADS1115:
    def __init__(self, i2c, clock_us, addr=0x48, gain=_GAIN_4V096):
        """clock_us: () -> microseconds wrapping at 2**30 (time.ticks_us)."""
        self.i2c = i2c
        self.addr = addr
        self.gain = gain
        self._clock = clock_us
        self._buf = bytearray(2)
        self._cfg = 0
        self._idle = True  # known idle (power-on, or done() saw the end): start() may write
        self.ch = -1  # channel being converted, -1 when idle
        self.t_start = 0  # us, after the start was written

    def start(self, ch):
        """Start a single-shot conversion of input ch (0..3) against GND."""
        cfg = _OS_START | ((4 + ch) << 12) | (self.gain << 9) | _MODE_SINGLE | _DR_860 | _COMP_OFF
        b = self._buf
        self.ch = -1
        if not self._idle and not self.ready():
            raise OSError(_EIO)  # still converting after a fault: OS=1 would be ignored
        self._idle = False  # from here on, until done() has seen the conversion end
        b[0] = cfg >> 8
        b[1] = cfg & 0xFF
        self.i2c.writeto_mem(self.addr, _REG_CONFIG, b)
        self.t_start = self._clock()
        self._cfg = cfg
        self.ch = ch

    def ready(self):
        """OS bit: True when the chip is not converting."""
        b = self._buf
        self.i2c.readfrom_mem_into(self.addr, _REG_CONFIG, b)
        return bool(b[0] & 0x80)

    def done(self):
        """True once the conversion start() began is complete; never blocks.
        OSError: no conversion running, a bus error, a chip that lost its config,
        or a conversion still not done after _TIMEOUT_US."""
        if self.ch < 0:
            raise OSError(_EIO)
        el = ticks_diff(self._clock(), self.t_start)
        if 0 <= el < CONV_US:
            return False
        if self.ready():
            b = self._buf
            if ((b[0] << 8) | b[1]) != self._cfg:
                self.ch = -1
                raise OSError(_EIO)  # reset since start(): not our conversion
            self._idle = True
            return True
        if el < 0 or el > _TIMEOUT_US:  # el < 0: so long ago the counter wrapped
            self.ch = -1
            raise OSError(_ETIMEDOUT)
        return False

    def result_raw(self):
        b = self._buf
        self.i2c.readfrom_mem_into(self.addr, _REG_CONV, b)
        v = (b[0] << 8) | b[1]
        return v - 65536 if v & 0x8000 else v

    def result_v(self):
        return self.result_raw() * FULL_SCALE_V[self.gain] / 32768.0
