"""Practice on the virtual rig: `rig fault` on a running `rig run` (sil) raises the
matching alarm within its delay, seen by `rig alarms` (with its cause and what to do)
and dated by the alarm history; `rig ack` and `rig set alarm_ack` say what cleared and
what is still active, and why; and the RTU pty refuses a
master at the wrong baud rate or parity the way a real RS-485 line does (garbled bytes
the firmware counts, no answer), with pymodbus (rig read) and mbpoll as masters."""

from __future__ import annotations

import re
import subprocess
import time

import pytest
from rigproc import run_cli, sil_rig, tcp_args

from co2hr.alarms import ALARMS
from rig.regs import fwdoc

TICK_S = 1.0  # the virtual rig's control tick


rig = pytest.fixture(scope="module")(sil_rig)


def _alarm(name: str) -> tuple:
    return next(a for a in ALARMS if a[1] == name)


def _fault(rig, *argv: str) -> float:
    """rig fault ...; the rig time it was applied at."""
    rc, out, err = run_cli("fault", "--tcp-port", str(rig.tcp_port), *argv)
    assert rc == 0, err
    m = re.search(r"at t = (\d+(\.\d+)?) s$", out.strip())
    assert m, out
    return float(m.group(1))


def _raised_at(rig, code: int, timeout_s: float = 20.0) -> float:
    """Wait until `rig alarms` shows alarm `code` active, with its table's cause and
    action; the rig time the alarm history dates its raising."""
    t_end = time.monotonic() + timeout_s
    a = fwdoc.alarm_by_code(code)
    while time.monotonic() < t_end:
        rc, out, err = run_cli("alarms", *tcp_args(rig))
        assert rc == 0, err
        if re.search(rf"^{code} {a.name} \(", out, re.M):
            block = out[out.index(f"{code} {a.name} ("):]
            flat = " ".join(block.split())
            assert f"cause {a.cause}" in flat and f"action {a.action}" in flat, out
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"alarm {code} not raised: {out}")
    hist = [f"alarm_hist_{j}_{w}" for j in range(16) for w in ("code", "event", "time_s")]
    rc, out, err = run_cli("read", *tcp_args(rig), *hist)
    v = dict(re.findall(r"^(\S+) +(\d+)", out, re.M))
    for j in range(16):  # newest first: the latest raising of code
        if int(v[f"alarm_hist_{j}_code"]) == code and int(v[f"alarm_hist_{j}_event"]) == 1:
            return float(v[f"alarm_hist_{j}_time_s"])
    raise AssertionError(f"alarm {code} not in the history: {out}")


@pytest.mark.parametrize("argv,alarm", [
    (("open", "p_gc_bar"), "p_gc_sensor"),
    (("hp_switch",), "hp_switch"),
    (("fan",), "fan_fail"),
])
def test_fault_raises_its_alarm_within_its_delay(rig, argv, alarm):
    a = _alarm(alarm)
    t_fault = _fault(rig, *argv)
    t_raised = _raised_at(rig, a[0])
    # the alarm's delay after the fault, give or take the tick it is seen in
    assert t_fault + a[4] - TICK_S <= t_raised <= t_fault + a[4] + 2 * TICK_S, \
        (alarm, t_fault, t_raised)


def _clean(rig) -> None:
    rc, out, err = run_cli("fault", "--tcp-port", str(rig.tcp_port), "clear", "all")
    assert rc == 0, err
    time.sleep(0.5)  # ten ticks: every cause gone
    rc, out, err = run_cli("ack", *tcp_args(rig))
    assert rc == 0, err


def test_set_alarm_ack_says_what_cleared_and_what_is_still_active(rig):
    _clean(rig)
    _fault(rig, "open", "t_tank_c")  # a warning (priority 3), not latched
    _fault(rig, "fan")  # latched: stays after its cause until acknowledged
    tank, fan = _alarm("t_tank_sensor"), _alarm("fan_fail")
    _raised_at(rig, tank[0])
    _raised_at(rig, fan[0])
    rc, out, err = run_cli("fault", "--tcp-port", str(rig.tcp_port), "clear", "all")
    assert rc == 0 and "cleared" in out, err
    time.sleep(1.0)  # a few ticks: the causes are gone
    rc, out, err = run_cli("set", *tcp_args(rig), "alarm_ack", "1")
    assert rc == 0, err
    lines = out.splitlines()
    assert f"cleared: {fan[0]} fan_fail (alarm, latched): {fan[2]} (acknowledged)" in lines
    assert not any(str(tank[0]) in ln for ln in lines), out  # it had cleared by itself
    assert "alarm relay: on -> off" in lines, out
    assert "0 -> 0" not in out


def test_ack_one_code_and_all_say_what_stays_active_and_why(rig):
    _clean(rig)
    fan, rec = _alarm("fan_fail"), _alarm("p_rec_sensor")
    _fault(rig, "fan")
    _fault(rig, "open", "p_rec_bar")  # priority 2, its cause stays
    _raised_at(rig, fan[0])
    _raised_at(rig, rec[0])
    _fault(rig, "clear", "fan")
    time.sleep(1.0)
    rc, out, err = run_cli("ack", *tcp_args(rig), str(fan[0]))
    assert rc == 0, err
    lines = out.splitlines()
    assert f"cleared: {fan[0]} fan_fail (alarm, latched): {fan[2]} (acknowledged)" in lines
    assert any(ln.startswith(f"still active, not acknowledged by this: {rec[0]} p_rec_sensor")
               for ln in lines), out  # another code: left alone, relay still on
    rc, out, err = run_cli("alarms", *tcp_args(rig))
    assert "alarm relay on" in out.splitlines()[0] and f"{fan[0]} fan_fail" not in out
    rc, out, err = run_cli("ack", *tcp_args(rig), "all")
    assert rc == 0, err
    want = (f"still active: cause present (p_rec_bar: open circuit (below the live-zero / "
            f"above the PT1000 range)): {rec[0]} p_rec_sensor (alarm): {rec[2]} "
            "(acknowledged, no longer holds the alarm relay)")
    assert want in out.splitlines(), out
    assert "alarm relay: on -> off" in out.splitlines(), out
    rc, out, err = run_cli("ack", *tcp_args(rig), str(fan[0]))
    assert rc == 0 and out.startswith(f"alarm {fan[0]} fan_fail is not active"), out
    rc, out, err = run_cli("ack", *tcp_args(rig), "9")  # (no row has code 9)
    assert rc == 1 and "no alarm '9'" in err and out == ""
    _clean(rig)


def test_fault_refusals_are_one_line(rig):
    rc, out, err = run_cli("fault", "--tcp-port", str(rig.tcp_port), "open", "p_gc_bars")
    assert rc == 1 and out == "" and err.count("\n") == 1
    assert "unknown signal 'p_gc_bars'" in err
    rc, out, err = run_cli("fault", "--tcp-port", str(rig.tcp_port), "valve", "xyz")
    assert rc == 2 and "hpev or bev" in err
    rc, out, err = run_cli("fault", "--tcp-port", "1", "fan")
    assert rc == 1 and "no virtual rig listens on" in err and err.count("\n") == 1


def _bad_frames(rig) -> int:
    rc, out, err = run_cli("read", *tcp_args(rig), "mb_crc_errors", "mb_bad_frames")
    return sum(int(x) for x in re.findall(r"^\S+ +(\d+)$", out, re.M))


def _rtu(rig, *extra: str) -> tuple[int, str, str]:
    return run_cli("read", "--port", rig.pty, "--timeout", "0.4", "--retries", "0", *extra,
                   "mode")


def test_rtu_line_refuses_the_wrong_baud_rate_and_parity(rig):
    rc, out, err = _rtu(rig)
    assert rc == 0 and out.startswith("mode "), err  # the right settings: 19200 8E1
    bad0 = _bad_frames(rig)
    for extra in (("--baud", "9600"), ("--baud", "38400"), ("--parity", "O")):
        rc, out, err = _rtu(rig, *extra)
        assert rc == 1 and out == "", (extra, out)
        assert "no answer" in err or "CRC error" in err, (extra, err)
    assert _bad_frames(rig) > bad0  # the firmware saw the garbled frames, as on a wire
    rc, out, err = _rtu(rig, "--stop-bits", "2")  # a UART checks one stop bit: fine
    assert rc == 0, err
    rc, out, err = _rtu(rig)
    assert rc == 0, err  # and the right settings still work


def test_mbpoll_at_the_wrong_baud_rate_gets_no_answer(rig):
    base = ["mbpoll", "-m", "rtu", "-P", "even", "-a", "1", "-r", "1", "-c", "2", "-t", "3",
            "-1", "-o", "0.5"]
    p = subprocess.run(base[:3] + ["-b", "9600"] + base[3:] + [rig.pty],
                       capture_output=True, text=True, timeout=20)
    assert "timed out" in (p.stdout + p.stderr).lower(), p.stdout + p.stderr
    p = subprocess.run(base[:3] + ["-b", "19200"] + base[3:] + [rig.pty],
                       capture_output=True, text=True, timeout=20)
    assert p.returncode == 0 and re.search(r"^\[1\]:\s+\d+", p.stdout, re.M), p.stdout
