"""`rig run` (= `make run`), started as a subprocess exactly as a technician starts it:
it prints where to connect, the Debian mbpoll CLI reads it over TCP and over the RTU
pty with the very command lines it printed, it runs bounded with --duration, and
SIGTERM / SIGINT stop it with exit 0, the TCP port and the pty closed."""

from __future__ import annotations

import os
import re
import signal
import subprocess

import pytest
from rigproc import RigProcess, pty_gone, tcp_open


@pytest.fixture(scope="module", params=["sil", "mpy"])
def rig(request):
    r = RigProcess("--target", request.param, "--no-view", "--speed", "20",
                   "--ambient", "25", "--load", "70", "--demand", "3")
    r.target = request.param
    yield r
    r.stop()


def _mbpoll(argv: list[str]) -> tuple[int, str]:
    p = subprocess.run(argv + ["-1"], capture_output=True, text=True, timeout=20)
    return p.returncode, p.stdout + p.stderr


def _regs(out: str) -> dict[int, int]:
    return {int(a): int(v) for a, v in re.findall(r"^\[(\d+)\]:\s+(-?\d+)", out, re.M)}


def test_banner_says_where_to_connect(rig):
    out = rig.output()
    assert f"virtual rig: firmware on {rig.target}, plant at 20x real time (Ctrl-C stops)" in out
    assert f"Modbus TCP : 127.0.0.1:{rig.tcp_port}" in out
    assert re.search(r"Modbus RTU : /dev/pts/\d+ 19200 8E1 \(unit 1\)", out)
    assert "ambient 25 degC, cooling load 70 kW, HR demand 3 V" in out
    assert os.path.exists(rig.pty)


def test_mbpoll_reads_over_tcp_with_the_printed_command(rig):
    argv = rig.banner_command("TCP")
    assert argv[:3] == ["mbpoll", "-m", "tcp"]
    rc, out = _mbpoll(argv)
    assert rc == 0, out
    regs = _regs(out)
    assert sorted(regs) == list(range(1, 11))
    # reference 1 = input register 0 = p_gc_bar x 10; 5 = t_amb_c x 10 (the simulated 25 degC)
    assert 300 < regs[1] < 1300
    assert abs(regs[5] - 250) <= 5


def test_mbpoll_reads_over_the_rtu_pty_with_the_printed_command(rig):
    argv = rig.banner_command("RTU")
    assert argv[:7] == ["mbpoll", "-m", "rtu", "-b", "19200", "-P", "even"]
    rc, out = _mbpoll(argv)
    assert rc == 0, out
    regs = _regs(out)
    assert sorted(regs) == list(range(1, 11))
    assert abs(regs[5] - 250) <= 5
    # holding registers too (reference 1 = mode_cmd, default 2 Max-COP)
    rc, out = _mbpoll(["mbpoll", "-m", "rtu", "-b", "19200", "-P", "even", "-a", "1", "-r", "1",
                       "-c", "3", "-t", "4", rig.pty])
    assert rc == 0, out
    assert _regs(out)[1] in (0, 1, 2, 3, 4)


def test_stop_is_clean(rig):
    sig = signal.SIGTERM if rig.target == "sil" else signal.SIGINT
    rc = rig.stop(sig)
    assert rc == 0, rig.output() + "".join(rig.err)
    assert f"virtual rig stopped ({signal.Signals(sig).name})" in rig.output()
    assert "panicked" not in "".join(rig.err)
    assert not tcp_open(rig.tcp_port)
    assert pty_gone(rig)


def test_bounded_run_with_the_live_view():
    r = RigProcess("--target", "sil", "--speed", "40", "--duration", "40", "--load", "60%",
                   "--view-interval", "0.2", wait_banner=False)
    rc = r.wait(60)
    out = r.output()
    assert rc == 0, out + "".join(r.err)
    assert "cooling load 60 kW" in out
    assert "virtual rig stopped (duration reached) after 40 s of rig time, 40 control ticks" in out
    # the view (not a tty here: frames are appended, not redrawn)
    assert re.search(r"^state +mode (Off|Standby|Max-COP|Heat recovery|Manual)  ", out, re.M)
    assert re.search(r"^pressure +p_gc \d+\.\d bar  reference \d+\.\d bar", out, re.M)
    assert re.search(r"^ALARMS +", out, re.M)


def test_bad_options_are_refused_in_one_line(capsys):
    from rig.cli import main

    for args, msg in ((["--load", "lots"], "--load lots: expected kW or a percentage"),
                      (["--load", "900"], "must be 0..500 kW"),
                      (["--demand", "12"], "--demand must be 0..10 V")):
        assert main(["run", "--target", "sil", "--no-view", *args]) == 2
        err = capsys.readouterr().err
        assert msg in err and err.count("\n") == 1
