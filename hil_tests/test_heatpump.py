"""The heat pump application on a target (sil, mpy, a real board): boot.build() of a
heat pump board file, its terminals made from the heat pump plant (rig.hil.hp_rig),
read and set over Modbus with raw frames.

The truths are the plant's (its true gas cooler pressure, its supply water, its
compressor) and the register map's own addresses and scales; every scenario also
checks the hard invariants: p_gc never above 110 bar, no compressor start into an
HPEV below its start opening.
"""

from __future__ import annotations

import struct

import pytest

from co2hr.alarms import (
    A_HPEV_BLOCKED,
    A_P_GC_BLIND_STOP,
    A_T_COIL_SENSOR,
    A_T_W_OUT_SENSOR,
)
from co2hr.io import AO_COMP_SPEED, AO_HPEV, AO_HR_PUMP, DO_COMP_ENABLE
from co2hr.status import (
    CNT_HP_STOPS,
    HC_ELEC,
    HC_GRID_OFF,
    HC_HEAT,
    HS_DF_STATE,
    HS_PRICE_CHEAP,
    HS_RUN_WHY,
    HS_SUPPLY_SP,
)
from rig.boards import load_board
from rig.hil.hp_rig import HpRig, HpWorld
from rig.targets import open_target

P_DESIGN_BAR = 110.0
START_PCT = 40.0  # hp_hpev_start_pct's default


@pytest.fixture
def hp_target(target_name, request):
    if target_name == "serial":
        pytest.skip("serial target: the heat pump board is not on the bench")
    t = open_target(target_name, load_board("esp32_heatpump"))
    yield t
    t.close()


def _rig(t, frost=False, **world) -> HpRig:
    rig = HpRig(t, load_board("esp32_heatpump"), HpWorld(**world), frost=frost)
    rig.unlock()
    assert rig.write_setting("hr_meter_wh_per_pulse", 1000)[:1] == b"\x06"
    return rig


class Watch:
    """Per step: the invariants, and when the compressor was enabled and stopped."""

    def __init__(self):
        self.p_max = 0.0
        self.starts: list[tuple[float, float]] = []  # (t_s, HPEV output at the start)
        self.stops: list[float] = []
        self._on = False

    def __call__(self, rig, st):
        self.p_max = max(self.p_max, st.p_gc_bar)
        on = rig.out[DO_COMP_ENABLE] >= 0.5
        t_s = rig.t_ms / 1000.0
        if on and not self._on:  # no compressor start into an HPEV below its opening
            self.starts.append((t_s, rig.out[AO_HPEV]))
            assert rig.out[AO_HPEV] >= START_PCT - 0.5, (t_s, rig.out[AO_HPEV])
        if self._on and not on:
            self.stops.append(t_s)
        self._on = on
        assert st.p_gc_bar <= P_DESIGN_BAR, (t_s, st.p_gc_bar)


def _supply_err(rig, seconds, sp_c):
    err = 0.0
    for _ in range(int(seconds)):
        st = rig.step()
        err = max(err, abs(st.t_supply_c - sp_c))
    return err


def _u32(words):
    return (words[0] << 16) | words[1]


def test_holds_the_supply_and_counts_heat_and_electricity(hp_target):
    rig = _rig(hp_target, t_air_c=0.0, t_return_c=40.0, demand_v=6.0)
    w = Watch()
    rig.run(2400, w)
    assert len(w.starts) == 1 and w.starts[0][1] >= START_PCT - 0.5, w.starts
    assert w.starts[0][0] >= 120.0  # the start delay after boot (hp_start_delay_s)
    assert _supply_err(rig, 600, 70.0) <= 1.0
    assert rig.read_input(240 + HS_SUPPLY_SP)[0] == 700  # 0.1 K
    heat_wh = _u32(rig.read_input(340 + 2 * HC_HEAT, 2))
    elec_wh = _u32(rig.read_input(340 + 2 * HC_ELEC, 2))
    # the meters count the plant's heat and work to within a pulse (1 kWh, 1 Wh) and the
    # last step, whose pulses the firmware reads at its next tick
    step_wh = (rig.st.q_heat_w / 3.6e3, rig.st.w_comp_w / 3.6e3)
    assert 0.0 <= rig.heat_kwh * 1000.0 - heat_wh <= 1000.0 + step_wh[0] + 1.0
    assert 0.0 <= rig.energy_kwh * 1000.0 - elec_wh <= 1.0 + step_wh[1] + 1.0
    assert 2.0 < heat_wh / elec_wh < 3.5  # a heating COP at 0 degC, 40 -> 70 degC


def test_a_grid_interruption_stops_and_restarts_cleanly(hp_target):
    rig = _rig(hp_target, t_air_c=0.0, t_return_c=40.0, demand_v=6.0)
    w = Watch()
    rig.run(1500, w)
    stops_before = _u32(rig.read_input(300 + 2 * CNT_HP_STOPS, 2))
    rig.world.ext_enable = 0
    rig.run(200, w)
    off_at = w.stops[-1]
    assert off_at <= 1501.0  # at the next tick
    assert rig.out[AO_COMP_SPEED] == 0.0
    rig.world.ext_enable = 1
    rig.run(1500, w)
    back_at = w.starts[-1][0]
    # the start delay after the enable (120 s), and the least stop time (300 s)
    assert back_at >= 1700.0 + 120.0 and back_at - off_at >= 300.0, (off_at, back_at)
    assert w.starts[-1][1] >= START_PCT - 0.5
    assert _u32(rig.read_input(300 + 2 * CNT_HP_STOPS, 2)) == stops_before  # no HP trip
    assert 199 <= _u32(rig.read_input(340 + 2 * HC_GRID_OFF, 2)) <= 201
    assert _supply_err(rig, 300, 70.0) <= 1.0


def test_a_boiler_top_up_lowers_the_supply(hp_target):
    """More heat than the pump's full flow takes at 52 degC: the supply-long limit slows
    the compressor (co2hr.hp_capacity). The coil is clean: no defrost either (the
    demand indicator is read at the compressor's flow, not its 0-10 V share)."""
    rig = _rig(hp_target, t_air_c=0.0, t_return_c=40.0, demand_v=4.0)
    w = Watch()
    rig.run(1800, w)
    rig.world.boiler_on = 1
    rig.run(900, w)
    assert rig.read_input(240 + HS_SUPPLY_SP)[0] == 520
    err = 0.0
    for _ in range(900):
        err = max(err, abs(rig.step().t_supply_c - 52.0))
        assert rig.read_input(240 + HS_DF_STATE)[0] == 0
    assert err <= 1.0
    assert rig.out[AO_COMP_SPEED] < 40.0  # limited: the demand asks for 49.5 %


def _alarm(rig, i):
    r = rig.pdu(struct.pack(">BHH", 2, 200 + i, 1))
    return r[2] & 1


def test_sensor_failures_take_their_declared_fallbacks(hp_target):
    rig = _rig(hp_target, t_air_c=0.0, t_return_c=40.0, demand_v=6.0)
    w = Watch()
    rig.run(1200, w)
    rig.invalid = {"t_w_out_c"}  # the supply sensor: the pump at hp_pump_fail_pct
    rig.run(120, w)
    assert abs(rig.out[AO_HR_PUMP] - 60.0) < 0.5 and _alarm(rig, A_T_W_OUT_SENSOR)
    rig.invalid = {"t_coil_c"}
    rig.run(30, w)
    assert _alarm(rig, A_T_COIL_SENSOR) and rig.out[DO_COMP_ENABLE] == 1.0
    rig.invalid = {"p_gc_bar"}  # every HP protection acts on it: the compressor stops
    rig.run(5, w)
    assert rig.out[DO_COMP_ENABLE] == 0.0 and _alarm(rig, A_P_GC_BLIND_STOP)
    assert rig.out[AO_HPEV] >= START_PCT - 0.5


def test_a_stuck_closed_hpev_on_a_warm_return_stays_below_the_design_pressure(hp_target):
    rig = _rig(hp_target, t_air_c=10.0, t_return_c=45.0, demand_v=10.0)
    w = Watch()
    rig.run(900, w)
    rig.world.hpev_stuck_pct = 5.0  # iced or its driver dead: the pressure runs away
    rig.run(2400, w)
    # each restart runs away again; the third pressure stop within the hour locks out
    assert len(w.stops) == 3 and _alarm(rig, A_HPEV_BLOCKED)
    assert rig.out[DO_COMP_ENABLE] == 0.0
    assert w.p_max <= P_DESIGN_BAR
    assert all(b - a >= 300.0 for a, b in zip(w.stops, [s for s, _ in w.starts[1:]], strict=False))


def _utc(unix_s):
    import time

    t = time.gmtime(unix_s)
    return t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec

def _set_clock(rig, unix_s):
    y, mo, d, hh, mi, ss = _utc(unix_s)
    assert rig.pdu(struct.pack(">BHHB6H", 16, 620, 6, 12, y, mo, d, hh, mi, ss))[:1] == b"\x10"


def _write_prices(rig, prices, first_h):
    words = list(prices) + [0] * (24 - len(prices)) + [len(prices), first_h >> 16,
                                                        first_h & 0xFFFF]
    body = struct.pack(">BHHB", 16, 300, len(words), 2 * len(words))
    body += b"".join(struct.pack(">h" if k < 24 else ">H", x) for k, x in enumerate(words))
    assert rig.pdu(body)[:1] == b"\x10"


def test_settings_and_the_price_vector_over_modbus(hp_target):
    rig = _rig(hp_target)
    r = rig.pdu("03 00c8 0001")  # holding 200: hp_supply_sp_c, 0.1 K
    assert r == bytes.fromhex("0302 02bc")
    rig.pdu(struct.pack(">BHH", 6, 600, 0))  # lock again
    assert rig.pdu("06 00c8 02ee") == bytes.fromhex("8601")  # locked: refused
    rig.unlock()
    # the ladder: hp_p_ovr_bar (213) must stay 1 bar above hp_p_max_bar (104 bar)
    assert rig.pdu(struct.pack(">BHH", 6, 213, 1045)) == bytes.fromhex("8603")
    assert rig.pdu(struct.pack(">BHH", 6, 211, 1070)) == bytes.fromhex("8603")  # > 106
    # the price vector: 24 hours, the cheapest 12 (default) are the odd ones
    t0 = 1_800_000_000 // 3600 * 3600
    _write_prices(rig, [100 if k % 2 == 0 else 10 for k in range(24)], t0 // 3600)
    assert rig.pdu("03 012c 0003") == bytes.fromhex("0306 0064 000a 0064")
    for hour, cheap in ((0, 0), (1, 1)):
        _set_clock(rig, t0 + hour * 3600 + 60)
        rig.run(2, None)
        assert rig.read_input(240 + HS_PRICE_CHEAP)[0] == cheap, hour



def test_the_price_rule_runs_in_the_cheapest_hours_while_the_tank_carries_the_demand(
        hp_target):
    """A day whose first four hours are priced 50, 10, 40, 5 (the rest 30) and the
    cheapest 2 of its 24 asked for; the tank (55 degC,
    between hp_tank_min_c 45 and hp_tank_max_c 70) carries the demand in the dear ones,
    until it falls below its minimum."""
    rig = _rig(hp_target, t_air_c=0.0, t_return_c=40.0, demand_v=6.0, t_tank_c=55.0)
    t0_s = 1_800_000_000 // 3600 * 3600
    _set_clock(rig, t0_s)
    assert rig.write_setting("hp_price_hours", 2)[:1] == b"\x06"
    assert rig.write_setting("hp_price_on", 1)[:1] == b"\x06"
    _write_prices(rig, [50, 10, 40, 5] + [30] * 20, t0_s // 3600)
    w = Watch()
    on_s = [0.0] * 4
    for hour in range(4):
        for k in range(3600):
            if hour == 2 and k == 1800:
                rig.world.t_tank_c = 40.0  # the tank below its minimum: it is charged
            rig.step()
            w(rig, rig.st)
            on_s[hour] += rig.out[DO_COMP_ENABLE]
        if hour == 2:
            rig.world.t_tank_c = 55.0
        # why it runs or not at the hour's end: dear, cheap, the tank low, cheap
        assert rig.read_input(240 + HS_RUN_WHY)[0] == (6, 5, 7, 5)[hour], hour
    # the dear hour runs not at all, the cheap ones from their start (through the start
    # sequence) to their end, and the dear one with the tank low its second half
    assert on_s[0] == 0.0
    assert 3600 - 60 <= on_s[1] <= 3600
    assert 1800 - 60 <= on_s[2] <= 1800
    assert on_s[3] == 3600.0
    assert w.p_max <= P_DESIGN_BAR and len(w.starts) == 2
