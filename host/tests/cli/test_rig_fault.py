"""Practice on the virtual rig: `rig fault` on a running `rig run` (sil) raises the
matching alarm within its delay, seen by `rig read` of the alarm registers and dated by
the alarm history; `rig set alarm_ack` says what it cleared; and the RTU pty refuses a
master at the wrong baud rate or parity the way a real RS-485 line does (garbled bytes
the firmware counts, no answer), with pymodbus (rig read) and mbpoll as masters."""

from __future__ import annotations

import re
import subprocess
import time

import pytest
from rigproc import RigProcess, run_cli

from co2hr.alarms import ALARMS

TICK_S = 1.0  # the virtual rig's control tick


@pytest.fixture(scope="module")
def rig():
    r = RigProcess("--target", "sil", "--no-view", "--speed", "20")
    yield r
    assert r.stop() == 0


def _tcp(rig) -> list[str]:
    return ["--tcp", f"127.0.0.1:{rig.tcp_port}"]


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
    """Wait until `rig read` shows alarm `code` active; the rig time the alarm history
    dates its raising."""
    t_end = time.monotonic() + timeout_s
    words = [f"alarm_word_{k}" for k in range((len(ALARMS) + 15) // 16)]
    while time.monotonic() < t_end:
        rc, out, err = run_cli("read", *_tcp(rig), *words)
        assert rc == 0, err
        if re.search(rf"(0x[0-9a-f]{{4}}  |; ){code} ", out):
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"alarm {code} not raised: {out}")
    hist = [f"alarm_hist_{j}_{w}" for j in range(16) for w in ("code", "event", "time_s")]
    rc, out, err = run_cli("read", *_tcp(rig), *hist)
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


def test_ack_says_what_cleared_and_what_is_still_active(rig):
    _fault(rig, "open", "t_tank_c")  # a warning (priority 3), not latched
    _fault(rig, "fan")  # latched: stays after its cause until acknowledged
    tank, fan = _alarm("t_tank_sensor"), _alarm("fan_fail")
    _raised_at(rig, tank[0])
    _raised_at(rig, fan[0])
    rc, out, err = run_cli("fault", "--tcp-port", str(rig.tcp_port), "clear", "all")
    assert rc == 0 and "cleared" in out, err
    time.sleep(1.0)  # a few ticks: the causes are gone
    rc, out, err = run_cli("set", *_tcp(rig), "alarm_ack", "1")
    assert rc == 0, err
    lines = out.splitlines()
    assert re.match(r"alarm_ack: \d+ active alarm\(s\) acknowledged", lines[0]), out
    assert f"  cleared: {fan[0]} {fan[2]}" in lines, out
    assert not any(ln.startswith("  cleared: " + str(tank[0]) + " ") for ln in lines)
    assert re.search(r"^  alarm_relay: 1 \(on\) -> 0 \(off\)$", out, re.M), out
    assert "-> 0\n" not in out and "0 -> 0" not in out


def test_fault_refusals_are_one_line(rig):
    rc, out, err = run_cli("fault", "--tcp-port", str(rig.tcp_port), "open", "p_gc_bars")
    assert rc == 1 and out == "" and err.count("\n") == 1
    assert "unknown signal 'p_gc_bars'" in err
    rc, out, err = run_cli("fault", "--tcp-port", str(rig.tcp_port), "valve", "xyz")
    assert rc == 2 and "hpev or bev" in err
    rc, out, err = run_cli("fault", "--tcp-port", "1", "fan")
    assert rc == 1 and "no virtual rig listens on" in err and err.count("\n") == 1


def _bad_frames(rig) -> int:
    rc, out, err = run_cli("read", *_tcp(rig), "mb_crc_errors", "mb_bad_frames")
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
