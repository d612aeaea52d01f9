"""Scenario files: every shipped one loads (full and test forms); bad files get one clear
message naming the file and the place."""

from __future__ import annotations

import json

import pytest

from rig.hil import scenario
from rig.hil.scenario import ScenarioError, load, parse


def test_every_shipped_scenario_loads_in_both_forms():
    files = scenario.shipped()
    names = {p.stem for p in files}
    for required in ("ambient_sweep", "winter_day", "summer_day", "hr_demand_ramp",
                     "summer_no_heat_use", "sensor_faults", "fan_failure_hot_day",
                     "cooling_load_step", "power_cut_reboot", "modbus_full_speed"):
        assert required in names
    for p in files:
        full = load(p)
        short = load(p, variant="test")
        assert short.duration_s <= full.duration_s
        assert full.step_s == short.step_s == 1.0
        assert all(e.at_s <= full.duration_s for e in full.events)


def test_profiles_points_step_sweep_and_day():
    sc = parse({"duration_s": 100, "profiles": {
        "t_amb_c": {"sweep": [-10, 0, 10], "hold_s": 30},
        "q_load_kw": {"points": [[0, 80], [50, 40]], "interp": "step"},
        "demand_v": {"points": [[0, 0], [100, 10]]},
        "q_heat_use_kw": {"day": "danish_winter"}}, "metrics": {"steady": "sweep"}})
    p = sc.profiles
    assert p["t_amb_c"](0) == -10 and p["t_amb_c"](29) == -10 and p["t_amb_c"](30) == 0
    assert p["t_amb_c"](65) == 10
    assert p["q_load_kw"](49) == 80 and p["q_load_kw"](50) == 40
    assert p["demand_v"](25) == pytest.approx(2.5)
    assert p["q_heat_use_kw"](0) == 35  # the plant's Danish winter day at midnight
    assert p["t_w_return_c"](0) == 30.0  # default
    assert sc.metrics["steps_s"] == [50.0]
    assert sc.metrics["steady"] == [[20.0, 30.0], [50.0, 60.0], [80.0, 90.0]]


def test_time_scale_shrinks_every_time_but_not_the_step():
    data = {"duration_s": 1000, "profiles": {"t_amb_c": {"sweep": [0, 10], "hold_s": 500}},
            "events": [{"at_s": 400, "fault": "p_gc_bar", "kind": "open"}],
            "test": {"time_scale": 0.1}}
    sc = parse(data, variant="test")
    assert sc.duration_s == pytest.approx(100) and sc.step_s == 1.0
    assert sc.events[0].at_s == pytest.approx(40)
    assert sc.profiles["t_amb_c"](49) == 0 and sc.profiles["t_amb_c"](51) == 10
    assert parse(data).duration_s == 1000  # the full form ignores the test table


def test_events_are_sorted_and_parsed():
    sc = parse({"duration_s": 100, "events": [
        {"at_s": 50, "power_cut_s": 10},
        {"at_s": 10, "setting": "p_rec_sp_bar", "value": 36},
        {"at_s": 20, "valve_stuck": "hpev", "pct": 40},
        {"at_s": 30, "modbus_poll": "all", "until_s": 60, "requests_per_step": 5},
        {"at_s": 40, "di": "ext_enable", "value": 0},
        {"at_s": 45, "fan_failure": True}]})
    assert [e.kind for e in sc.events] == ["setting", "valve_stuck", "modbus_poll", "di",
                                           "fan_failure", "power_cut_s"]
    assert sc.events[2].args["requests_per_step"] == 5


@pytest.mark.parametrize("data, where", [
    ({}, "duration_s: missing"),
    ({"duration_s": 10, "bogus": 1}, "unknown key(s) ['bogus']"),
    ({"duration_s": 10, "profiles": {"t_amb_c": 99}}, "profiles.t_amb_c: 99 outside"),
    ({"duration_s": 10, "profiles": {"wind": 3}}, "unknown profile(s) ['wind']"),
    ({"duration_s": 10, "profiles": {"t_amb_c": {"points": [[0, 1], [5]]}}},
     "profiles.t_amb_c.points[1]: expected [time_s, value]"),
    ({"duration_s": 10, "profiles": {"t_amb_c": {"points": [[5, 1], [0, 2]]}}},
     "times must not decrease"),
    ({"duration_s": 10, "profiles": {"demand_v": {"day": "mars"}}}, "unknown day 'mars'"),
    ({"duration_s": 10, "events": [{"at_s": 1, "fault": "p_gc_bar", "kind": "melted"}]},
     "events[0].kind: 'melted': choose one of"),
    ({"duration_s": 10, "events": [{"at_s": 1, "fault": "p_xx_bar", "kind": "open"}]},
     "events[0].fault: unknown signal 'p_xx_bar'"),
    ({"duration_s": 10, "events": [{"at_s": 20, "fan_failure": True}]},
     "events[0].at_s: 20 s is after the end"),
    ({"duration_s": 10, "events": [{"at_s": 1}]}, "events[0]: give exactly one action"),
    ({"duration_s": 10, "events": [{"at_s": 1, "setting": "nope", "value": 1}]},
     "events[0].setting: unknown setting 'nope'"),
    ({"duration_s": 10, "settings": {"p_gc_max_bar": "high"}},
     "settings.p_gc_max_bar: p_gc_max_bar: 'high' is not a number"),
    ({"duration_s": 10, "settings": {"p_gc_max_bar": 130}},
     "settings.p_gc_max_bar: p_gc_max_bar = 130 refused, not sent: allowed 60..107 bar"),
    ({"duration_s": 10, "settings": {"mode_cmd": "Heat recovry"}},
     "settings.mode_cmd: mode_cmd: 'Heat recovry' is not a number (or one of: Off, Standby, "
     "Max-COP, Heat recovery, Manual)"),
    ({"duration_s": 10, "settings": {"p_gc_max": 100}},
     "settings.p_gc_max: unknown setting: did you mean p_gc_max_bar"),
    ({"duration_s": 10, "settings": {"mode_cmd": True}}, "settings.mode_cmd: expected a number"),
    ({"duration_s": 10, "plant": {"v_moon_m3": 1}}, "plant.v_moon_m3: not a PlantParams field"),
    ({"duration_s": 10, "metrics": {"steady": "sweep"}}, "needs profiles.t_amb_c to be a sweep"),
])
def test_bad_scenarios_get_clear_errors(data, where):
    with pytest.raises(ScenarioError) as e:
        parse(data, "bad.json")
    msg = str(e.value)
    assert msg.startswith("bad.json: ") and where in msg, msg
    assert "\n" not in msg


def test_bad_files(tmp_path):
    p = tmp_path / "broken.json"
    p.write_text('{"duration_s": 10,\n "profiles": }')
    with pytest.raises(ScenarioError, match=r"broken.json: line 2 column \d+: invalid JSON"):
        load(p)
    t = tmp_path / "broken.toml"
    t.write_text("duration_s = = 3\n")
    with pytest.raises(ScenarioError, match="broken.toml: invalid TOML"):
        load(t)
    y = tmp_path / "s.yaml"
    y.write_text("duration_s: 3")
    with pytest.raises(ScenarioError, match="unknown file type '.yaml'"):
        load(y)
    with pytest.raises(ScenarioError, match="cannot read"):
        load(tmp_path / "missing.json")


def test_toml_and_json_give_the_same_scenario(tmp_path):
    j = tmp_path / "a.json"
    j.write_text(json.dumps({"name": "a", "duration_s": 60, "profiles": {"t_amb_c": 12.5},
                             "events": [{"at_s": 5, "clear": "t_amb_c"}]}))
    t = tmp_path / "a.toml"
    t.write_text('name = "a"\nduration_s = 60\n[profiles]\nt_amb_c = 12.5\n'
                 '[[events]]\nat_s = 5\nclear = "t_amb_c"\n')
    a, b = load(j), load(t)
    assert a.duration_s == b.duration_s and a.profiles["t_amb_c"](3) == b.profiles["t_amb_c"](3)
    assert [e.label() for e in a.events] == [e.label() for e in b.events]


def test_settings_take_words_as_rig_set_does():
    sc = parse({"duration_s": 10, "settings": {"mode_cmd": "Heat recovery",
                                               "mb_baud_x100": "9600 baud",
                                               "tcp_read_only": "on", "p_gc_max_bar": 104}},
               "words.json")
    assert sc.settings == {"mode_cmd": 3.0, "mb_baud_x100": 96.0, "tcp_read_only": 1.0,
                           "p_gc_max_bar": 104.0}
    sc = parse({"duration_s": 10, "events": [{"at_s": 1, "setting": "mode_cmd",
                                              "value": "Manual"}]}, "ev.json")
    assert sc.events[0].args["value"] == 4.0


def test_a_scenario_with_mode_words_runs_in_that_mode():
    from rig.boards import load_board
    from rig.hil import runner
    from rig.targets import open_target

    board = load_board("esp32_devkitc")
    sc = parse({"duration_s": 5, "settings": {"mode_cmd": "Standby"}}, "words.json")
    with open_target("sil", board) as t:
        loop = runner.run(sc, t, board)
    assert loop.settings_start["mode_cmd"] == 1.0
    assert loop.trace["fw.mode"][-1] == 1.0  # the firmware runs in Standby


def test_scenario_settings_move_a_ladder_at_once_and_a_broken_order_is_one_line():
    """Settings at t = 0 go as one block: the firmware takes a whole HP ladder raised in
    any order of the file, and refuses (exception 3) one that breaks its order, which
    ends the run with one line naming the constraint."""
    from rig.boards import load_board
    from rig.hil import runner
    from rig.targets import open_target

    board = load_board("esp32_devkitc")
    up = {"p_hp_stop_bar": 109, "p_hp_ovr_bar": 108, "p_hp_alarm_bar": 107.5,
          "p_gc_max_bar": 107, "p_rec_sp_bar": 38}
    with open_target("sil", board) as t:
        loop = runner.run(parse({"duration_s": 2, "settings": up}, "up.json"), t, board)
    assert {k: loop.settings_start[k] for k in up} == up
    bad = {"p_gc_max_bar": 100, "p_hp_stop_bar": 100}  # the stop below the override 106.5
    with open_target("sil", board) as t, pytest.raises(ScenarioError) as e:
        runner.run(parse({"duration_s": 2, "settings": bad}, "bad.json"), t, board)
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith("bad.json: settings: ")
    assert "exception 3" in msg and "p_hp_stop_bar >= p_hp_ovr_bar + 1 bar" in msg, msg


def test_a_setting_event_that_breaks_an_order_ends_the_run_in_one_line():
    from rig.boards import load_board
    from rig.hil import runner
    from rig.targets import open_target

    board = load_board("esp32_devkitc")
    sc = parse({"duration_s": 3, "events": [{"at_s": 1, "setting": "p_rec_hi_bar",
                                             "value": 35}]}, "ev.json")
    with open_target("sil", board) as t, pytest.raises(ScenarioError) as e:
        runner.run(sc, t, board)
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith("setting at 1 s: "), msg
    assert "exception 3" in msg and "p_rec_hi_bar >= p_rec_sp_bar + 1 bar" in msg, msg
