# Bus-level fakes for the hardware layer's tests (CPython and MicroPython): pins,
# a step/dir valve driver on three pins, an I2C bus with ADS1115 chips answering
# register reads and writes (with a conversion time), an SPI bus with MAX31865
# chips selected by their CS pin, a UART, PWM, ADC, WDT, and a `machine` stand-in
# that hands them out. A device can be made to fail: the bus then raises OSError,
# as machine.I2C/SPI do on a NACK or a timeout. Time is a Clock the test moves;
# bus transactions can move it too (an I2C transfer takes time, a GC can strike).


class FakePin:
    def __init__(self, n, mode=-1, pull=None, value=None):
        self.n = n
        self.mode = mode
        self.pull = pull
        self.level = 0 if value is None else value
        self.history = []
        self.handler = None
        self.trigger = None
        self.on_write = None  # what is wired to an output: called after every write

    def __call__(self, v=None):
        if v is None:
            return self.level
        self.level = 1 if v else 0
        self.history.append(self.level)
        if self.on_write is not None:
            self.on_write(self)
        return None

    def value(self, v=None):
        return self(v)

    def irq(self, trigger=None, handler=None):
        self.trigger = trigger
        self.handler = handler

    def fall(self):
        """An edge on the wire, as the IRQ sees it."""
        self.level = 0
        if self.handler:
            self.handler(self)


class FakeValve:
    """A step/dir driver (A4988/DRV8825 style: a step on each rising STEP edge, DIR
    sampled at that edge, EN active low) on a valve with a closed end stop at 0 and
    an open one at `travel`: the truth a stepper's count is checked against.

    A rising edge sooner than min_gap_us after the previous one, within setup_us of
    a DIR change, or while the driver is disabled moves nothing (lost: the rotor
    cannot follow); a step into an end stop moves nothing either (stalled: what
    homing relies on). slip() loses steps on purpose (a stall in service).
    Times are the clock's unwrapped microseconds. edge_delay, if set, is called at
    each rising edge and returns how many us the edge lands after the driver last
    read the clock (an interrupt between the read and the pin write)."""

    def __init__(self, clock, step, dir, enable=None, travel=480, pos=0, min_gap_us=0,
                 setup_us=1, dir_open=1):
        self.clock = clock
        self.travel = travel
        self.pos = pos
        self.min_gap_us = min_gap_us
        self.setup_us = setup_us
        self.dir_open = dir_open
        self.rises = []  # unwrapped us of every rising STEP edge
        self.opening = 0  # rising edges with DIR set to open / to close
        self.closing = 0
        self.lost = 0
        self.stalled = 0
        self.edge_delay = None
        self._slip = 0
        self._step_lvl = step.level
        self._dir_pin = dir
        self._en_pin = enable
        self._dir_t = -1000000
        step.on_write = self._step
        dir.on_write = self._dir

    def slip(self, n):
        """The next n steps that should move the valve do not (lost in service)."""
        self._slip += n

    def _dir(self, _pin):
        self._dir_t = self.clock.t_us

    def _step(self, pin):
        rising = pin.level == 1 and self._step_lvl == 0
        self._step_lvl = pin.level
        if not rising:
            return
        if self.edge_delay is not None:
            self.clock.t_us += self.edge_delay()
        t = self.clock.t_us
        prev = self.rises[-1] if self.rises else None
        self.rises.append(t)
        opening = (self._dir_pin.level == 1) == (self.dir_open == 1)
        if opening:
            self.opening += 1
        else:
            self.closing += 1
        if ((prev is not None and t - prev < self.min_gap_us)
                or t - self._dir_t < self.setup_us
                or (self._en_pin is not None and self._en_pin.level == 1)):
            self.lost += 1
            return
        if self._slip:
            self._slip -= 1
            return
        new = self.pos + (1 if opening else -1)
        if new < 0 or new > self.travel:
            self.stalled += 1
            return
        self.pos = new


class FakeADS1115Chip:
    """Register model of an ADS1115: config (PGA, MUX, OS), conversion register.

    Writing OS=1 starts a single-shot conversion of the selected input. With a
    clock, it takes conv_us: until then OS reads 0 (busy) and the conversion
    register still holds the previous result, as on the chip; without one it is
    done at once. hang: a started conversion never completes. reset(): power-on
    state (a brown-out), the running conversion forgotten."""

    FS = (6.144, 4.096, 2.048, 1.024, 0.512, 0.256, 0.256, 0.256)
    POR = 0x8583  # power-on default of the config register

    def __init__(self, clock=None, conv_us=1163):
        self.volts = [0.0, 0.0, 0.0, 0.0]
        self.config = self.POR
        self.conv = 0
        self.fail = False
        self.hang = False
        self.conversions = 0  # conversions completed
        self.early_reads = 0  # conversion register read while a conversion ran
        self.clock = clock
        self.conv_us = conv_us if clock is not None else 0
        self._done_at = None  # unwrapped us when the running conversion completes
        self._code = 0

    def reset(self):
        self.config = self.POR
        self._done_at = None

    def _update(self):
        if self._done_at is None or self.hang:
            return
        if self.clock is None or self.clock.t_us >= self._done_at:
            self._done_at = None
            self.conv = self._code
            self.config |= 0x8000
            self.conversions += 1

    def write(self, reg, data):
        if reg != 1:
            return
        self._update()
        cfg = (data[0] << 8) | data[1]
        self.config = cfg & 0x7FFF | (0x8000 if self._done_at is None else 0)
        if cfg & 0x8000 and self._done_at is None:  # OS=1 while idle: start
            mux = (cfg >> 12) & 7
            fs = self.FS[(cfg >> 9) & 7]
            v = self.volts[mux - 4] if mux >= 4 else 0.0
            code = int(v / fs * 32768.0)
            self._code = max(-32768, min(32767, code)) & 0xFFFF
            self.config &= 0x7FFF  # busy
            self._done_at = (self.clock.t_us if self.clock else 0) + self.conv_us
            self._update()

    def read(self, reg, buf):
        self._update()
        if reg == 1:
            v = self.config
        else:
            v = self.conv
            if self._done_at is not None:
                self.early_reads += 1
        buf[0] = v >> 8
        buf[1] = v & 0xFF


class FakeI2C:
    """With a clock, each transfer takes xfer_us, plus whatever pause() returns (a
    GC or an interrupt that strikes while the driver is inside the transfer)."""

    def __init__(self, devices=None, clock=None, xfer_us=60):
        self.devices = devices or {}
        self.log = []
        self.clock = clock
        self.xfer_us = xfer_us
        self.pause = None

    def _dev(self, addr):
        d = self.devices.get(addr)
        if d is None:
            raise OSError(19)  # ENODEV: no ACK
        if d.fail:
            raise OSError(5)  # EIO
        return d

    def _took(self):
        c = self.clock
        if c is not None:
            c.t_us += self.xfer_us + (self.pause() if self.pause is not None else 0)

    def writeto_mem(self, addr, reg, buf):
        self.log.append(("w", addr, reg))
        d = self._dev(addr)
        self._took()
        d.write(reg, bytes(buf))  # latched at the end of the transfer

    def readfrom_mem_into(self, addr, reg, buf):
        self.log.append(("r", addr, reg))
        d = self._dev(addr)
        d.read(reg, buf)  # sampled at the start of the transfer
        self._took()


class FakeMAX31865Chip:
    def __init__(self, ohm=1000.0, rref=4300.0):
        self.ohm = ohm
        self.rref = rref
        self.regs = bytearray(8)
        self.fault_status = 0  # set non-zero: the RTD fault bit is raised
        self.fail = False
        self.absent = False  # MISO floats high: everything reads 0xFF
        self.addr = -1
        self.writes = 0

    def select(self):
        self.addr = -1

    def xfer(self, tx, rx):
        for k in range(len(tx)):
            rx[k] = self.byte(tx[k])

    def byte(self, b):
        if self.absent:
            return 0xFF
        if self.addr < 0:
            self.addr = b
            return 0
        reg = self.addr & 0x7F
        if self.addr & 0x80:
            if reg == 0:
                self.regs[0] = b & ~0x02 & 0xFF
                self.writes += 1  # a fault that persists shows again in the next sample
            self.addr += 1
            return 0
        self.addr += 1
        if reg == 0:
            return self.regs[0]
        code = int(self.ohm / self.rref * 32768.0) & 0x7FFF
        if reg == 1:
            return code >> 7
        if reg == 2:
            return ((code << 1) & 0xFF) | (1 if self.fault_status else 0)
        if reg == 7:
            return self.fault_status
        return 0


class FakeSPI:
    def __init__(self, pins, chips=None):
        self.pins = pins  # machine's pin table: the CS levels
        self.chips = chips or {}  # cs pin number -> chip

    def _chip(self):
        for n in self.chips:
            p = self.pins.get(n)
            if p is not None and p.level == 0:
                c = self.chips[n]
                if c.fail:
                    raise OSError(110)  # ETIMEDOUT
                return c
        return None

    def write(self, buf):
        c = self._chip()
        if c is not None:
            c.select()
            c.xfer(buf, bytearray(len(buf)))

    def write_readinto(self, tx, rx):
        c = self._chip()
        if c is None:
            for k in range(len(rx)):
                rx[k] = 0xFF
            return
        c.select()
        c.xfer(tx, rx)


class FakeUART:
    def __init__(self, uid, **kw):
        self.id = uid
        self.kw = dict(kw)
        self.rx = bytearray()
        self.tx = bytearray()
        self.done = True

    def init(self, **kw):
        self.kw.update(kw)

    def any(self):
        return len(self.rx)

    def readinto(self, mv):
        n = min(len(mv), len(self.rx))
        if not n:
            return None
        for k in range(n):
            mv[k] = self.rx[k]
        self.rx = self.rx[n:]
        return n

    def write(self, mv):
        self.tx.extend(mv)
        return len(mv)

    def txdone(self):
        return self.done


class FakePWM:
    def __init__(self, pin):
        self.pin = pin
        self.f = 0
        self.duty = -1

    def freq(self, f=None):
        if f is None:
            return self.f
        self.f = f

    def duty_u16(self, d=None):
        if d is None:
            return self.duty
        self.duty = d


class FakeADC:
    def __init__(self, pin):
        self.pin = pin
        self.u16 = 32768

    def read_u16(self):
        return self.u16


class FakeWDT:
    created = 0

    def __init__(self, timeout=5000):
        self.timeout = timeout
        self.feeds = 0
        FakeWDT.created += 1

    def feed(self):
        self.feeds += 1


class FakeRTC:
    """machine.RTC: datetime() reads (year, month, day, weekday, h, m, s, subs), with a
    tuple it sets. It keeps running with `clock` (ms) when given. `power_loss()` is
    what a board without a battery sees at power-up: the port's default date."""

    def __init__(self, clock=None, default=(2000, 1, 1, 5, 0, 0, 0, 0)):
        self.clock = clock
        self.default = default
        self.power_loss()

    def _ms(self):
        return self.clock() if self.clock is not None else 0

    def power_loss(self):
        self.datetime(self.default)

    def datetime(self, t=None):
        from co2hr import dates

        if t is not None:
            self.t0 = (dates.day_number(t[0], t[1], t[2]) * 86400 + t[4] * 3600 + t[5] * 60
                       + t[6])
            self.ms0 = self._ms()
            return None
        s = self.t0 + (self._ms() - self.ms0) // 1000
        z = s // 86400
        y, m, d = dates.civil(z)
        r = s - z * 86400
        return (y, m, d, dates.weekday(z), r // 3600, r // 60 % 60, r % 60, 0)


class FakeTimer:
    PERIODIC = 1
    made = []  # every timer, in the order made

    def __init__(self, *a, **kw):
        self.kw = kw
        self.running = True
        FakeTimer.made.append(self)

    def init(self, **kw):
        self.kw = kw

    def deinit(self):
        self.running = False


class _PinFactory:
    IN = 0
    OUT = 1
    PULL_UP = 1
    PULL_DOWN = 2
    IRQ_FALLING = 4
    IRQ_RISING = 8

    def __init__(self, machine):
        self.machine = machine

    def __call__(self, n, mode=-1, pull=None, value=None):
        pins = self.machine.pins
        p = pins.get(n)
        if p is None:
            p = FakePin(n, mode, pull, value)
            pins[n] = p
        else:
            if mode != -1:
                p.mode = mode
            if value is not None:
                p.level = value
        self.machine.log.append(("pin", n))
        return p


class FakeMachine:
    """What co2hr.hw.board_io needs of `machine`, backed by the fakes above."""

    PWRON_RESET = 1
    HARD_RESET = 2
    WDT_RESET = 3
    DEEPSLEEP_RESET = 4
    SOFT_RESET = 5
    Timer = FakeTimer

    def __init__(self, ads=None, max_chips=None, cause=3, clock=None):
        self.pins = {}
        self.log = []
        self.cause = cause
        self.Pin = _PinFactory(self)
        self.i2c = FakeI2C(ads or {}, clock)
        self.spi = FakeSPI(self.pins, max_chips or {})
        self.pwms = {}
        self.adcs = {}
        self.uarts = []
        self.wdts = []
        self.resets = 0
        self.rtc = FakeRTC(clock)

    def reset_cause(self):
        return self.cause

    def reset(self):
        self.resets += 1

    def RTC(self):
        return self.rtc

    def I2C(self, uid, scl=None, sda=None, freq=400000):
        self.log.append(("i2c", uid))
        return self.i2c

    def SPI(self, uid, **kw):
        self.log.append(("spi", uid))
        return self.spi

    def PWM(self, pin):
        p = FakePWM(pin)
        self.pwms[pin.n] = p
        return p

    def ADC(self, pin):
        a = FakeADC(pin)
        self.adcs[pin.n] = a
        return a

    def UART(self, uid, **kw):
        u = FakeUART(uid, **kw)
        self.uarts.append(u)
        return u

    def WDT(self, timeout=5000):
        w = FakeWDT(timeout)
        self.wdts.append(w)
        return w


class Clock:
    """Test time in microseconds (t_us, unwrapped); t is the same in whole ms. Calls
    return what time.ticks_ms() / ticks_us() would: wrapped at 2**30."""

    def __init__(self, t=0):
        self.t_us = t * 1000

    @property
    def t(self):
        return self.t_us // 1000

    @t.setter
    def t(self, ms):  # clk.t += 2 moves on 2 ms, keeping the sub-ms part
        self.t_us = ms * 1000 + self.t_us % 1000

    def __call__(self):
        return (self.t_us // 1000) & 0x3FFFFFFF

    def us(self):
        return self.t_us & 0x3FFFFFFF


def _ads(addr, ch, **kw):
    d = {"adc": "ads1115", "addr": addr, "ch": ch}
    d.update(kw)
    return d


def _ntc(addr, ch):
    return _ads(addr, ch, kind="ntc", r25_ohm=10000, beta=3435, r_series_ohm=10000, v_supply=3.3)


# The ESP32 DevKitC wiring (boards/esp32_devkitc.json), inlined: the MicroPython test
# runner sees only firmware/. host/tests/test_boards.py runs the shipped files.
BOARD = {
    "name": "esp32_devkitc", "mcu": "esp32", "tick_ms": 1000, "wdt_ms": 8000, "led": 2,
    "inputs": {
        "p_gc_bar": _ads(72, 0, kind="ma420", lo=0, hi=160, shunt_ohm=150),
        "p_rec_bar": _ads(72, 1, kind="ma420", lo=0, hi=100, shunt_ohm=150),
        "p_suc_bar": _ads(72, 2, kind="ma420", lo=0, hi=60, shunt_ohm=150),
        "demand_v": _ads(72, 3, kind="v010", divider=3.2),
        "t_gc_out_c": {"kind": "pt1000", "adc": "max31865", "cs": 5, "rref_ohm": 4300,
                       "wires": 3},
        "t_disch_c": {"kind": "pt1000", "adc": "max31865", "cs": 15, "rref_ohm": 4300,
                      "wires": 3},
        "t_amb_c": _ntc(73, 0),
        "t_w_in_c": _ntc(73, 1),
        "t_w_out_c": _ntc(73, 2),
        "t_tank_c": _ntc(73, 3),
        "comp_run": _ads(74, 2, kind="di", threshold_v=1.5),
        "hp_ok": {"kind": "di", "pin": 35},
        "ext_enable": _ads(74, 0, kind="di", threshold_v=1.5),
        "fan_ok": _ads(74, 1, kind="di", threshold_v=1.5),
        "energy_pulses": {"kind": "pulse", "pin": 32, "kwh_per_pulse": 0.001, "pull": "up",
                          "debounce_ms": 20},
        "heat_pulses": {"kind": "pulse", "pin": 34, "pull": "none", "debounce_ms": 20},
    },
    "outputs": {
        "hpev_pct": {"kind": "stepper", "step": 25, "dir": 26, "steps": 480, "max_sps": 150,
                     "accel_sps2": 300, "overdrive_pct": 10},
        "bev_pct": {"kind": "pwm010", "pin": 27, "freq_hz": 1000},
        "hr_valve_pct": {"kind": "pwm010", "pin": 14, "freq_hz": 1000},
        "fan_pct": {"kind": "pwm010", "pin": 13, "freq_hz": 1000},
        "hr_pump_pct": {"kind": "pwm010", "pin": 33, "freq_hz": 1000},
        "gc_bypass": {"kind": "relay", "pin": 16, "min_on_s": 10, "min_off_s": 10},
        "comp_enable": {"kind": "relay", "pin": 12, "min_on_s": 0, "min_off_s": 30},
        "alarm_relay": {"kind": "relay", "pin": 19, "min_on_s": 0, "min_off_s": 0},
    },
    "i2c": {"id": 0, "sda": 21, "scl": 22, "freq": 400000},
    "spi": {"id": 2, "sck": 18, "mosi": 23, "miso": 39, "baudrate": 1000000},
    "uart": {"id": 2, "tx": 17, "rx": 36, "de": 4, "baud": 19200, "parity": "E"},
}


def rig_machine(board=None, clock=None):
    """A FakeMachine with every chip the board names, answering plausible values.
    With a clock, ADS1115 conversions and I2C transfers take their time."""
    board = board or BOARD
    ads = {}
    chips = {}
    for spec in board.get("inputs", {}).values():
        if spec.get("adc") == "ads1115" and spec["addr"] not in ads:
            ads[spec["addr"]] = FakeADS1115Chip(clock)
        elif spec.get("adc") == "max31865":
            chips[spec["cs"]] = FakeMAX31865Chip(1000.0, spec.get("rref_ohm", 4300))
    return FakeMachine(ads, chips, clock=clock)
