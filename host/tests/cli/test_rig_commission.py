"""`rig commission` against the virtual rig (`rig run`, sil): every check passes and the
record (JSON and HTML) says so; with a sensor fault injected by `rig fault`, that
sensor's check fails in words (why the signal is invalid, the alarm's cause and what
to do) and the record is FAILED. Also `rig set` of a manual value outside mode Manual:
accepted, kept, flagged by alarm manual_idle and warned about."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from rigproc import run_cli, sil_rig, tcp_args

from rig.regs import fwdoc

rig = pytest.fixture(scope="module")(sil_rig)


def _commission(rig, out: Path) -> tuple[int, str, dict, str]:
    rc, text, err = run_cli("commission", *tcp_args(rig), "--out", str(out), "--site", "Test site",
                            "--by", "A. Technician")
    assert not err, err
    js = sorted(out.glob("commissioning-*.json"))
    ht = sorted(out.glob("commissioning-*.html"))
    assert len(js) == 1 and len(ht) == 1, text
    return rc, text, json.loads(js[0].read_text()), ht[0].read_text()


def test_commissioning_on_the_virtual_rig_passes_every_check(rig, tmp_path):
    rc, text, rec, html = _commission(rig, tmp_path)
    bad = [(c["id"], c["status"], c["details"]) for c in rec["checks"] if c["status"] != "passed"]
    assert rc == 0 and rec["result"] == "passed" and not bad, "\n".join(map(str, bad))
    ids = [c["id"] for c in rec["checks"]]
    for want in ["identity", "sensors:order", "alarm_relay", "hp_switch", "alarms", "settings",
                 "events"] + [f"sensor:{n}" for n in ("p_gc_bar", "t_gc_out_c", "hp_ok")] + [
                     f"output:{n}" for n in ("hpev_pct", "fan_pct", "gc_bypass", "comp_enable")]:
        assert want in ids, want
    assert rec["site"] == "Test site" and rec["technician"] == "A. Technician"
    assert "(virtual rig)" in rec["controller"]
    hp = next(c for c in rec["checks"] if c["id"] == "hp_switch")
    assert hp["data"]["open"] == {"hp_ok": 0.0, "alarm_relay": 1.0, "hp_switch": True,
                                  "hp_override": True}
    # opened at a normal p_gc: the controller distrusts the reading, and the check
    # acknowledged that too (the alarms check after it found nothing active)
    assert "p_gc_implausible" in hp["data"]["raised"]
    sett = next(c for c in rec["checks"] if c["id"] == "settings")["data"]["settings"]
    assert {s["name"] for s in sett} >= {"mode_cmd", "p_gc_max_bar", "cal_p_gc_bar"}
    ev = next(c for c in rec["checks"] if c["id"] == "events")["data"]["events"]
    assert any("hp_switch" in e["text"] for e in ev)  # the test it just made is logged
    assert "<td>result</td>" not in html and "Test site" in html and ">passed<" in html
    assert text.strip().endswith(".html") and "commissioning passed" in text
    # the mode and the outputs are back in automatic control
    rc, out, err = run_cli("read", *tcp_args(rig), "mode", "manual_left_s")
    assert re.search(r"^mode +2 \(Max-COP\)", out, re.M) and "manual_left_s            0 s" in out


def test_a_sensor_fault_fails_its_check_in_words(rig, tmp_path):
    rc, out, err = run_cli("fault", "--tcp-port", str(rig.tcp_port), "short", "t_amb_c")
    assert rc == 0, err
    time.sleep(0.5)  # ten ticks: past the alarm's 5 s delay
    try:
        rc, text, rec, html = _commission(rig, tmp_path)
    finally:
        run_cli("fault", "--tcp-port", str(rig.tcp_port), "clear", "all")
    assert rc == 1 and rec["result"] == "FAILED"
    by_id = {c["id"]: c for c in rec["checks"]}
    c = by_id["sensor:t_amb_c"]
    a = fwdoc.alarm_by_code(14)
    assert a.name == "t_amb_sensor"
    assert c["status"] == "FAILED" and c["details"][0] == "t_amb_c is invalid: short circuit"
    assert a.cause in c["details"][1] and a.action in c["details"][1]
    assert by_id["sensor:t_gc_out_c"]["status"] == "passed"
    assert "t_amb_c is invalid: short circuit" in html
    assert re.search(r"^FAILED +Sensor t_amb_c: .*short circuit", text, re.M), text


def test_manual_value_outside_manual_mode_is_accepted_and_warned(rig):
    rc, out, err = run_cli("set", *tcp_args(rig), "man_bev_pct", "40")
    assert rc == 0, err
    assert re.search(r"^warning: mode is Max-COP, not Manual: .*does nothing", out, re.M), out
    rc, out, err = run_cli("read", *tcp_args(rig), "man_bev_pct")
    assert "40.0 %" in out, out  # the write took
    rc, out, err = run_cli("alarms", *tcp_args(rig))
    assert re.search(r"^70 manual_idle \(warning\)", out, re.M), out
    rc, out, err = run_cli("set", *tcp_args(rig), "manual_release", "1")
    assert rc == 0 and "warning" not in out
    time.sleep(0.3)
    rc, out, err = run_cli("alarms", *tcp_args(rig))
    assert "manual_idle" not in out


def test_hp_switch_check_is_not_done_without_anybody_to_open_it(rig):
    """On a board (no virtual rig's socket) and no technician at a terminal, the HP switch
    check is "not done", the record INCOMPLETE, and the controller left as it was."""
    import argparse

    from rig.cli import commission as cm
    from rig.cli.modbus import add_link_args
    from rig.regs.link import Link

    p = argparse.ArgumentParser()
    add_link_args(p)
    a = p.parse_args(tcp_args(rig))
    asked = []
    with Link(a) as link:
        w = cm.Walk(link, cm.R.UNLOCK_CODE, None,
                    lambda prompt: asked.append(prompt))
        c = cm.check_hp_switch(w)
        st = w.alarms()
    assert c.status == cm.NOT_DONE and "nobody opened the HP switch" in c.details[0]
    assert len(asked) == 1 and "Open the HP safety switch" in asked[0]
    assert cm.result([cm.Check("x", "x"), c]) == "INCOMPLETE"
    assert not any(s.active for s in st if s.doc.name == "hp_switch")
