# BoardHardware: co2hr.hal.Hardware on a real board, built from its board file.
#
# Order at power-up matters: every output is driven to its safe state
# (co2hr.io.SAFE_OUTPUTS) before a bus is touched, and the expansion valve starts
# homing at once; only then are the buses and inputs set up. Any bus error
# (OSError from I2C or SPI) makes that signal invalid for the tick, never a crash.
#
# The ADS1115s are scanned one conversion at a time from poll() (a result is taken
# only once the chip says the conversion is done, ~2 ms each at the 2 ms poll) and
# the valve is stepped from poll() too (each pulse timed from the us clock, so a
# late poll only slows it); on a board a periodic soft timer calls poll(), so
# neither waits in the control tick. read() then takes the latest conversion
# (invalid if older than _STALE_MS), reads the MAX31865s (one short SPI burst each),
# GPIOs, pulse counts and the on-chip ADC. write() sets the valve's position and,
# once per tick, lets it re-home at its closed end (setting hpev_rehome_h, read
# from the settings use_settings() hands over); homing() tells which outputs are
# homing now.
#
# A board whose board file has a "net" section brings its network up from the site
# file (co2hr/hw/net.py, self.net; None without one) and gets a Modbus TCP listener on
# it; nothing of the network is imported on a board without one.
#
# machine is passed in (tests pass a bus-level fake) or imported here: this package
# is the only one that imports it (network and socket likewise).
import sys

from micropython import const

from co2hr.hal import Hardware
from co2hr.hw.ads1115 import ADS1115
from co2hr.hw.comm_ports import SocketTcpListener, UartRtuPort
from co2hr.hw.max31865 import MAX31865
from co2hr.hw.pulse import PulseCounter
from co2hr.hw.pwm_out import PwmOut
from co2hr.hw.relay import Relay
from co2hr.hw.rtc import BoardRtc
from co2hr.hw.stepper import Stepper
from co2hr.hw.watchdog import Watchdog
from co2hr.io import INPUTS, N_IN, N_OUT, OUTPUTS, SAFE_OUTPUTS
from co2hr.signals import K_DI, K_MA420, K_NTC, K_PT1000, K_RATIO, K_V010, KINDS
from co2hr.ticks import ticks_diff

_POLL_MS = const(2)  # timer period: ADS conversion + at most one valve step per poll
_REHOME_SETTING = "hpev_rehome_h"
_STALE_MS = const(3000)  # an ADS value older than this is invalid
_W_NONE = const(0)
_W_ADS = const(1)
_W_MAX = const(2)
_W_DI = const(3)
_W_PULSE = const(4)
_W_ADC = const(5)
_O_NONE = const(0)
_O_PWM = const(1)
_O_STEPPER = const(2)
_O_RELAY = const(3)
ADC_VREF = 3.3  # RP2040 ADC reference (Pico: 3.3 V through a filter)
RESET_NAMES = ("PWRON_RESET", "HARD_RESET", "WDT_RESET", "DEEPSLEEP_RESET", "SOFT_RESET")
_PARITY = {"N": 0, "O": 1, "E": 2}


def _read_site(path, nets):
    """co2hr.sitefile.load(path, nets), with its checks dropped from the heap again once
    the file is read (~2 KB): (status, site dict or None, message)."""
    from co2hr import sitefile

    try:
        return sitefile.load(path, nets)
    finally:
        sys.modules.pop("co2hr.sitefile", None)
        import co2hr

        if hasattr(co2hr, "sitefile"):
            delattr(co2hr, "sitefile")


class BoardHardware(Hardware):
    def __init__(self, board, machine=None, clock=None, clock_us=None, timer=True,
                 flash_dir="flash", site_path="site.json", network=None, socket=None,
                 log=print):
        if machine is None:
            import machine as _machine  # tests pass a fake machine at the pin level

            machine = _machine
        if clock is None or clock_us is None:
            import time

            clock = clock or time.ticks_ms
            clock_us = clock_us or time.ticks_us
        self.m = machine
        self.clock = clock
        self.clock_us = clock_us
        # what is needed after boot, not the board dict (main.py frees it after boot)
        self._mcu = board.get("mcu")
        self._uart = board.get("uart")
        self.flash_dir = board.get("flash_dir", flash_dir)
        self.bus_errors = 0
        self._settings = None
        self._rehome_i = -1
        self.cause = self._read_reset_cause()
        self.rtc = BoardRtc(machine.RTC()) if hasattr(machine, "RTC") else None
        now = clock()
        self._build_outputs(board.get("outputs", {}))
        self.safe_state(now)  # before any bus is touched
        self._build_inputs(board)
        self.net = self._build_net(board.get("net"), site_path, network, log)
        self._socket = socket
        self.wdt = Watchdog(self._make_wdt, board.get("wdt_ms", 8000))
        self.led = None
        if "led" in board:
            self.led = machine.Pin(board["led"], machine.Pin.OUT, value=0)
        self._led_on = 0
        self._ports = None
        self.timer = None
        if timer:
            self._start_timer()

    # --- construction --------------------------------------------------------------
    def _read_reset_cause(self):
        m = self.m
        try:
            c = m.reset_cause()
        except (AttributeError, OSError):
            return "unknown"
        for name in RESET_NAMES:
            if getattr(m, name, None) == c:
                return name[:-6].lower()  # "wdt", "pwron", ...
        return "unknown"

    def _build_net(self, spec, site_path, network, log):
        """The network link from the site file: NetLink when it asks for one of the
        board's interfaces, else NetOff (why: its .site); None without a net section."""
        if not spec:
            return None
        status, cfg, why = _read_site(site_path, list(spec))
        if cfg is not None and cfg["net"] != "none":
            from co2hr.hw.net import NetLink

            return NetLink(spec, cfg, status, self.clock, self.m, network, log)
        from co2hr.hw.netoff import NetOff

        log("net: " + ("the site file says net none" if cfg is not None else why)
            + ": running without a network (rig deploy --site FILE writes one)")
        return NetOff(status)

    def _make_wdt(self, timeout_ms):
        return self.m.WDT(timeout=timeout_ms)

    def _out_pin(self, n):
        m = self.m
        return m.Pin(n, m.Pin.OUT, value=0)

    def _build_outputs(self, outs):
        m = self.m
        self.out_kind = bytearray(N_OUT)
        self.out_drv = [None] * N_OUT  # type: list
        self.steppers = []
        for i in range(N_OUT):
            spec = outs.get(OUTPUTS[i])
            if spec is None:
                continue
            k = spec["kind"]
            if k == "pwm010":
                pwm = m.PWM(self._out_pin(spec["pin"]))
                pwm.freq(int(spec.get("freq_hz", 1000)))
                self.out_drv[i] = PwmOut(pwm, spec.get("invert", False))
                self.out_kind[i] = _O_PWM
            elif k == "relay":
                self.out_drv[i] = Relay(self._out_pin(spec["pin"]), spec.get("min_on_s", 0),
                                        spec.get("min_off_s", 0), not spec.get("active_low", False))
                self.out_kind[i] = _O_RELAY
            elif k == "stepper":
                en = self._out_pin(spec["enable"]) if "enable" in spec else None
                st = Stepper(self._out_pin(spec["step"]), self._out_pin(spec["dir"]),
                             spec["steps"], spec["max_sps"], spec["accel_sps2"], self.clock_us,
                             enable=en, overdrive_pct=spec.get("overdrive_pct", 10),
                             dir_open=spec.get("dir_open", 1), poll_us=_POLL_MS * 1000)
                st.home()  # the count means nothing until the valve has hit its stop
                self.out_drv[i] = st
                self.out_kind[i] = _O_STEPPER
                self.steppers.append(st)

    def _build_inputs(self, board):
        m = self.m
        ins = board.get("inputs", {})
        self.wire = bytearray(N_IN)
        self.drv = [None] * N_IN  # type: list
        self.p1 = [0.0] * N_IN  # shunt ohm / divider / series ohm / threshold V
        self.p2 = [0.0] * N_IN  # ntc/pt1000 on an ADS: supply volts
        self.invert = bytearray(N_IN)
        self.kcode = bytearray(N_IN)
        self.ads_v = [0.0] * N_IN
        self.ads_t = [0] * N_IN
        self.ads_ok = bytearray(N_IN)
        self.i2c = None
        self.spi = None
        self.irq_pins = []  # type: list
        ads = {}
        scan_ads = []
        scan_ch = bytearray()
        scan_in = bytearray()
        for i in range(N_IN):
            spec = ins.get(INPUTS[i])
            if spec is None:
                continue
            kind = spec["kind"]
            self.kcode[i] = KINDS[kind]
            self.invert[i] = 1 if spec.get("invert") else 0
            self.p1[i], self.p2[i] = self._front_end(kind, spec)
            adc = spec.get("adc")
            if adc == "ads1115":
                scan_ads.append(self._ads(board, ads, spec["addr"]))
                scan_ch.append(spec["ch"])
                scan_in.append(i)
                self.wire[i] = _W_ADS
            elif adc == "max31865":
                self.drv[i] = self._max31865(board, spec)
                self.wire[i] = _W_MAX
            elif kind == "di":
                self.drv[i] = m.Pin(spec["pin"], m.Pin.IN, self._pull(spec))
                self.wire[i] = _W_DI
            elif kind == "pulse":
                pin = m.Pin(spec["pin"], m.Pin.IN, self._pull(spec))
                pc = PulseCounter(self.clock, spec.get("debounce_ms", 20))
                pin.irq(trigger=m.Pin.IRQ_FALLING, handler=pc.irq)
                self.irq_pins.append(pin)
                self.drv[i] = pc
                self.wire[i] = _W_PULSE
            else:  # analog on the on-chip ADC (RP2040: GP26-28)
                self.drv[i] = m.ADC(m.Pin(spec["pin"]))
                self.wire[i] = _W_ADC
        self.scan_ads = scan_ads
        self.scan_ch = scan_ch
        self.scan_in = scan_in
        self._scan_i = 0
        self._converting = False

    def _ads(self, board, ads, addr):
        """The ADS1115 at addr, built on the shared I2C bus the first time it is named."""
        if addr not in ads:
            m = self.m
            if self.i2c is None:
                c = board["i2c"]
                self.i2c = m.I2C(c.get("id", 0), scl=m.Pin(c["scl"]), sda=m.Pin(c["sda"]),
                                 freq=c.get("freq", 400000))
            ads[addr] = ADS1115(self.i2c, self.clock_us, addr)
        return ads[addr]

    def _max31865(self, board, spec):
        """A MAX31865 on the shared SPI bus (built the first time); a failed set-up is
        counted and retried by read_ohm()."""
        m = self.m
        if self.spi is None:
            c = board["spi"]
            self.spi = m.SPI(c.get("id", 1), baudrate=c.get("baudrate", 1000000),
                             polarity=0, phase=1, sck=m.Pin(c["sck"]),
                             mosi=m.Pin(c["mosi"]), miso=m.Pin(c["miso"]))
        cs = m.Pin(spec["cs"], m.Pin.OUT, value=1)
        d = MAX31865(self.spi, cs, spec.get("rref_ohm", 4300), spec.get("wires", 3))
        try:
            d.init()
        except OSError:
            self.bus_errors += 1
        return d

    def _pull(self, spec):
        p = spec.get("pull", "none")
        m = self.m
        return m.Pin.PULL_UP if p == "up" else (m.Pin.PULL_DOWN if p == "down" else None)

    @staticmethod
    def _front_end(kind, spec):
        if kind == "ma420":
            return float(spec.get("shunt_ohm", 150)), 0.0
        if kind in ("v010", "ratio"):
            return float(spec.get("divider", 1.0)), 0.0
        if kind in ("ntc", "pt1000"):
            return float(spec.get("r_series_ohm", 10000)), float(spec.get("v_supply", ADC_VREF))
        if kind == "di":
            return float(spec.get("threshold_v", 1.5)), 0.0
        return 0.0, 0.0

    def _start_timer(self):
        m = self.m
        cb = self._on_timer
        if self._mcu == "esp32":  # hardware timer, soft (scheduled) callback
            t = m.Timer(0)
            t.init(period=_POLL_MS, mode=m.Timer.PERIODIC, callback=cb)
        else:  # rp2: virtual timer; soft so that poll() may allocate
            t = m.Timer(period=_POLL_MS, mode=m.Timer.PERIODIC, callback=cb, hard=False)
        self.timer = t

    def _on_timer(self, _t):
        self.poll(self.clock())

    # --- background: ADS scan and valve motion ----------------------------------------
    def poll(self, now):
        """Valve steps that are due, then the ADS scan; from a timer or a loop."""
        for st in self.steppers:
            st.poll()
        if self.scan_in:
            self._scan(now)

    def _scan(self, now):
        """Take the running conversion if it is done, then start the next channel's."""
        n = len(self.scan_in)
        j = self._scan_i
        if self._converting:
            i = self.scan_in[j]
            a = self.scan_ads[j]
            try:
                if not a.done():
                    return
                self.ads_v[i] = a.result_v()
                self.ads_t[i] = now
                self.ads_ok[i] = 1
            except OSError:  # bus error, or a conversion that never completed
                self.ads_ok[i] = 0
                self.bus_errors += 1
            self._converting = False
            j = (j + 1) % n
            self._scan_i = j
        try:
            self.scan_ads[j].start(self.scan_ch[j])
            self._converting = True
        except OSError:
            self.ads_ok[self.scan_in[j]] = 0
            self.bus_errors += 1
            self._scan_i = (j + 1) % n

    # --- co2hr.hal.Hardware -------------------------------------------------------------
    def ticks_ms(self):
        return self.clock()

    def read(self, raw, ok):
        now = self.clock()
        for i in range(N_IN):
            w = self.wire[i]
            good = 0
            try:
                if w == _W_ADS:
                    if self.ads_ok[i] and ticks_diff(now, self.ads_t[i]) <= _STALE_MS:
                        good = self._from_volts(i, self.ads_v[i], raw)
                elif w == _W_MAX:
                    r = self.drv[i].read_ohm()
                    if r is not None:
                        raw[i] = r
                        good = 1
                elif w == _W_DI:
                    raw[i] = self.drv[i].value() ^ self.invert[i]
                    good = 1
                elif w == _W_PULSE:
                    raw[i] = self.drv[i].count
                    good = 1
                elif w == _W_ADC:
                    good = self._from_volts(i, self.drv[i].read_u16() * ADC_VREF / 65535.0, raw)
            except OSError:
                self.bus_errors += 1
                good = 0
            ok[i] = good

    def _from_volts(self, i, v, raw):
        """Terminal value from the voltage at the converter pin; 0 if implausible."""
        k = self.kcode[i]
        p1 = self.p1[i]
        if k == K_MA420:
            raw[i] = v * 1000.0 / p1
        elif k == K_V010 or k == K_RATIO:
            raw[i] = v * p1
        elif k == K_NTC or k == K_PT1000:
            vs = self.p2[i]
            if v >= vs * 0.995 or v <= 0.0:
                return 0  # open or shorted sensor
            raw[i] = p1 * v / (vs - v)
        elif k == K_DI:
            raw[i] = (1 if v > p1 else 0) ^ self.invert[i]
        else:
            return 0
        return 1

    def write(self, out):
        now = self.clock()
        for i in range(N_OUT):
            k = self.out_kind[i]
            if k == _O_PWM:
                self.out_drv[i].set_pct(out[i])
            elif k == _O_STEPPER:
                d = self.out_drv[i]
                d.set_pct(out[i])
                d.maintain(now, self._rehome_h())
            elif k == _O_RELAY:
                self.out_drv[i].set(out[i] >= 0.5, now)

    def _rehome_h(self):
        s = self._settings
        return s.values[self._rehome_i] if s is not None else 0

    def use_settings(self, settings):
        from co2hr.settings import index

        self._rehome_i = index(_REHOME_SETTING)
        self._settings = settings

    def homing(self):
        """Bit i set while output i homes (its position is not the commanded one)."""
        mask = 0
        for i in range(N_OUT):
            if self.out_kind[i] == _O_STEPPER and self.out_drv[i].homing:
                mask |= 1 << i
        return mask

    def safe_state(self, now=None):
        """Every output to co2hr.io.SAFE_OUTPUTS at once (relay timers bypassed)."""
        if now is None:
            now = self.clock()
        for i in range(N_OUT):
            k = self.out_kind[i]
            d = self.out_drv[i]
            if k == _O_PWM:
                d.set_pct(SAFE_OUTPUTS[i])
            elif k == _O_STEPPER:
                d.safe(SAFE_OUTPUTS[i])
            elif k == _O_RELAY:
                d.force(SAFE_OUTPUTS[i] >= 0.5, now)

    def feed_watchdog(self):
        self.wdt.feed()
        if self.led is not None:  # heartbeat: toggles once per completed tick
            self._led_on ^= 1
            self.led(self._led_on)

    def reset_cause(self):
        return self.cause

    def reset(self):
        """Restart the board at once (main.py: after a failure in the running loop)."""
        self.m.reset()

    def quiesce(self):
        """Nothing of this package runs after this (no timer, no pin interrupt): the
        outputs keep what they were last given. Maintenance calls it when mpremote
        interrupts it, before the firmware's files (or ROMFS image) are rewritten."""
        if self.timer is not None:
            self.timer.deinit()
            self.timer = None
        for p in self.irq_pins:
            p.irq(handler=None)

    def rtc_read(self):
        return self.rtc.read() if self.rtc is not None else None

    def rtc_write(self, y, mo, d, h, mi, s):
        if self.rtc is not None:
            self.rtc.write(y, mo, d, h, mi, s)

    def comm_ports(self):
        if self._ports is None:
            self._ports = self._build_ports()
        return self._ports

    def _build_ports(self):
        m = self.m
        ports = []  # type: list
        u = self._uart
        if u:
            uart = m.UART(u.get("id", 1), baudrate=u.get("baud", 19200), tx=m.Pin(u["tx"]),
                          rx=m.Pin(u["rx"]))
            ports.append(UartRtuPort(uart, self._out_pin(u["de"]), self.clock_us,
                                     u.get("baud", 19200), _PARITY.get(u.get("parity", "E"), 2),
                                     1))
        if self.net is not None and self.net.kind:
            s = self._socket
            if s is None:
                import socket as s
            ports.append(SocketTcpListener(s))
        return ports
