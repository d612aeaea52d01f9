"""Smoke: the firmware boots on the target, ticks 1000 times against a simple plant
written here, and its outputs follow its inputs."""

from __future__ import annotations

from co2hr.io import AO_FAN, AO_HPEV, INPUTS, N_OUT, OUTPUTS
from rig.hil.terminals import terminal_value

SWITCHES = ("gc_bypass", "comp_enable", "alarm_relay")


class SimplePlant:
    """First-order lags: gas cooler pressure from the HPEV opening and a load
    factor, T3 from the fan speed, the ambient and the heat the gas cooler must
    reject. Everything else held."""

    def __init__(self) -> None:
        self.load = 1.0
        self.gc_heat = 1.0
        self.eng = {
            "p_gc_bar": 85.0, "p_rec_bar": 35.0, "p_suc_bar": 28.0, "t_gc_out_c": 32.0,
            "t_amb_c": 25.0, "t_disch_c": 95.0, "t_w_in_c": 30.0, "t_w_out_c": 40.0,
            "t_tank_c": 40.0, "demand_v": 0.0, "comp_run": 1, "hp_ok": 1, "ext_enable": 1,
            "energy_pulses": 0, "heat_pulses": 0, "fan_ok": 1,
        }

    def step(self, dt_s: float, out: list[float]) -> None:
        e = self.eng
        p_eq = 40.0 + 70.0 * self.load - 0.5 * out[AO_HPEV]  # more opening: lower pressure
        e["p_gc_bar"] += (p_eq - e["p_gc_bar"]) * dt_s / 20.0
        t3_eq = e["t_amb_c"] + 2.0 + 10.0 * self.gc_heat * (1.0 - out[AO_FAN] / 100.0) ** 2
        e["t_gc_out_c"] += (t3_eq - e["t_gc_out_c"]) * dt_s / 30.0

    def terminals(self, board: dict) -> tuple[list[float], list[int]]:
        raw, ok = [], []
        for name in INPUTS:
            spec = board["inputs"].get(name)
            if spec is None:  # the other application's signal: not wired on this board
                raw.append(0.0)
                ok.append(0)
                continue
            raw.append(terminal_value(spec, self.eng[name]))
            ok.append(1)
        return raw, ok


def run(target, board, plant, t0_ms: int, n: int, dt_ms: int = 1000):
    res = None
    for k in range(n):
        raw, ok = plant.terminals(board)
        res = target.step(t0_ms + k * dt_ms, raw, ok)
        plant.step(dt_ms / 1000.0, res.outputs)
    return res, t0_ms + n * dt_ms


def test_boots_ticks_and_follows_inputs(target, board):
    plant = SimplePlant()
    res, t = run(target, board, plant, 0, 500)
    assert res.ticks == 500 and res.overruns == 0
    assert len(res.outputs) == N_OUT
    for name, v in zip(OUTPUTS, res.outputs, strict=True):
        if name in SWITCHES:
            assert v in (0.0, 1.0), (name, v)
        else:
            assert 0.0 <= v <= 100.0, (name, v)
    hpev_before, fan_before = res.outputs[AO_HPEV], res.outputs[AO_FAN]

    # More load drives the pressure up: the HPEV must open further.
    plant.load = 1.3
    res, t = run(target, board, plant, t, 250)
    assert res.outputs[AO_HPEV] > hpev_before + 2.0

    # More heat to reject at the gas cooler: the fans must speed up to hold T3.
    plant.gc_heat = 2.0
    res, t = run(target, board, plant, t, 250)
    assert res.outputs[AO_FAN] > fan_before + 5.0
    assert res.ticks == 1000 and res.overruns == 0
