"""Board files: both shipped boards validate, and each kind of mistake is refused
with a message that names the field and the rule."""

import copy
import json

import pytest

from co2hr.io import INPUTS, OUTPUTS
from rig.boards import APPS, BoardError, load_board, validate


@pytest.mark.parametrize("name", ["esp32_devkitc", "rp2040_pico"])
def test_shipped_boards_validate(name):
    board = load_board(name)
    assert validate(board) == []
    need_in, may_in, need_out, may_out = APPS[board.get("app", "supermarket")]
    assert set(need_in) <= set(board["inputs"]) <= set(need_in + may_in) <= set(INPUTS)
    assert set(need_out) <= set(board["outputs"]) <= set(need_out + may_out) <= set(OUTPUTS)


def test_esp32_keeps_analog_signals_off_the_on_chip_adc():
    board = load_board("esp32_devkitc")
    for name, spec in board["inputs"].items():
        if spec["kind"] in ("ma420", "ratio", "v010", "ntc", "pt1000"):
            assert spec.get("adc") in ("ads1115", "max31865"), name


@pytest.fixture
def esp32():
    return copy.deepcopy(load_board("esp32_devkitc"))


@pytest.fixture
def pico():
    return copy.deepcopy(load_board("rp2040_pico"))


def _one(errors, *needles):
    hits = [e for e in errors if all(n in e for n in needles)]
    assert hits, f"no error containing {needles} in {errors}"
    return hits[0]


def test_unknown_pin(esp32, pico):
    esp32["outputs"]["fan_pct"]["pin"] = 40
    _one(validate(esp32), "outputs.fan_pct.pin", "unknown pin GPIO40")
    esp32["outputs"]["fan_pct"]["pin"] = 7
    _one(validate(esp32), "outputs.fan_pct.pin", "SPI flash")
    pico["outputs"]["fan_pct"]["pin"] = 30
    _one(validate(pico), "outputs.fan_pct.pin", "unknown pin GP30")


def test_input_only_pin_used_as_output(esp32):
    esp32["outputs"]["gc_bypass"]["pin"] = 37
    _one(validate(esp32), "outputs.gc_bypass.pin", "input-only")
    esp32["uart"]["rx"] = 36  # an input-only pin is fine for an input
    assert not [e for e in validate(esp32) if e.startswith("uart.rx")]


def test_pin_used_twice(esp32):
    esp32["outputs"]["fan_pct"]["pin"] = esp32["outputs"]["bev_pct"]["pin"]
    _one(validate(esp32), "outputs.fan_pct.pin", "used twice", "outputs.bev_pct.pin")


def test_adc_channel_used_twice(esp32):
    esp32["inputs"]["p_rec_bar"]["ch"] = 0
    _one(validate(esp32), "inputs.p_rec_bar.ch", "used twice", "inputs.p_gc_bar")


def test_rp2040_pwm_slice_shared(pico):
    pico["led"] = 24
    pico["outputs"]["fan_pct"]["pin"] = 25  # GP25 is PWM slice 4B, like bev_pct on GP9
    _one(validate(pico), "outputs.fan_pct.pin", "used twice", "slice 4B", "outputs.bev_pct")


def test_rp2040_bus_on_wrong_function_pin(pico):
    pico["uart"]["tx"] = 3  # GP3 cannot be UART0 TX
    pico["outputs"]["alarm_relay"]["pin"] = 23
    _one(validate(pico), "uart.tx", "unknown pin GP3 for uart0 tx")


def test_missing_signal(esp32):
    del esp32["inputs"]["t_tank_c"]
    del esp32["outputs"]["hr_pump_pct"]
    errors = validate(esp32)
    _one(errors, "inputs.t_tank_c", "missing signal")
    _one(errors, "outputs.hr_pump_pct", "missing signal")


def test_the_injection_stop_relay_is_optional_and_a_relay(pico):
    assert "inj_stop" not in pico["outputs"] and validate(pico) == []  # no pin left on it
    # a carrier that frees GP26 (the ambient NTC on a third ADS1115) can wire it
    pico["inputs"]["t_amb_c"] = {"kind": "ntc", "r25_ohm": 10000, "beta": 3435,
                                 "adc": "ads1115", "addr": 74, "ch": 0,
                                 "r_series_ohm": 10000, "v_supply": 3.3}
    pico["outputs"]["inj_stop"] = {"kind": "relay", "pin": 26, "min_on_s": 0,
                                   "min_off_s": 0, "active_low": True}
    assert validate(pico) == []
    pico["outputs"]["inj_stop"]["pin"] = 27
    _one(validate(pico), "outputs.inj_stop.pin", "used twice")
    pico["outputs"]["inj_stop"] = {"kind": "pwm010", "pin": 26}
    _one(validate(pico), "outputs.inj_stop.kind", "the injection stop is a relay")


def test_unknown_signal_and_kind(esp32):
    esp32["inputs"]["p_gc_bar"]["kind"] = "ma0_20"
    esp32["outputs"]["fan_pct"]["kind"] = "dac"
    esp32["inputs"]["p_xyz_bar"] = {"kind": "ma420", "lo": 0, "hi": 1, "pin": 38}
    errors = validate(esp32)
    _one(errors, "inputs.p_gc_bar.kind", "unknown kind 'ma0_20'")
    _one(errors, "outputs.fan_pct.kind", "unknown kind 'dac'")
    _one(errors, "inputs.p_xyz_bar", "unknown signal")


def test_scaling_out_of_range(esp32):
    esp32["inputs"]["p_gc_bar"]["lo"] = 160
    esp32["inputs"]["p_rec_bar"]["shunt_ohm"] = 240  # 20.5 mA * 240 = 4.9 V > 3.6 V
    esp32["inputs"]["demand_v"]["divider"] = 2.0  # 10.5 V / 2 = 5.25 V
    esp32["inputs"]["t_amb_c"]["beta"] = 100
    esp32["inputs"]["energy_pulses"]["kwh_per_pulse"] = 0
    esp32["outputs"]["hpev_pct"]["max_sps"] = 5000
    esp32["wdt_ms"] = 1500  # shorter than two ticks
    errors = validate(esp32)
    _one(errors, "inputs.p_gc_bar.lo", "scaling out of range", "lo 160 >= hi 160")
    _one(errors, "inputs.p_rec_bar.shunt_ohm", "out of range", "4.92 V")
    _one(errors, "inputs.demand_v.divider", "out of range")
    _one(errors, "inputs.t_amb_c.beta", "out of range")
    _one(errors, "inputs.energy_pulses.kwh_per_pulse", "out of range")
    _one(errors, "outputs.hpev_pct.max_sps", "out of range")
    _one(errors, "board.wdt_ms", "at least two ticks")


def test_heat_meter_pulse_value_is_the_setting_not_a_board_field(esp32):
    assert esp32["inputs"]["heat_pulses"]["kind"] == "pulse"
    esp32["inputs"]["heat_pulses"]["kwh_per_pulse"] = 0.01
    _one(validate(esp32), "inputs.heat_pulses.kwh_per_pulse", "hr_meter_wh_per_pulse")


def test_esp32_on_chip_adc_refused_for_analog(esp32):
    esp32["inputs"]["p_suc_bar"] = {"kind": "ma420", "lo": 0, "hi": 60, "pin": 38,
                                    "shunt_ohm": 150}
    _one(validate(esp32), "inputs.p_suc_bar.pin", "non-linear")


def test_missing_bus_and_wiring(esp32):
    del esp32["spi"]
    del esp32["inputs"]["t_disch_c"]["cs"]
    errors = validate(esp32)
    _one(errors, "spi", "missing section")
    _one(errors, "inputs.t_disch_c.cs", "missing field")


def test_load_board_raises_with_every_message(tmp_path, esp32):
    esp32["mcu"] = "stm32"
    esp32["led"] = "LED"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(esp32))
    with pytest.raises(BoardError) as ei:
        load_board(path)
    assert "unknown mcu 'stm32'" in str(ei.value)
    assert "unknown pin 'LED'" in str(ei.value)
    assert len(ei.value.errors) >= 2
    known = "known boards: esp32_devkitc, esp32_heatpump, rp2040_heatpump, rp2040_pico"
    with pytest.raises(BoardError, match=known):
        load_board("no_such_board")


@pytest.mark.parametrize("name", ["esp32_devkitc", "rp2040_pico"])
def test_shipped_boards_run_on_board_hardware(name):
    """Each shipped board file builds BoardHardware (bus-level fake machine), starts
    its poll timer the port's way, and reads every input as valid."""
    import sys

    import rig.fw as fw

    sys.path.insert(0, str(fw.FIRMWARE_DIR / "tests"))
    from hwfakes import Clock, rig_machine

    from co2hr.hw.board_io import BoardHardware
    from co2hr.io import N_IN

    board = load_board(name)
    m = rig_machine(board)
    for a in m.i2c.devices.values():
        a.volts = [1.8, 1.8, 1.8, 1.65]
    clk = Clock()
    hw = BoardHardware(board, machine=m, clock=clk, clock_us=clk.us, timer=True)
    assert hw.timer.kw["period"] == 2 and ("hard" in hw.timer.kw) == (board["mcu"] == "rp2040")
    for _ in range(100):
        clk.t += 2
        hw.poll(clk.t)
    raw, ok = [0.0] * N_IN, bytearray(N_IN)
    hw.read(raw, ok)
    bad = [INPUTS[i] for i in range(N_IN) if not ok[i] and INPUTS[i] in board["inputs"]]
    assert not bad, bad


LAN = {"phy": "LAN8720", "phy_addr": 1, "mdc": 23, "mdio": 18, "power": 12, "ref_clk": 0,
       "ref_clk_mode": "in"}


def test_network_interfaces(esp32, pico):
    assert esp32["net"] == {"wlan": {}} and "net" not in pico
    pico["net"] = {"wlan": {}}  # a Pico W
    assert validate(pico) == []
    pico["net"] = {"lan": dict(LAN)}
    _one(validate(pico), "net.lan", "esp32 only")
    esp32["net"] = {"wifi": {}}
    _one(validate(esp32), "net.wifi", "unknown interface")
    esp32["net"] = ["wlan"]
    _one(validate(esp32), "net", "must be an object")
    esp32["net"] = {"wlan": {"ssid": "x"}}
    _one(validate(esp32), "net.wlan", "site file")


def _lan_errors(board, **kw):
    lan = dict(LAN)
    lan.update(kw)
    lan = {k: v for k, v in lan.items() if v is not None}
    board["net"] = {"lan": lan}
    return [e for e in validate(board) if e.startswith("net")]


def test_ethernet_fields(esp32):
    # the DevKitC carrier uses the RMII pins itself: every clash is named
    errs = _lan_errors(esp32)
    for pin, sig in ((19, "TXD0"), (21, "TX_EN"), (22, "TXD1"), (25, "RXD0"), (26, "RXD1"),
                     (27, "CRS_DV")):
        _one(errs, f"net.lan RMII {sig}", f"pin {pin} used twice")
    _one(errs, "net.lan.mdc", "pin 23 used twice", "spi.mosi")
    _one(errs, "net.lan.power", "pin 12 used twice")
    assert not [e for e in errs if "ref_clk" in e or "phy" in e]
    _one(_lan_errors(esp32, phy="LAN9999"), "net.lan.phy", "unknown PHY")
    _one(_lan_errors(esp32, phy_addr=32), "net.lan.phy_addr", "out of range")
    _one(_lan_errors(esp32, mdc=None), "net.lan.mdc", "missing field")
    _one(_lan_errors(esp32, ref_clk=16), "net.lan.ref_clk", "comes in on GPIO0")
    _one(_lan_errors(esp32, ref_clk=17, ref_clk_mode="out"), "net.lan.ref_clk",
         "pin 17 used twice", "uart.tx")  # a good clock pin, taken by the RS-485 UART
    _one(_lan_errors(esp32, ref_clk=None), "net.lan.ref_clk_mode", "needs ref_clk")
    _one(_lan_errors(esp32, speed=100), "net.lan.speed", "unknown field")
