"""Checks are declared by the scenario file (a `checks` list naming entries of one table,
with their parameters), not picked by the file's name; a bad list is a one-line error."""

from __future__ import annotations

import re
import shutil

import pytest

from rig import fw
from rig.hil import checks as C
from rig.hil import events
from rig.hil.scenario import ScenarioError, load, parse, shipped_dir


def test_a_renamed_scenario_keeps_its_checks(tmp_path):
    src = shipped_dir() / "ambient_sweep.json"
    copy = tmp_path / "my_sweep_for_the_customer.json"
    shutil.copy(src, copy)
    a, b = load(src), load(copy)
    assert a.checks == b.checks == [("cooling_delivered", {"min_share": 0.95}),
                                    ("cop_near_optimum", {"min_ratio": 0.98})]


def test_parameters_default_when_not_given():
    sc = parse({"duration_s": 10, "checks": ["cooling_delivered", "fan_fail_alarm"]})
    assert sc.checks == [("cooling_delivered", {"min_share": 0.95}), ("fan_fail_alarm", {})]
    assert parse({"duration_s": 10}).checks == []


@pytest.mark.parametrize("checks, where", [
    ("cop_near_optimum", "checks: expected a list"),
    (["cop_optimum"], "checks[0]: unknown check 'cop_optimum': one of ("),
    ([3], "checks[0]: expected a check name or a table"),
    ([{"min_ratio": 0.9}], "checks[0]: expected a check name or a table"),
    (["fan_fail_alarm", {"check": "cop_near_optimum", "min_ratio": 1.5}],
     "checks[1].min_ratio: 1.5 outside 0..1"),
    ([{"check": "cop_near_optimum", "min_ratio": "high"}],
     "checks[0].min_ratio: expected a number, got 'high'"),
    ([{"check": "cop_near_optimum", "ratio": 0.9}],
     "checks[0]: unknown parameter(s) ['ratio'] for cop_near_optimum (it takes: min_ratio)"),
    (["fan_fail_alarm", "fan_fail_alarm"], "checks[1]: fan_fail_alarm is listed twice"),
    (["no_overruns"], "checks[0]: no_overruns is checked on every run"),
])
def test_bad_check_lists_get_one_line_errors(checks, where):
    with pytest.raises(ScenarioError) as e:
        parse({"duration_s": 10, "checks": checks}, "bad.json")
    msg = str(e.value)
    assert msg.startswith("bad.json: ") and where in msg, msg
    assert "\n" not in msg


def _summary(**over):
    s = {"complete": True, "error": None, "duration_s": 10.0, "ticks": 10, "overruns": 0,
         "limits": {"p_gc_max_bar": 100.0, "p_gc_max_t_s": 5.0, "p_gc_limit_bar": 105.0},
         "water": {"t_w_out_max_c": 60.0, "t_w_out_max_t_s": 7.0},
         "alarms": [{"alarm": "fan_fail", "raised_s": 3.0, "cleared_s": None}],
         "modbus": {"poll": {"requests": 0, "exceptions": 0, "registers": 0}}}
    s.update(over)
    return s


def test_every_run_checks_come_first_then_the_declared_in_the_files_order():
    declared = [("modbus_poll_answered", {}), ("fan_fail_alarm", {})]
    got = [(n, ok) for n, ok, _d in C.evaluate(_summary(), declared)]
    assert got == [("run complete", True), ("p_gc never above the configured maximum", True),
                   ("p_gc never above 110 bar", True), ("nothing vented", True),
                   ("HR water never above 95 degC", True),
                   ("no tick overruns", True),
                   ("no compressor enable before the HPEV's start opening", True),
                   ("no HPEV lockout without an HPEV or pressure fault", True),
                   ("no deviation alarm without a plant fault", True),
                   ("injection stop on through every HP stop", True),
                   ("no storage alarm at boot", True), ("every polled request answered", False),
                   ("fan failure raises fan_fail", True)]


def _lockout_ok(events, raised_s):
    al = [{"alarm": "hpev_blocked", "raised_s": t, "cleared_s": None} for t in raised_s]
    (_n, ok, detail), = C.run_check(_summary(events=events, alarms=al),
                                     "hpev_lockout_only_on_a_fault")
    return ok, detail


def test_an_hpev_lockout_is_a_failure_unless_a_fault_came_first():
    stuck = {"t_s": 300.0, "event": "valve_stuck", "valve": "hpev", "pct": 5.0}
    drift = {"t_s": 200.0, "event": "fault", "signal": "p_gc_bar", "kind": "drift"}
    t3 = {"t_s": 100.0, "event": "fault", "signal": "t_gc_out_c", "kind": "open"}
    assert _lockout_ok([], []) == (True, "hpev_blocked never raised; no such fault")
    assert not _lockout_ok([], [400.0])[0]  # a healthy plant locked out
    assert not _lockout_ok([t3], [400.0])[0]  # T3 is no reason
    assert _lockout_ok([stuck], [400.0])[0] and _lockout_ok([drift], [400.0])[0]
    assert not _lockout_ok([stuck], [250.0, 400.0])[0]  # raised before the valve stuck


def test_a_parameter_moves_the_threshold():
    s = _summary(heat={"q_evap_kwh": 90.0, "q_load_kwh": 100.0})
    (name, ok, _d), = C.run_check(s, "cooling_delivered")
    assert name == "cooling delivered >= 95 % of the cases' load" and not ok
    (name, ok, _d), = C.run_check(s, "cooling_delivered", min_share=0.9)
    assert name == "cooling delivered >= 90 % of the cases' load" and ok


def test_every_check_and_event_kind_is_documented():
    doc = (fw.REPO / "docs" / "scenarios.md").read_text()
    named = set(re.findall(r"`([a-z_0-9]+)`", doc))
    assert set(C.TABLE) <= named, sorted(set(C.TABLE) - named)
    actions = set(re.findall(r"^\| `([a-z_]+) =", doc, re.M))
    assert actions == set(events.KINDS), sorted(actions ^ set(events.KINDS))



def test_a_relief_valve_that_opened_fails_nothing_vents():
    lim = {"p_gc_max_bar": 100.0, "p_gc_max_t_s": 5.0, "p_gc_limit_bar": 105.0}
    ok = {n: v for n, v, _d in C.evaluate(_summary(limits=dict(lim, vented_kg=0.0,
                                                                relief_open_s=0.0)), [])}
    assert ok["nothing vented"]
    bad = {n: v for n, v, _d in C.evaluate(_summary(limits=dict(lim, vented_kg=0.15,
                                                                 relief_open_s=3.0)), [])}
    assert not bad["nothing vented"]


def _deviation_ok(events, alarms):
    al = [{"alarm": a, "raised_s": t, "cleared_s": None} for t, a in alarms]
    (_n, ok, detail), = C.run_check(_summary(events=events, alarms=al),
                                     "deviation_alarms_only_on_a_fault")
    return ok, detail


def test_a_deviation_alarm_is_a_failure_unless_a_plant_fault_came_first():
    stuck = {"t_s": 300.0, "event": "valve_stuck", "valve": "hpev", "pct": 10.0}
    write = {"t_s": 100.0, "event": "modbus_write", "name": "t_w_out_sp_c"}
    assert _deviation_ok([], []) == (True, "none raised; no plant fault")
    assert not _deviation_ok([], [(127.0, "dev_t_w_out")])[0]  # a healthy HR start
    assert not _deviation_ok([write], [(200.0, "dev_t_w_out")])[0]  # a write is no fault
    assert _deviation_ok([stuck], [(859.0, "dev_p_gc")])[0]
    assert not _deviation_ok([stuck], [(250.0, "dev_p_gc")])[0]  # before the valve stuck
    assert _deviation_ok([stuck], [(400.0, "hp_stop")])[0]  # other alarms are not judged
