# Hardware-layer drivers against bus-level fakes (dual: CPython and MicroPython):
# ADS1115 register protocol and conversion timing (OS bit, time from the write,
# stuck or reset chips), MAX31865 readings and faults, PWM 0-10 V, relay
# minimum times, watchdog, S0 pulse debounce, RS-485 port DE timing.
from hwfakes import (
    Clock,
    FakeADS1115Chip,
    FakeI2C,
    FakeMAX31865Chip,
    FakePin,
    FakePWM,
    FakeSPI,
    FakeUART,
    FakeWDT,
)

from co2hr.hw.ads1115 import ADS1115
from co2hr.hw.comm_ports import UartRtuPort
from co2hr.hw.max31865 import MAX31865
from co2hr.hw.pulse import PulseCounter
from co2hr.hw.pwm_out import PwmOut
from co2hr.hw.relay import Relay
from co2hr.hw.watchdog import Watchdog


def _close(a, b, tol):
    return abs(a - b) <= tol


def _ads(conv_us=1163, **kw):
    clk = Clock()
    chip = FakeADS1115Chip(clk, conv_us)
    i2c = FakeI2C({0x48: chip}, clk, **kw)
    return ADS1115(i2c, clk.us, 0x48), chip, i2c, clk


def _expect_oserror(f):
    try:
        f()
    except OSError as e:
        return e
    raise AssertionError("no OSError")


def test_ads1115_converts_each_channel():
    adc, chip, _i2c, clk = _ads()
    chip.volts = [1.8, 0.6, 3.0, -0.1]
    for ch in range(4):
        adc.start(ch)
        assert adc.ch == ch
        assert not adc.done()  # the conversion takes 1.16 ms
        clk.t_us += 1300
        assert adc.done()
        assert _close(adc.result_v(), chip.volts[ch], 0.0002), (ch, adc.result_v())
    assert chip.conversions == 4 and chip.early_reads == 0
    # single-shot, 860 SPS, PGA +-4.096 V, MUX AINx/GND, comparator off
    adc.start(2)
    cfg = chip.config
    assert (cfg >> 12) & 7 == 6 and (cfg >> 9) & 7 == 1 and cfg & 0x100 and cfg & 3 == 3


def test_ads1115_waits_for_the_os_bit_and_times_from_the_write():
    adc, chip, i2c, clk = _ads(conv_us=2400)  # a slow chip: OS still busy at 1.3 ms
    chip.volts = [1.0, 2.0, 0.0, 0.0]
    adc.start(0)
    clk.t_us += 2500
    assert adc.done()
    assert _close(adc.result_v(), 1.0, 0.0002)
    adc.start(1)
    clk.t_us += 1300
    assert not adc.done()  # past the nominal time, but the chip says busy
    assert chip.conv == 8000  # ... and its result register still holds ch 0 (1 V)
    clk.t_us += 1100
    assert adc.done()
    assert _close(adc.result_v(), 2.0, 0.0002)
    # a GC strikes inside the start transfer: the time counts from its end
    i2c.pause = lambda: 5000
    t0 = clk.t_us
    adc.start(0)
    assert adc.t_start == (t0 + 60 + 5000) & 0x3FFFFFFF
    i2c.pause = None
    clk.t_us += 1000
    assert not adc.done()  # 6 ms after start() was called, 1 ms after the write


def test_ads1115_conversion_that_never_completes_is_a_bus_error():
    adc, chip, _i2c, clk = _ads()
    adc.start(3)
    chip.hang = True
    for _ in range(9):
        clk.t_us += 1000
        assert not adc.done()  # not yet a fault: never blocks either
    clk.t_us += 1100
    e = _expect_oserror(adc.done)
    assert e.args[0] == 110 and adc.ch == -1
    _expect_oserror(adc.done)  # nothing running any more
    chip.hang = False
    adc.start(3)  # the next start works again
    clk.t_us += 1300
    assert adc.done()


def test_ads1115_chip_reset_during_a_conversion_is_a_bus_error():
    adc, chip, _i2c, clk = _ads()
    chip.volts = [0.5, 0.0, 0.0, 0.0]
    adc.start(0)
    chip.reset()  # brown-out: idle, power-on config, our conversion gone
    clk.t_us += 1300
    _expect_oserror(adc.done)
    assert adc.ch == -1


def test_ads1115_bus_errors_raise_oserror():
    clk = Clock()
    chip = FakeADS1115Chip(clk)
    adc = ADS1115(FakeI2C({0x48: chip}, clk), clk.us, 0x49)  # nobody at 0x49
    _expect_oserror(lambda: adc.start(0))
    assert adc.ch == -1
    chip.fail = True
    adc = ADS1115(FakeI2C({0x48: chip}, clk), clk.us, 0x48)
    _expect_oserror(adc.result_v)
    _expect_oserror(adc.done)


def _max(ohm=1000.0, **kw):
    pins = {}
    cs = FakePin(5, value=1)
    pins[5] = cs
    chip = FakeMAX31865Chip(ohm, 4300.0)
    spi = FakeSPI(pins, {5: chip})
    return MAX31865(spi, cs, 4300.0, **kw), chip, cs


def test_max31865_reads_ohm_after_init():
    m, chip, cs = _max(1385.06)  # PT1000 at 100 degC
    m.init()
    assert chip.regs[0] == 0x80 | 0x40 | 0x10 | 0x01  # bias, auto, 3-wire, 50 Hz
    r = m.read_ohm()
    assert _close(r, 1385.06, 0.2), r
    assert cs.level == 1  # released after the transfer
    assert m.fault == 0


def test_max31865_unconfigured_chip_gives_none_and_is_set_up_again():
    m, chip, _cs = _max(1000.0)
    assert m.read_ohm() is None  # never initialised (chip reset): config reads 0
    assert m.fault == 0x100
    assert _close(m.read_ohm(), 1000.0, 0.2)  # read_ohm() re-initialised it
    chip.absent = True  # MISO floating high
    assert m.read_ohm() is None


def test_max31865_rtd_fault_gives_none_until_it_clears():
    m, chip, _cs = _max(1000.0, wires=2)
    m.init()
    chip.fault_status = 0x80  # RTD open: high threshold
    assert m.read_ohm() is None
    assert m.fault == 0x80
    chip.fault_status = 0
    assert _close(m.read_ohm(), 1000.0, 0.2)
    assert m.fault == 0


def test_max31865_bus_error_raises_oserror():
    m, chip, cs = _max()
    m.init()
    chip.fail = True
    try:
        m.read_ohm()
        raise AssertionError("no OSError")
    except OSError:
        pass
    assert cs.level == 1  # CS released even on the error path


def test_pwm_out_maps_percent_to_duty():
    pwm = FakePWM(FakePin(13))
    out = PwmOut(pwm)
    assert pwm.duty == 0
    out.set_pct(50.0)
    assert pwm.duty == 32768
    out.set_pct(150.0)
    assert pwm.duty == 65535
    out.set_pct(float("nan"))
    assert pwm.duty == 0
    inv = PwmOut(FakePWM(FakePin(14)), invert=True)
    inv.set_pct(25.0)
    assert inv.pwm.duty == 65535 - 16384


def test_relay_keeps_minimum_on_and_off_times():
    pin = FakePin(16)
    r = Relay(pin, min_on_s=10, min_off_s=5)
    assert pin.level == 0
    assert r.set(1, 0) == 1 and pin.level == 1
    assert r.set(0, 4000) == 1 and pin.level == 1  # on for 4 s < 10 s
    assert r.set(0, 10000) == 0 and pin.level == 0
    assert r.set(1, 12000) == 0  # off for 2 s < 5 s
    assert r.set(1, 15000) == 1
    r.force(0, 15001)  # the safe state ignores the timers
    assert pin.level == 0
    low = Relay(FakePin(17), active_high=False)
    assert low.pin.level == 1  # off = high for an active-low driver
    low.set(1, 0)
    assert low.pin.level == 0


def test_relay_timers_survive_tick_wrap():
    r = Relay(FakePin(16), min_on_s=10)
    t0 = (1 << 30) - 3000
    r.set(1, t0)
    assert r.set(0, 5000) == 1  # 8 s later across the wrap
    assert r.set(0, 7001) == 0


def test_watchdog_starts_at_first_feed():
    made = []

    def make(t):
        w = FakeWDT(t)
        made.append(w)
        return w

    wd = Watchdog(make, 8000)
    assert not made
    wd.feed()
    wd.feed()
    assert len(made) == 1 and made[0].timeout == 8000 and made[0].feeds == 2


def test_pulse_counter_debounces():
    t = [1000]
    pc = PulseCounter(lambda: t[0], debounce_ms=20)
    pin = FakePin(32)
    pin.irq(handler=pc.irq)
    for dt in (0, 5, 10, 100, 130, 131):
        t[0] = 1000 + dt
        pin.fall()
    assert pc.count == 3 and pc.bounces == 3  # edges at +0, +100, +130 count


def test_rs485_port_holds_de_until_the_last_stop_bit():
    now = [0]
    uart = FakeUART(2)
    de = FakePin(4)
    port = UartRtuPort(uart, de, lambda: now[0], baud=19200, parity=2, stop_bits=1)
    assert uart.kw["parity"] == 0 and uart.kw["baudrate"] == 19200  # MicroPython: 0 = even
    assert port.char_us == 11 * 1000000 // 19200
    port.de(1)
    port.write(b"\x01\x03\x02\x00\x05\x78\x45")
    assert bytes(uart.tx) == b"\x01\x03\x02\x00\x05\x78\x45"
    now[0] = 7 * port.char_us - 10
    assert not port.tx_done()  # UART FIFO empty, but the bytes are still on the wire
    now[0] = 7 * port.char_us
    assert port.tx_done()
    uart.done = False
    assert not port.tx_done()
    port.de(0)
    assert de.history[-2:] == [1, 0]
    port.configure(9600, 0, 2)
    assert uart.kw["parity"] is None and uart.kw["stop"] == 2
    uart.rx.extend(b"abc")
    buf = bytearray(8)
    assert port.any() == 3 and port.readinto(memoryview(buf)) == 3
    assert port.readinto(memoryview(buf)) == 0
