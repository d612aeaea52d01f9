# Building a BoardHardware (co2hr/hw/board_io.py) from its board file: the outputs
# first, driven to their safe state before a bus is touched (the valve starts homing),
# then the buses and inputs, the network from the site file, the heartbeat LED and the
# poll timer. Boot-only: BoardHardware.__init__ imports this module and drops it again
# (co2hr.unload), so none of this code stays on the heap while the rig runs.
from micropython import const

from co2hr.hw.ads1115 import ADS1115
from co2hr.hw.board_io import ADC_VREF
from co2hr.hw.max31865 import MAX31865
from co2hr.hw.pulse import PulseCounter
from co2hr.hw.pwm_out import PwmOut
from co2hr.hw.relay import Relay
from co2hr.hw.rtc import BoardRtc
from co2hr.hw.stepper import Stepper
from co2hr.io import INPUTS, N_IN, N_OUT, OUTPUTS, number
from co2hr.signals import KINDS

_POLL_MS = const(2)  # timer period: ADS conversion + at most one valve step per poll
# The wiring and driver codes of board_io (the same values there)
_W_ADS = const(1)
_W_MAX = const(2)
_W_DI = const(3)
_W_PULSE = const(4)
_W_ADC = const(5)
_O_PWM = const(1)
_O_STEPPER = const(2)
_O_RELAY = const(3)
_RESET_NAMES = ("PWRON_RESET", "HARD_RESET", "WDT_RESET", "DEEPSLEEP_RESET", "SOFT_RESET")


def setup(hw, board, site_path, network, log, timer):
    """Fill in hw (a BoardHardware with its attributes at their empty values)."""
    m = hw.m
    hw.cause = _reset_cause(m)
    hw.rtc = BoardRtc(m.RTC()) if hasattr(m, "RTC") else None
    now = hw.clock()
    _outputs(hw, board.get("outputs", {}))
    hw.safe_state(now)  # before any bus is touched
    _inputs(hw, board)
    hw.net = _net(hw, board.get("net"), site_path, network, log)
    if "led" in board:
        hw.led = m.Pin(board["led"], m.Pin.OUT, value=0)
    if timer:
        _start_timer(hw)


def _reset_cause(m):
    try:
        c = m.reset_cause()
    except (AttributeError, OSError):
        return "unknown"
    for name in _RESET_NAMES:
        if getattr(m, name, None) == c:
            return name[:-6].lower()  # "wdt", "pwron", ...
    return "unknown"


_SITE_MISSING = const(2)  # co2hr.sitefile.SITE_MISSING (test_hw_net reads it back)


def _read_site(path, nets):
    """co2hr.sitefile.load(path, nets), with its checks dropped from the heap again once
    the file is read (~2 KB): (status, site dict or None, message). A missing file
    is told as sitefile.load() tells it, without importing the checks: their ~30 names
    would stay interned after the unload, enough to open a qstr pool (~9 KB at once)
    on a board that runs without a network."""
    import os

    try:
        os.stat(path)
    except OSError:
        return _SITE_MISSING, None, "no " + path
    from co2hr import sitefile, unload

    try:
        return sitefile.load(path, nets)
    finally:
        unload("co2hr.sitefile")


def _net(hw, spec, site_path, network, log):
    """The network link from the site file: NetLink when it asks for one of the
    board's interfaces, else NetOff (why: its .site); None without a net section."""
    if not spec:
        return None
    status, cfg, why = _read_site(site_path, list(spec))
    if cfg is not None and cfg["net"] != "none":
        from co2hr.hw.net import NetLink

        return NetLink(spec, cfg, status, hw.clock, hw.m, network, log)
    from co2hr.hw.netoff import NetOff

    log("net: " + ("the site file says net none" if cfg is not None else why)
        + ": running without a network (rig deploy --site FILE writes one)")
    return NetOff(status)


def _outputs(hw, outs):
    m = hw.m
    for i in range(N_OUT):
        spec = outs.get(OUTPUTS[i])
        if spec is None:
            continue
        k = spec["kind"]
        if k == "pwm010":
            pwm = m.PWM(hw._out_pin(spec["pin"]))
            pwm.freq(int(spec.get("freq_hz", 1000)))
            hw.out_drv[i] = PwmOut(pwm, spec.get("invert", False))
            hw.out_kind[i] = _O_PWM
        elif k == "relay":
            hw.out_drv[i] = Relay(hw._out_pin(spec["pin"]), spec.get("min_on_s", 0),
                                  spec.get("min_off_s", 0), not spec.get("active_low", False))
            hw.out_kind[i] = _O_RELAY
        elif k == "stepper":
            en = hw._out_pin(spec["enable"]) if "enable" in spec else None
            st = Stepper(hw._out_pin(spec["step"]), hw._out_pin(spec["dir"]),
                         spec["steps"], spec["max_sps"], spec["accel_sps2"], hw.clock_us,
                         enable=en, overdrive_pct=spec.get("overdrive_pct", 10),
                         dir_open=spec.get("dir_open", 1), poll_us=_POLL_MS * 1000)
            st.home()  # the count means nothing until the valve has hit its stop
            hw.out_drv[i] = st
            hw.out_kind[i] = _O_STEPPER
            hw.steppers.append(st)


def _inputs(hw, board):
    m = hw.m
    ins = board.get("inputs", {})
    ads = {}
    for i in range(N_IN):
        spec = ins.get(INPUTS[i])
        if spec is None:
            continue
        kind = spec["kind"]
        hw.kcode[i] = KINDS[kind]
        hw.invert[i] = 1 if spec.get("invert") else 0
        hw.p1[i], hw.p2[i] = _front_end(kind, spec)
        adc = spec.get("adc")
        if adc == "ads1115":
            hw.scan_ads.append(_ads(hw, board, ads, spec["addr"]))
            hw.scan_ch.append(spec["ch"])
            hw.scan_in.append(i)
            hw.wire[i] = _W_ADS
        elif adc == "max31865":
            hw.drv[i] = _max31865(hw, board, spec)
            hw.wire[i] = _W_MAX
        elif kind == "di":
            hw.drv[i] = m.Pin(spec["pin"], m.Pin.IN, _pull(m, spec))
            hw.wire[i] = _W_DI
        elif kind == "pulse":
            pin = m.Pin(spec["pin"], m.Pin.IN, _pull(m, spec))
            pc = PulseCounter(hw.clock, spec.get("debounce_ms", 20))
            pin.irq(trigger=m.Pin.IRQ_FALLING, handler=pc.irq)
            hw.irq_pins.append(pin)
            hw.drv[i] = pc
            hw.wire[i] = _W_PULSE
        else:  # analog on the on-chip ADC (RP2040: GP26-28)
            hw.drv[i] = m.ADC(m.Pin(spec["pin"]))
            hw.wire[i] = _W_ADC


def _ads(hw, board, ads, addr):
    """The ADS1115 at addr, built on the shared I2C bus the first time it is named."""
    if addr not in ads:
        m = hw.m
        if hw.i2c is None:
            c = board["i2c"]
            hw.i2c = m.I2C(c.get("id", 0), scl=m.Pin(c["scl"]), sda=m.Pin(c["sda"]),
                           freq=c.get("freq", 400000))
        ads[addr] = ADS1115(hw.i2c, hw.clock_us, addr)
    return ads[addr]


def _max31865(hw, board, spec):
    """A MAX31865 on the shared SPI bus (built the first time); a failed set-up is
    counted and retried by read_ohm()."""
    m = hw.m
    if hw.spi is None:
        c = board["spi"]
        hw.spi = m.SPI(c.get("id", 1), baudrate=c.get("baudrate", 1000000),
                       polarity=0, phase=1, sck=m.Pin(c["sck"]),
                       mosi=m.Pin(c["mosi"]), miso=m.Pin(c["miso"]))
    cs = m.Pin(spec["cs"], m.Pin.OUT, value=1)
    d = MAX31865(hw.spi, cs, spec.get("rref_ohm", 4300), spec.get("wires", 3))
    try:
        d.init()
    except OSError:
        hw.bus_errors += 1
    return d


def _pull(m, spec):
    p = spec.get("pull", "none")
    return m.Pin.PULL_UP if p == "up" else (m.Pin.PULL_DOWN if p == "down" else None)


def _front_end(kind, spec):
    if kind == "ma420":
        return number(spec.get("shunt_ohm", 150)), 0
    if kind in ("v010", "ratio"):
        return number(spec.get("divider", 1)), 0
    if kind in ("ntc", "pt1000"):
        return number(spec.get("r_series_ohm", 10000)), number(spec.get("v_supply", ADC_VREF))
    if kind == "di":
        return number(spec.get("threshold_v", 1.5)), 0
    return 0, 0


def _start_timer(hw):
    m = hw.m
    cb = hw._on_timer
    if hw._mcu == "esp32":  # hardware timer, soft (scheduled) callback
        t = m.Timer(0)
        t.init(period=_POLL_MS, mode=m.Timer.PERIODIC, callback=cb)
    else:  # rp2: virtual timer; soft so that poll() may allocate
        t = m.Timer(period=_POLL_MS, mode=m.Timer.PERIODIC, callback=cb, hard=False)
    hw.timer = t
