# BoardHardware on a bus-level fake `machine` (dual: CPython and MicroPython):
# safe outputs before any bus is touched, valve homing at power-up and re-homing at
# its closed end (with the homing status), every input's terminal value, ADS1115
# results taken only once their conversion is done (never another channel's), bus
# errors and stuck conversions becoming invalid signals, reset cause, watchdog,
# RS-485 port, and a running App on top.
from hwfakes import BOARD, Clock, rig_machine

from co2hr.app import App
from co2hr.hw.board_io import BoardHardware
from co2hr.io import INPUTS, N_IN, N_OUT, OUTPUTS, SAFE_OUTPUTS
from co2hr.signals import Signals


def _hw(t=0, board=None):
    clk = Clock(t)
    m = rig_machine(clock=clk)  # ADS1115 conversions and I2C transfers take their time
    hw = BoardHardware(board or BOARD, machine=m, clock=clk, clock_us=clk.us, timer=False)
    return hw, m, clk


def _set_inputs(m):
    a = m.i2c.devices
    a[72].volts = [12.0 * 0.150, 4.0 * 0.150, 20.0 * 0.150, 5.0 / 3.2]  # mA x shunt
    a[73].volts = [1.65, 1.0, 2.0, 3.3]  # NTC dividers; ch3 open circuit
    a[74].volts = [3.0, 0.2, 3.0, 0.0]  # ext_enable, fan_ok, comp_run
    m.spi.chips[5].ohm = 1077.94  # PT1000 at 20 degC
    m.spi.chips[15].ohm = 1385.06  # 100 degC
    m.pins[35].level = 0


def _scan(hw, clk, ms=200):
    for _ in range(ms // 2):
        clk.t += 2
        hw.poll(clk.t)


def _read(hw):
    raw = [0.0] * N_IN
    ok = bytearray(N_IN)
    hw.read(raw, ok)
    return raw, ok


def _i(name):
    return INPUTS.index(name)


def test_outputs_safe_before_any_bus_traffic():
    hw, m, _clk = _hw()
    first_bus = min(k for k in range(len(m.log)) if m.log[k][0] in ("i2c", "spi"))
    out_pins = []
    for name in OUTPUTS:
        spec = BOARD["outputs"].get(name, {})  # (inj_stop is optional: not on this carrier)
        out_pins += [spec[k] for k in ("pin", "step", "dir") if k in spec]
    for n in out_pins:
        assert max(k for k in range(len(m.log)) if m.log[k] == ("pin", n)) < first_bus, n
    for i in range(N_OUT):
        spec = BOARD["outputs"].get(OUTPUTS[i], {})
        if spec.get("kind") == "pwm010":
            assert m.pwms[spec["pin"]].duty == int(SAFE_OUTPUTS[i] * 655.35 + 0.5)
        elif spec.get("kind") == "relay":
            assert m.pins[spec["pin"]].level == (1 if SAFE_OUTPUTS[i] else 0)
    st = hw.out_drv[OUTPUTS.index("hpev_pct")]
    assert st.homing and st.cmd == int(SAFE_OUTPUTS[0] * 480 / 100 + 0.5)


def test_reads_every_input_as_terminal_values():
    hw, m, clk = _hw()
    _set_inputs(m)
    _scan(hw, clk)
    pulses = m.pins[32]
    heat = m.pins[34]
    for _k in range(3):
        clk.t += 100
        pulses.fall()
        heat.fall()
    clk.t += 10
    heat.fall()  # inside the heat meter input's 20 ms dead time: a bounce
    raw, ok = _read(hw)
    assert abs(raw[_i("p_gc_bar")] - 12.0) < 0.01 and ok[_i("p_gc_bar")]
    assert abs(raw[_i("p_suc_bar")] - 20.0) < 0.01
    assert abs(raw[_i("demand_v")] - 5.0) < 0.01
    assert abs(raw[_i("t_amb_c")] - 10000.0) < 10.0  # mid-supply: R = R_series
    assert not ok[_i("t_tank_c")]  # open NTC
    assert raw[_i("ext_enable")] == 1 and raw[_i("fan_ok")] == 0
    assert raw[_i("comp_run")] == 1 and raw[_i("hp_ok")] == 0
    assert raw[_i("energy_pulses")] == 3
    assert raw[_i("heat_pulses")] == 3 and ok[_i("heat_pulses")]
    # MAX31865s were set up at boot: first read is valid
    assert abs(raw[_i("t_gc_out_c")] - 1077.94) < 0.2 and ok[_i("t_gc_out_c")]
    sig = Signals(BOARD["inputs"])
    sig.update(raw, ok)
    assert abs(sig.value[_i("p_gc_bar")] - 80.0) < 0.1
    assert abs(sig.value[_i("t_gc_out_c")] - 20.0) < 0.1
    assert abs(sig.value[_i("t_disch_c")] - 100.0) < 0.1
    assert abs(sig.value[_i("t_amb_c")] - 25.0) < 0.1


def test_bus_errors_make_signals_invalid_not_a_crash():
    hw, m, clk = _hw()
    _set_inputs(m)
    _scan(hw, clk)
    m.i2c.devices[72].fail = True
    m.spi.chips[15].fail = True
    _scan(hw, clk, 400)
    raw, ok = _read(hw)
    for name in ("p_gc_bar", "p_rec_bar", "p_suc_bar", "demand_v", "t_disch_c"):
        assert not ok[_i(name)], name
    for name in ("t_amb_c", "t_gc_out_c", "comp_run", "ext_enable"):
        assert ok[_i(name)], name
    assert hw.bus_errors > 0
    del m.i2c.devices[73]  # unplugged: NACK
    _scan(hw, clk, 400)
    raw, ok = _read(hw)
    assert not ok[_i("t_amb_c")]
    m.i2c.devices[72].fail = False  # recovers by itself
    m.spi.chips[15].fail = False
    _scan(hw, clk, 400)
    raw, ok = _read(hw)
    assert ok[_i("p_gc_bar")] and ok[_i("t_disch_c")]


def test_stale_ads_values_expire():
    hw, m, clk = _hw()
    _set_inputs(m)
    _scan(hw, clk)
    clk.t += 5000  # the scan stopped (no polls): values are old
    _raw, ok = _read(hw)
    assert not ok[_i("p_gc_bar")]


def test_the_optional_injection_stop_relay_where_a_board_wires_it():
    # not wired (the DevKitC carrier): nothing is driven; wired active-low (the fail-safe
    # wiring, docs/control.md): its coil is off in the safe state and while it says stop
    i = OUTPUTS.index("inj_stop")
    hw, m, clk = _hw()
    assert hw.out_drv[i] is None
    board = dict(BOARD)
    board["outputs"] = dict(BOARD["outputs"])
    board["outputs"]["inj_stop"] = {"kind": "relay", "pin": 0, "min_on_s": 0,
                                    "min_off_s": 0, "active_low": True}
    hw, m, clk = _hw(board=board)
    assert SAFE_OUTPUTS[i] == 1.0 and m.pins[0].level == 0
    out = list(SAFE_OUTPUTS)
    out[i] = 0.0  # the compressors released: injection allowed, coil on
    clk.t += 1000
    hw.write(out)
    assert m.pins[0].level == 1
    out[i] = 1.0
    clk.t += 1000
    hw.write(out)
    assert m.pins[0].level == 0


def test_outputs_written_and_relay_timers_kept():
    hw, m, clk = _hw()
    clk.t += 10000  # the boot-time safe state started the relays' minimum times
    out = list(SAFE_OUTPUTS)
    out[OUTPUTS.index("fan_pct")] = 40.0
    out[OUTPUTS.index("gc_bypass")] = 1.0
    hw.write(out)
    assert m.pwms[13].duty == 26214
    assert m.pins[16].level == 1
    out[OUTPUTS.index("gc_bypass")] = 0.0
    clk.t += 5000
    hw.write(out)
    assert m.pins[16].level == 1  # min_on_s 10
    clk.t += 5000
    hw.write(out)
    assert m.pins[16].level == 0


def test_reset_cause_watchdog_and_heartbeat():
    hw, m, _clk = _hw()
    assert hw.reset_cause() == "wdt"
    assert not m.wdts
    hw.feed_watchdog()
    hw.feed_watchdog()
    assert len(m.wdts) == 1 and m.wdts[0].timeout == 8000 and m.wdts[0].feeds == 2
    assert m.pins[2].history[-2:] == [1, 0]


def test_comm_ports_give_the_rs485_uart():
    hw, m, _clk = _hw()
    ports = hw.comm_ports()
    rtu = [p for p in ports if p.kind == "rtu"]
    assert len(rtu) == 1 and rtu[0].baud == 19200
    assert m.uarts[0].id == 2 and m.uarts[0].kw["parity"] == 0
    assert hw.comm_ports() is ports


class _Follow:
    """A control law for the test: fan follows the demand voltage, HPEV fixed."""

    def step(self, now_ms, raw, ok, out):
        for i in range(N_OUT):
            out[i] = SAFE_OUTPUTS[i]
        if ok[_i("demand_v")]:
            out[OUTPUTS.index("fan_pct")] = raw[_i("demand_v")] * 10.0
        out[0] = 50.0


def test_app_ticks_on_board_hardware():
    hw, m, clk = _hw()
    _set_inputs(m)
    app = App(hw, _Follow(), period_ms=1000)
    for _ in range(3000):
        clk.t += 2
        hw.poll(clk.t)
        app.service()
    assert app.ticks == 7  # at 0 ms (first pass) and every second to 6 s
    assert m.pwms[13].duty == int(50.0 * 655.35 + 0.5)
    assert m.wdts[0].feeds == 7
    st = hw.out_drv[0]
    assert st.homed and st.target == 240


# --- ADS1115 reads that wait for the conversion ---------------------------------------
# The chips take 1.16 ms per conversion (860 SPS) and keep the previous result in the
# conversion register until then; I2C transfers take time and a GC can strike inside
# one. Every value the board reports must be its own channel's, never the previous
# conversion's. Terminal values: 4-20 mA transmitters, the 0-10 V demand, NTC
# dividers and two digital inputs, all different so a swap shows.
ADS_BOARD = {
    "name": "ads", "mcu": "esp32",
    "inputs": {k: v for k, v in BOARD["inputs"].items() if v.get("adc") == "ads1115"},
    "i2c": BOARD["i2c"],
}
ADS_TRUTH = {  # terminal value -> volts at the ADS pin (the front end, from its spec)
    "p_gc_bar": 6.0, "p_rec_bar": 9.5, "p_suc_bar": 13.0, "demand_v": 7.5,
    "t_amb_c": 12000.0, "t_w_in_c": 8000.0, "t_w_out_c": 3000.0, "t_tank_c": 20000.0,
    "ext_enable": 1, "fan_ok": 0,
}


def _pin_volts(name, value):
    spec = ADS_BOARD["inputs"][name]
    k = spec["kind"]
    if k == "ma420":
        return value * spec["shunt_ohm"] / 1000.0
    if k == "v010":
        return value / spec["divider"]
    if k == "ntc":
        return spec["v_supply"] * value / (value + spec["r_series_ohm"])
    return 3.0 if value else 0.2  # di through the ADS: 1.5 V threshold


def _ads_rig(t0_us=0):
    clk = Clock()
    clk.t_us = t0_us
    m = rig_machine(ADS_BOARD, clock=clk)
    for name, value in ADS_TRUTH.items():
        spec = ADS_BOARD["inputs"][name]
        m.i2c.devices[spec["addr"]].volts[spec["ch"]] = _pin_volts(name, value)
    hw = BoardHardware(ADS_BOARD, machine=m, clock=clk, clock_us=clk.us, timer=False)
    return hw, m, clk


def _lcg(seed):
    x = [seed]

    def nxt(n):
        x[0] = (x[0] * 1103515245 + 12345) & 0x7FFFFFFF
        return (x[0] >> 8) % n

    return nxt


def _check_own_values(hw, polls, gap_us, clk):
    """polls timer callbacks, due gap_us() apart: a periodic timer keeps its
    schedule, so a callback held up by a slow transfer is followed by an early one."""
    raw = [0.0] * N_IN
    ok = bytearray(N_IN)
    due = clk.t_us
    for _ in range(polls):
        due += gap_us()
        if clk.t_us < due:
            clk.t_us = due
        hw.poll(clk())
        hw.read(raw, ok)
        for name, value in ADS_TRUTH.items():
            i = _i(name)
            if ok[i]:
                tol = 0.003 * value + 0.01
                assert abs(raw[i] - value) <= tol, (name, raw[i], value)
    for name in ADS_TRUTH:
        assert ok[_i(name)], name


def test_ads_values_are_each_channels_own_with_gc_pauses_in_the_transfers():
    hw, m, clk = _ads_rig()
    rnd = _lcg(11)

    def pause():  # one transfer in six is held up 0.2-1.5 ms (a GC, an interrupt)
        return 200 + rnd(1301) if rnd(6) == 0 else 0

    m.i2c.pause = pause
    _check_own_values(hw, 3000, lambda: 1800 + rnd(401), clk)
    for chip in m.i2c.devices.values():
        assert chip.early_reads == 0
        assert chip.conversions >= 200, chip.conversions  # the scan kept going


def test_ads_values_are_each_channels_own_on_a_fast_or_late_timer():
    # a 1 kHz timer with jitter (a millisecond clock then sees "2 ms" after 1.0 ms),
    # now and then 0-30 ms late; across the us counter's wrap
    hw, m, clk = _ads_rig(t0_us=(1 << 30) - 2000000)
    rnd = _lcg(5)
    _check_own_values(hw, 4000, lambda: 800 + rnd(500) if rnd(20) else rnd(30000), clk)
    for chip in m.i2c.devices.values():
        assert chip.early_reads == 0
        assert chip.conversions >= 100, chip.conversions


def test_ads_conversion_that_never_completes_is_an_invalid_signal():
    hw, m, clk = _ads_rig()
    rnd = _lcg(3)
    _check_own_values(hw, 200, lambda: 2000, clk)
    m.i2c.devices[73].hang = True  # the chip stops converting (stuck, not NACKing)
    errors = hw.bus_errors
    log = m.i2c.log
    raw = [0.0] * N_IN
    ok = bytearray(N_IN)
    for _ in range(2500):  # 5 s: longer than a value stays fresh
        n = len(log)
        clk.t_us += 1800 + rnd(401)
        hw.poll(clk())
        assert len(log) - n <= 4  # never waits: a few transfers per poll at most
    hw.read(raw, ok)
    stuck = [name for name in ADS_TRUTH if ADS_BOARD["inputs"][name]["addr"] == 73]
    for name in ADS_TRUTH:
        assert bool(ok[_i(name)]) == (name not in stuck), name
        if name not in stuck:
            assert abs(raw[_i(name)] - ADS_TRUTH[name]) <= 0.003 * ADS_TRUTH[name] + 0.01
    assert hw.bus_errors > errors
    m.i2c.devices[73].hang = False  # recovers by itself
    _check_own_values(hw, 200, lambda: 2000, clk)


# --- the valve on the board: settings, re-homing, homing status ----------------------
VALVE_BOARD = {"name": "valve", "mcu": "esp32",
               "outputs": {"hpev_pct": BOARD["outputs"]["hpev_pct"]}}


def _valve_rig(rehome_h=None, settings=True):
    from hwfakes import FakeMachine, FakeValve

    from co2hr.settings import Settings

    clk = Clock()
    m = FakeMachine(clock=clk)
    hw = BoardHardware(VALVE_BOARD, machine=m, clock=clk, clock_us=clk.us, timer=False)
    out = VALVE_BOARD["outputs"]["hpev_pct"]
    valve = FakeValve(clk, m.pins[out["step"]], m.pins[out["dir"]], travel=out["steps"],
                      pos=200, min_gap_us=1000000 // out["max_sps"] + 1)
    s = Settings()
    if rehome_h is not None:
        s.set("hpev_rehome_h", rehome_h)
    if settings:
        hw.use_settings(s)
    return hw, clk, valve, s


class _Loop:
    """The control loop on the clock: write() each second, the timer's poll() every
    poll_ms (a valve standing still needs no 2 ms poll to be checked)."""

    def __init__(self, hw, clk):
        self.hw = hw
        self.clk = clk
        self.out = list(SAFE_OUTPUTS)
        self.next_tick = clk.t

    def run(self, seconds, poll_ms=2):
        c = self.clk
        end = c.t + seconds * 1000
        while c.t < end:
            if c.t >= self.next_tick:
                self.next_tick += 1000
                self.hw.write(self.out)
            c.t += poll_ms
            self.hw.poll(c())


def test_valve_rehomes_at_its_closed_end_and_says_so():
    hw, clk, valve, settings = _valve_rig()
    assert settings.get("hpev_rehome_h") == 24  # the default
    settings.set("hpev_rehome_h", 1)
    st = hw.out_drv[0]
    loop = _Loop(hw, clk)
    assert hw.homing() == 1  # bit 0: hpev_pct, homing from power-up
    while hw.homing():
        loop.run(0.1)
    t_homed = clk.t
    assert st.homings == 1 and 3000 < t_homed < 6000  # 528 steps
    loop.run(3)
    assert valve.pos == st.pos == 144  # 30 %
    loop.out[0] = 50.0
    loop.run(5)
    valve.slip(7)  # a stall in service: 7 steps that did not move the valve
    loop.out[0] = 0.0
    loop.run(5)
    assert st.pos == 0 and valve.pos == 7  # the count says closed; it is not
    loop.run((t_homed + 3600000 - clk.t) / 1000 - 0.5, poll_ms=100)  # 1 h after homing
    assert st.homings == 1 and valve.pos == 7 and not hw.homing()
    seen = 0
    while not seen and clk.t < t_homed + 3600000 + 2500:
        loop.run(0.1)
        seen = hw.homing()
    assert seen == 1  # re-homing within a tick of the hour, and the board says so
    loop.run(2)
    assert st.homings == 2 and not hw.homing()
    assert valve.pos == 0 and st.pos == 0  # drift gone: count and valve agree again
    loop.out[0] = 40.0
    loop.run(6)
    assert valve.pos == st.pos == 192
    assert valve.lost == 0
    loop.out[0] = 0.0
    loop.run(3500, poll_ms=100)
    assert st.homings == 2  # at most once an hour


def test_valve_rehoming_off_and_without_settings():
    for rehome_h, settings in ((0, True), (None, False)):
        hw, clk, _valve, _s = _valve_rig(rehome_h, settings)
        st = hw.out_drv[0]
        loop = _Loop(hw, clk)
        loop.out[0] = 0.0
        loop.run(10)
        loop.run(3700, poll_ms=100)
        assert st.homings == 1 and hw.homing() == 0  # power-up only
