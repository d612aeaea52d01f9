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
# The construction from the board file is in co2hr/hw/board_setup.py, which is
# needed at boot only and dropped again; what stays is what runs after boot.
#
# machine is passed in (tests pass a bus-level fake) or imported here: this package
# is the only one that imports it (network and socket likewise).
from micropython import const

from co2hr.hal import Hardware
from co2hr.hw.comm_ports import UartRtuPort
from co2hr.hw.watchdog import Watchdog
from co2hr.io import N_IN, N_OUT, SAFE_OUTPUTS
from co2hr.signals import K_DI, K_MA420, K_NTC, K_PT1000, K_RATIO, K_V010
from co2hr.ticks import ticks_diff

_REHOME_SETTING = "hpev_rehome_h"
_STALE_MS = const(3000)  # an ADS value older than this is invalid
# How an input is wired / an output driven (board_setup sets them: the same codes there)
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
_PARITY = {"N": 0, "O": 1, "E": 2}


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
        # What board_setup fills in from the board file (outputs, inputs, network...)
        self.out_kind = bytearray(N_OUT)
        self.out_drv = [None] * N_OUT  # type: list
        self.steppers = []  # type: list
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
        self.scan_ads = []  # type: list
        self.scan_ch = bytearray()
        self.scan_in = bytearray()
        self._scan_i = 0
        self._converting = False
        self.cause = "unknown"
        self.rtc = None
        self.led = None
        self._led_on = 0
        self._socket = socket
        self._ports = None
        self.timer = None
        # Building it all from the board file is boot-only code: its module is dropped
        # again once the hardware stands (a maintenance boot imports it afresh).
        from co2hr import unload
        from co2hr.hw import board_setup

        try:
            board_setup.setup(self, board, site_path, network, log, timer)
        finally:
            unload("co2hr.hw.board_setup")
        self.wdt = Watchdog(self._make_wdt, board.get("wdt_ms", 8000))

    def _make_wdt(self, timeout_ms):
        return self.m.WDT(timeout=timeout_ms)

    def _out_pin(self, n):
        m = self.m
        return m.Pin(n, m.Pin.OUT, value=0)

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
            from co2hr.hw.tcp_socket import SocketTcpListener

            s = self._socket
            if s is None:
                import socket as s
            ports.append(SocketTcpListener(s))
        return ports
