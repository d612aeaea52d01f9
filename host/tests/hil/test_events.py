"""Every event kind of a scenario file, parsed and fired on a running closed loop (sil):
what it did to the simulated board, the plant and the firmware is read back from them."""

from __future__ import annotations

import math

import pytest

from rig.boards import load_board
from rig.hil import events, runner
from rig.hil.scenario import ScenarioError, parse
from rig.targets import open_target


@pytest.fixture(scope="module")
def board():
    return load_board("esp32_devkitc")


def _run(board, evs, duration_s=120, **extra):
    sc = parse({"duration_s": duration_s, "events": evs, "settings": {"mode_cmd": 3},
                **extra}, "ev.json")
    with open_target("sil", board) as t:
        loop = runner.run(sc, t, board)
    assert loop.error is None, loop.error
    return loop


def test_board_plant_and_modbus_events_take_effect(board):
    loop = _run(board, [
        {"at_s": 10, "fault": "t_tank_c", "kind": "open"},
        {"at_s": 20, "fault": "p_suc_bar", "kind": "drift", "params": {"rate_per_s": 0.1}},
        {"at_s": 30, "clear": "t_tank_c"},
        {"at_s": 40, "fan_failure": True},
        {"at_s": 50, "valve_stuck": "bev", "pct": 40},
        {"at_s": 60, "di": "ext_enable", "value": 0},
        {"at_s": 70, "setting": "p_rec_sp_bar", "value": 36.5},
        {"at_s": 80, "modbus_write": {"t_w_out_sp_c": 55.0}},
        {"at_s": 90, "modbus_read": ["p_rec_sp_bar", "t_w_out_sp_c", "mode"]},
        {"at_s": 100, "modbus_poll": "all", "until_s": 110, "requests_per_step": 3},
        {"at_s": 115, "note": "end of the checks"},
    ])
    sb, plant = loop.rig.simboard, loop.rig.plant
    assert "t_tank_c" not in sb._faults and sb._faults["p_suc_bar"][0] == "drift"
    assert plant.faults.fan_failed and plant.faults.bev_stuck_pct == 40.0
    assert sb.di["ext_enable"] == 0
    assert loop.settings_end["p_rec_sp_bar"] == 36.5
    assert loop.settings_end["t_w_out_sp_c"] == 55.0
    read = next(r for r in loop.log if r["event"] == "modbus_read")["values"]
    assert read["p_rec_sp_bar"] == 36.5 and read["t_w_out_sp_c"] == 55.0
    assert read["mode"] == 3.0  # heat recovery, as the setting asked
    poll = loop.modbus_poll_stats
    assert poll["requests"] == 3 * 11 and poll["exceptions"] == 0 and poll["registers"] > 0
    assert [r["event"] for r in loop.log] == [e["event"] for e in loop.log]
    assert [r["t_s"] for r in loop.log] == [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 115]
    labels = [e for e in loop.trace["event"] if e]
    assert labels[-1] == "note(text=end of the checks)"


def test_a_power_cut_stops_the_firmware_and_it_boots_again(board):
    loop = _run(board, [{"at_s": 30, "power_cut_s": 20}], duration_s=90)
    tr = loop.trace
    off = [k for k, t in enumerate(tr["t_s"]) if 30 <= t < 50]
    assert all(math.isnan(tr["fw.ticks"][k]) for k in off)
    assert all(tr["out.comp_enable"][k] == 0.0 for k in off)  # relays drop
    back = tr["t_s"].index(50.0)
    assert tr["fw.booted"][back] == 1 and "reboot" in tr["event"][back]
    assert loop.reboots == 1
    assert loop.reboot.settings_after == loop.reboot.settings_before
    assert tr["fw.ticks"][-1] > tr["fw.ticks"][off[0] - 1]  # counted on after the boot


@pytest.mark.parametrize("ev, where", [
    ({"at_s": 1, "setting": "p_rec_sp_bar", "value": 99}, "events[0].value: p_rec_sp_bar = 99"),
    ({"at_s": 1, "setting": "p_rec_sp_bar", "value": 36.55},
     "events[0].value: p_rec_sp_bar = 36.55 refused, not sent: resolution is 0.1"),
    ({"at_s": 1, "modbus_write": {"p_gc_bar": 80}}, "events[0].modbus_write.p_gc_bar: p_gc_bar"
     " is read-only"),
    ({"at_s": 1, "modbus_write": {"p_gc_maxx_bar": 80}},
     "events[0].modbus_write.p_gc_maxx_bar: no register named 'p_gc_maxx_bar'"),
    ({"at_s": 1, "modbus_poll": "all", "until_s": 0.5}, "events[0].until_s: 0.5 outside 1..inf"),
    ({"at_s": 1, "clear": "p_gc_bar", "kind": "open"},
     "events[0]: unknown key(s) ['kind'] for a clear event"),
])
def test_bad_events_get_one_line_errors(ev, where):
    with pytest.raises(ScenarioError) as e:
        parse({"duration_s": 10, "events": [ev]}, "bad.json")
    msg = str(e.value)
    assert msg.startswith("bad.json: ") and where in msg, msg
    assert "\n" not in msg


def test_settings_are_checked_against_the_firmware_table():
    with pytest.raises(ScenarioError, match=r"bad.json: settings.p_gc_max_bar: p_gc_max_bar = "
                       r"300 refused, not sent: allowed"):
        parse({"duration_s": 10, "settings": {"p_gc_max_bar": 300}}, "bad.json")


def test_every_kind_has_its_parse_and_fire():
    for key, kind in events.KINDS.items():
        assert callable(kind.parse) and callable(kind.fire), key
    assert events.EVENT_KEYS == tuple(events.KINDS)


def test_di_event_forces_a_plant_driven_input_until_cleared(board):
    """`di = "hp_ok"` opens the HP switch's terminal though the plant's switch stays
    closed: the firmware raises hp_switch and its override; `clear` gives the terminal
    back to the plant (the alarm is latched: it stays until acknowledged)."""
    from co2hr.alarms import ALARMS

    loop = _run(board, [
        {"at_s": 10, "di": "hp_ok", "value": 0},
        {"at_s": 20, "modbus_read": ["hp_ok", "alarm_word_0"]},
        {"at_s": 30, "clear": "hp_ok"},
        {"at_s": 40, "modbus_read": ["hp_ok", "alarm_word_0"]},
    ], duration_s=45)
    reads = [r["values"] for r in loop.log if r["event"] == "modbus_read"]
    bit = {a[1]: 1 << i for i, a in enumerate(ALARMS[:16])}
    assert reads[0]["hp_ok"] == 0 and int(reads[0]["alarm_word_0"]) & bit["hp_switch"]
    assert int(reads[0]["alarm_word_0"]) & bit["hp_override"]
    assert reads[1]["hp_ok"] == 1 and int(reads[1]["alarm_word_0"]) & bit["hp_switch"]
    assert not int(reads[1]["alarm_word_0"]) & bit["hp_override"]
    assert loop.rig.plant.state.hp_switch_ok  # the plant's own switch never opened
