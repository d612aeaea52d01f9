"""Simulated board: terminal values per board-file kind, outputs, fault injection."""

import math

import pytest

from rig.hil.simboard import INPUTS, OUTPUTS, P_NOISE_BAR, SimBoard
from rig.hil.terminals import pt1000_ohm
from rig.plant import Boundary, Plant

# Every kind of front end the simulated board models: the pressures on 4-20 mA and a
# ratiometric input, the ambient on an NTC, the other temperatures on Pt1000.
_PT1000 = ("t_gc_out_c", "t_disch_c", "t_w_in_c", "t_w_out_c", "t_tank_c")
_DI = ("comp_run", "hp_ok", "ext_enable", "fan_ok")
BOARD = {
    "name": "test",
    "inputs": {
        "p_gc_bar": {"kind": "ma420", "lo": 0.0, "hi": 160.0, "pin": 1},
        "p_rec_bar": {"kind": "ratio", "lo": 0.0, "hi": 100.0},
        "p_suc_bar": {"kind": "ma420", "lo": 0.0, "hi": 60.0},
        "t_amb_c": {"kind": "ntc", "r25_ohm": 10000.0, "beta": 3435.0},
        "demand_v": {"kind": "v010"},
        "energy_pulses": {"kind": "pulse", "kwh_per_pulse": 0.01},
        **{n: {"kind": "pt1000"} for n in _PT1000},
        **{n: {"kind": "di"} for n in _DI},
    },
}


@pytest.fixture(scope="module")
def running_plant():
    p = Plant()
    sb = SimBoard(BOARD, p)
    sb.apply_outputs([40, 30, 0, 100, 0, 0, 1, 0, 0, 0])
    for _ in range(120):
        sb.step(1.0, Boundary(t_amb_c=25.0, q_load_kw=80.0))
    return p


def idx(name):
    return INPUTS.index(name)


def test_scaling_per_kind(running_plant):
    p = running_plant
    sb = SimBoard(BOARD, p, p_noise_bar=0.0)  # (the transmitters' noise: its own test)
    sb.set_demand_v(6.5)
    raw, ok = sb.terminals()
    s = p.state
    assert len(raw) == len(INPUTS) and ok == [1] * len(INPUTS)
    assert raw[idx("p_gc_bar")] == pytest.approx(4 + 16 * s.p_gc_bar / 160.0)
    assert raw[idx("p_rec_bar")] == pytest.approx(0.5 + 4 * s.p_rec_bar / 100.0)
    assert raw[idx("t_gc_out_c")] == pytest.approx(pt1000_ohm(s.t_gc_out_c))
    r_ntc = raw[idx("t_amb_c")]
    t_back = 1 / (1 / 298.15 + math.log(r_ntc / 10000.0) / 3435.0) - 273.15
    assert t_back == pytest.approx(25.0, abs=1e-6)
    assert raw[idx("demand_v")] == 6.5
    assert raw[idx("comp_run")] == 1.0 and raw[idx("hp_ok")] == 1.0
    assert raw[idx("fan_ok")] == 1.0 and raw[idx("ext_enable")] == 1.0
    assert raw[idx("energy_pulses")] == math.floor(s.energy_kwh / 0.01 + 1e-9) > 0


def test_pt1000_callendar_van_dusen_points():
    assert pt1000_ohm(0.0) == pytest.approx(1000.0)
    assert pt1000_ohm(100.0) == pytest.approx(1385.055, abs=0.01)
    assert pt1000_ohm(-40.0) == pytest.approx(842.707, abs=0.01)


def test_faults_open_short_stuck_drift_noise_bus(running_plant):
    p = running_plant
    sb = SimBoard(BOARD, p, seed=1)
    sb.inject("p_gc_bar", "open")
    sb.inject("t_gc_out_c", "open")
    sb.inject("p_suc_bar", "short")
    sb.inject("t_w_in_c", "short")
    sb.inject("p_rec_bar", "bus_error")
    raw, ok = sb.terminals()
    assert raw[idx("p_gc_bar")] < 1.0
    assert raw[idx("t_gc_out_c")] > 1e6
    assert raw[idx("p_suc_bar")] >= 25.0
    assert raw[idx("t_w_in_c")] < 1.0
    assert ok[idx("p_rec_bar")] == 0 and ok[idx("p_gc_bar")] == 1
    sb.clear()
    sb.inject("t_disch_c", "stuck")
    sb.inject("t_tank_c", "drift", rate=0.5)
    sb.inject("t_amb_c", "noise", sigma=2.0, seed=3)
    first, _ = sb.terminals()
    for _ in range(20):
        sb.step(1.0, Boundary(t_amb_c=25.0, q_load_kw=60.0))
    later, _ = sb.terminals()
    assert later[idx("t_disch_c")] == first[idx("t_disch_c")]
    t_tank = p.state.t_tank_c + 0.5 * 20
    assert later[idx("t_tank_c")] == pytest.approx(pt1000_ohm(t_tank), rel=1e-6)
    assert later[idx("t_amb_c")] != first[idx("t_amb_c")]
    sb.clear("t_tank_c")
    assert sb.terminals()[0][idx("t_tank_c")] == pytest.approx(pt1000_ohm(p.state.t_tank_c))
    with pytest.raises(ValueError):
        sb.inject("t_tank_c", "melt")
    with pytest.raises(KeyError):
        sb.inject("nope", "open")


def test_noise_is_reproducible_with_a_seed(running_plant):
    a = SimBoard(BOARD, running_plant, seed=7)
    b = SimBoard(BOARD, running_plant, seed=7)
    for sb in (a, b):
        sb.inject("p_gc_bar", "noise", sigma=0.5)
    assert a.terminals()[0] == b.terminals()[0]


def test_transmitter_saturates_outside_its_range():
    p = Plant()
    sb = SimBoard({"inputs": {"p_gc_bar": {"kind": "ma420", "lo": 0.0, "hi": 50.0}}}, p)
    raw, _ = sb.terminals()
    assert raw[idx("p_gc_bar")] == 20.5  # 85 bar on a 0-50 bar transmitter
    assert raw[idx("t_gc_out_c")] == pytest.approx(p.state.t_gc_out_c)  # not listed: eng


def test_outputs_and_digital_inputs():
    p = Plant()
    sb = SimBoard(BOARD, p)
    assert sb.inj_stop == 1  # before the first outputs: as SAFE_OUTPUTS
    act = sb.apply_outputs([120, -5, 50, 70, 30, 1, 0, 1, 0, 0])
    assert (act.hpev_pct, act.bev_pct, act.hr_valve_pct) == (100.0, 0.0, 50.0)
    assert (act.fan_pct, act.hr_pump_pct, act.gc_bypass, act.comp_enable) == (70, 30, 1, 0)
    assert sb.alarm_relay == 1 and sb.inj_stop == 0 and len(OUTPUTS) == 10
    sb.set_di("ext_enable", 0)
    p.faults.fan_failed = True
    raw, _ = sb.terminals()
    assert raw[idx("ext_enable")] == 0.0 and raw[idx("fan_ok")] == 0.0
    with pytest.raises(ValueError):
        sb.apply_outputs([1, 2, 3])
    with pytest.raises(ValueError):
        sb.apply_outputs([float("nan")] * 10)


@pytest.mark.parametrize("name", ["comp_run", "hp_ok", "fan_ok"])
def test_set_di_forces_the_inputs_the_plant_drives(name):
    """comp_run, hp_ok and fan_ok follow the plant's state; set_di forces the terminal over
    it (both ways) until clear(name), and leaves the plant as it is."""
    p = Plant()
    p.state.comp_running = True
    sb = SimBoard(BOARD, p)
    i = idx(name)
    assert sb.terminals()[0][i] == 1.0  # running, switch closed, fans healthy
    sb.set_di(name, 0)
    assert sb.terminals()[0][i] == 0.0
    assert p.state.comp_running and p.state.hp_switch_ok and not p.faults.fan_failed
    sb.clear(name)
    assert sb.terminals()[0][i] == 1.0
    # forced on while the plant says off
    p.state.comp_running, p.state.hp_switch_ok, p.faults.fan_failed = False, False, True
    assert sb.terminals()[0][i] == 0.0
    sb.set_di(name, 1)
    assert sb.terminals()[0][i] == 1.0
    sb.clear()
    assert sb.terminals()[0][i] == 0.0


def test_heat_meter_pulses_count_the_plants_heat_and_stop_with_a_broken_wire():
    """The heat meter's pulses are the plant's heat to the HR water (heat_kwh) in the
    meter's pulse value; an open S0 wire gives no more pulses."""
    board = {"name": "t", "inputs": {**BOARD["inputs"], "heat_pulses": {"kind": "pulse"}}}
    p = Plant()
    sb = SimBoard(board, p, heat_wh_per_pulse=5.0)
    sb.apply_outputs([40, 30, 100, 100, 100, 0, 1, 0, 0, 0])  # HR valve and pump open
    for _ in range(240):
        sb.step(1.0, Boundary(t_amb_c=25.0, q_load_kw=80.0, t_w_return_c=30.0))
    assert p.state.heat_kwh > 1.0  # the HRHX took heat
    raw, _ok = sb.terminals()
    n = raw[idx("heat_pulses")]
    assert n == math.floor(p.state.heat_kwh * 1000.0 / 5.0 + 1e-9)
    sb.inject("heat_pulses", "open")
    for _ in range(60):
        sb.step(1.0, Boundary(t_amb_c=25.0, q_load_kw=80.0, t_w_return_c=30.0))
    assert sb.terminals()[0][idx("heat_pulses")] == n  # no edge since the wire broke
    sb.clear("heat_pulses")
    assert sb.terminals()[0][idx("heat_pulses")] > n


def test_pressure_transmitters_carry_noise_so_a_live_one_is_never_stuck(running_plant):
    sb = SimBoard(BOARD, running_plant, seed=3)
    k = idx("p_gc_bar")
    seen = [sb.terminals()[0][k] for _ in range(50)]
    assert len(set(seen)) == 50  # never the same terminal value twice in a row
    bar = [(x - 4.0) * 160.0 / 16.0 for x in seen]
    true = running_plant.state.p_gc_bar
    assert max(abs(b - true) for b in bar) < 5 * P_NOISE_BAR
    sb.inject("p_gc_bar", "stuck")
    assert len({sb.terminals()[0][k] for _ in range(20)}) == 1  # a frozen one: exactly


def test_a_scaled_pulse_input_counts_its_share_and_on_from_there_when_put_right():
    board = {"name": "t", "inputs": {**BOARD["inputs"], "heat_pulses": {"kind": "pulse"}}}
    p = Plant()
    sb = SimBoard(board, p, heat_wh_per_pulse=1.0)
    sb.apply_outputs([40, 30, 100, 100, 100, 0, 1, 0, 0, 0])
    bnd = Boundary(t_amb_c=25.0, q_load_kw=80.0, t_w_return_c=30.0)
    for _ in range(240):
        sb.step(1.0, bnd)
    h0, n0 = p.state.heat_kwh, sb.terminals()[0][idx("heat_pulses")]
    sb.inject("heat_pulses", "scale", factor=0.5)
    for _ in range(240):
        sb.step(1.0, bnd)
    h1, n1 = p.state.heat_kwh, sb.terminals()[0][idx("heat_pulses")]
    assert h1 - h0 > 1.0 and n1 - n0 == pytest.approx(0.5 * (h1 - h0) * 1000.0, abs=2)
    sb.clear("heat_pulses")
    assert sb.terminals()[0][idx("heat_pulses")] == pytest.approx(n1, abs=1)  # no jump
    for _ in range(60):
        sb.step(1.0, bnd)
    n2 = sb.terminals()[0][idx("heat_pulses")]
    assert n2 - n1 == pytest.approx((p.state.heat_kwh - h1) * 1000.0, abs=2)  # full rate
    with pytest.raises(ValueError):
        sb.inject("p_gc_bar", "scale")
