"""The technician's commands (`rig read/watch/log/set/info/plot`) against the virtual rig,
on sil and on mpy, over Modbus TCP and over the RTU pty, with pymodbus as the master;
and the field errors: nothing listening, wrong unit, garbled replies (CRC), Modbus
exceptions in words, out-of-range values refused before sending, unknown names."""

from __future__ import annotations

import csv
import os
import re
import threading

import pytest
from rigproc import RigProcess, free_port

from rig.cli import main
from rig.cli.modbus import add_link_args
from rig.regs import codec, table
from rig.regs.link import FieldError, Link


@pytest.fixture(scope="module", params=["sil", "mpy"])
def rig(request):
    r = RigProcess("--target", request.param, "--no-view", "--speed", "20", "--ambient", "22")
    yield r
    assert r.stop() == 0


@pytest.fixture(params=["tcp", "rtu"])
def link(request, rig):
    if request.param == "tcp":
        return ["--tcp", f"127.0.0.1:{rig.tcp_port}"]
    return ["--port", rig.pty, "--baud", "19200", "--parity", "E", "--unit", "1"]


def rig_cmd(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_read_all_decodes_by_name_in_groups_with_addresses(capsys, link):
    rc, out, err = rig_cmd(capsys, "read", *link)
    assert rc == 0, err
    assert re.search(r"^Measurements \(input 0\.\.\d+, FC 4\)$", out, re.M)
    assert re.search(r"^Control settings \(holding 0\.\.\d+, FC 3\)$", out, re.M)
    assert re.search(r"^ +0  p_gc_bar +\d+\.\d bar$", out, re.M)
    assert re.search(r"^ +4  t_amb_c +22\.\d degC$", out, re.M)
    assert re.search(r"^ +200  mode +\d \((Off|Standby|Max-COP|Heat recovery|Manual)\)$",
                     out, re.M)
    assert re.search(r"^ +\d+  hr_stage +\d \(", out, re.M)
    assert re.search(r"^ +\d+  p_gc_max_bar +\d+\.\d bar$", out, re.M)  # a setting
    assert re.search(r"^ +\d+  hr_pump_run_pct +\d+\.\d %$", out, re.M)  # unique name
    assert re.search(r"^ +\d+  mb_baud_x100 +19200 baud$", out, re.M)  # in baud, not 192
    assert re.search(r"^ +\d+  hp_ok +1 \(healthy\)$", out, re.M)  # a switch in words
    assert re.search(r"^active alarms: ", out, re.M)
    rows = [ln.split() for ln in out.splitlines() if re.match(r" +\d+  ", ln)]
    names = {r[1] for r in rows}
    assert {"uptime_s", "mb_frames_served", "regmap_id", "service_unlock"} <= names
    # each address is the one of the firmware's table
    from co2hr.modbus import registers as R

    addr = {r[2]: r[1] for r in R.rows() if r[0] == "input"}
    assert all(int(r[0]) == addr[r[1]] for r in rows[:10])


def test_read_list_needs_no_device(capsys):
    rc, out, err = rig_cmd(capsys, "read", "--list")
    assert rc == 0, err
    assert re.search(r"^  input +0 +30001  p_gc_bar +bar +read$", out, re.M)
    assert re.search(r"^  holding +\d+ +4\d{4}  p_gc_max_bar +bar +read/write \(unlock\)$",
                     out, re.M)
    listed = {ln.split()[3] for ln in out.splitlines() if ln.startswith("  ")}
    assert {r.label for r in table.REGS} == listed


def test_read_named(capsys, link):
    rc, out, err = rig_cmd(capsys, "read", *link, "t_amb_c", "demand_v", "alarm_word_0")
    assert rc == 0, err
    lines = out.splitlines()
    assert [ln.split()[0] for ln in lines] == ["t_amb_c", "demand_v", "alarm_word_0"]
    assert lines[1].endswith(" V")
    assert re.match(r"alarm_word_0 +0x[0-9a-f]{4}", lines[2])


def test_watch_shows_the_view(capsys, link):
    rc, out, err = rig_cmd(capsys, "watch", *link, "--count", "2", "--interval", "0.1")
    assert rc == 0, err
    assert out.count("rig watch") == 2
    assert re.search(r"^state +mode (Off|Standby|Max-COP|Heat recovery|Manual)  HR stage ",
                     out, re.M)
    assert re.search(r"^ALARMS +", out, re.M)


def test_log_then_plot(capsys, link, tmp_path):
    f = tmp_path / "log.csv"
    rc, out, err = rig_cmd(capsys, "log", *link, "--interval", "0.2", "--count", "3",
                           "--out", str(f), "p_gc_bar", "t_amb_c", "fan_pct", "mode")
    assert rc == 0, err
    rows = list(csv.reader(f.open()))
    assert rows[0] == ["time", "t_s", "p_gc_bar", "t_amb_c", "fan_pct", "mode"]
    assert len(rows) == 4
    assert abs(float(rows[-1][3]) - 22.0) < 0.6
    rc, out, err = rig_cmd(capsys, "plot", str(f))
    assert rc == 0, err
    png = tmp_path / "log.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_set_unlocks_writes_and_reads_back(capsys, link):
    rc, out, err = rig_cmd(capsys, "set", *link, "p_hr_max_bar", "97.5")
    assert rc == 0, err
    assert re.match(r"p_hr_max_bar: \d+\.\d bar -> 97\.5 bar$", out.strip())
    rc, out, err = rig_cmd(capsys, "read", *link, "p_hr_max_bar", "settings_unlocked")
    assert "97.5 bar" in out
    assert re.search(r"^settings_unlocked +0$", out, re.M)  # locked again afterwards
    rc, out, err = rig_cmd(capsys, "set", *link, "mode_cmd", "Max-COP")  # words from the table
    assert rc == 0 and out.strip().endswith("-> 2 (Max-COP)"), err


def test_set_names_a_broken_order_and_moves_a_ladder_in_one_write(capsys, link):
    rc, out, err = rig_cmd(capsys, "set", *link, "p_hp_stop_bar", "100")
    assert rc != 0 and "exception 3" in err, err  # the controller's refusal ...
    assert "p_hp_stop_bar >= p_hp_ovr_bar + 1 bar (p_hp_ovr_bar 106.5" in err, err  # named
    assert len(err.strip().splitlines()) == 1, err
    up = ["p_hp_stop_bar", "108", "p_hp_ovr_bar", "107", "p_hp_alarm_bar", "106.5",
          "p_gc_max_bar", "106"]
    rc, out, err = rig_cmd(capsys, "set", *link, *up)  # the stop first: one block write
    assert rc == 0, err
    assert "p_gc_max_bar: 105.0 bar -> 106.0 bar" in out and "-> 108.0 bar" in out, out
    rc, out, err = rig_cmd(capsys, "set", *link, "p_gc_max_bar", "105", "p_hp_alarm_bar", "106",
                           "p_hp_ovr_bar", "106.5", "p_hp_stop_bar", "109")  # the defaults
    assert rc == 0 and "p_hp_stop_bar: 108.0 bar -> 109.0 bar" in out, err


def test_set_with_a_changed_unlock_code(capsys, link):
    rc, out, err = rig_cmd(capsys, "set", *link, "unlock_code", "48213")  # the factory code
    assert rc == 0, err
    rc, out, err = rig_cmd(capsys, "set", *link, "p_hr_max_bar", "96")
    assert rc != 0 and "opening the service unlock" in err and "exception 1" in err, err
    rc, out, err = rig_cmd(capsys, "set", *link, "--code", "48213", "p_hr_max_bar", "96")
    assert rc == 0 and out.strip().endswith("-> 96.0 bar"), err
    rc, out, err = rig_cmd(capsys, "set", *link, "--code", "48213", "unlock_code", "7321")
    assert rc == 0, err  # the factory code again, for the other tests


def test_info(capsys, link):
    rc, out, err = rig_cmd(capsys, "info", *link)
    assert rc == 0, err
    assert re.search(r"^vendor +co2hr project$", out, re.M)
    assert re.search(r"^model \(board\) +esp32_devkitc$", out, re.M)
    assert re.search(r"^register map +0x[0-9a-f]{4} matches this rig tool$", out, re.M)


# --- what goes wrong in the field: one line, non-zero exit ------------------------------

def one_line_error(capsys, *argv: str) -> str:
    rc, out, err = rig_cmd(capsys, *argv)
    assert rc == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("rig: "), err
    return err


def test_nothing_listening_on_that_tcp_port(capsys):
    err = one_line_error(capsys, "read", "--tcp", f"127.0.0.1:{free_port()}", "mode")
    assert "cannot open Modbus TCP 127.0.0.1:" in err and "refused" in err


def test_no_such_serial_port(capsys, tmp_path):
    err = one_line_error(capsys, "read", "--port", str(tmp_path / "ttyUSB9"), "mode")
    assert f"cannot open RTU port {tmp_path / 'ttyUSB9'} at 19200 baud, 8E1" in err


def test_wrong_unit_gets_no_answer(capsys, rig):
    err = one_line_error(capsys, "read", "--port", rig.pty, "--unit", "7", "--timeout", "0.3",
                         "mode")
    assert f"no answer from unit 7 on {rig.pty} at 19200 baud, 8E1" in err
    assert "after 2 tries of 0.3 s" in err and "unit address, baud and parity" in err


def test_out_of_range_refused_before_sending(capsys):
    # nothing listens on this port: the refusal cannot have come from a device
    port = free_port()
    err = one_line_error(capsys, "set", "--tcp", f"127.0.0.1:{port}", "p_gc_max_bar", "130")
    assert "p_gc_max_bar = 130 refused, not sent: allowed 60..107 bar" in err
    err = one_line_error(capsys, "set", "--tcp", f"127.0.0.1:{port}", "hpev_kp", "1.234")
    assert "resolution is 0.01 %/bar" in err
    err = one_line_error(capsys, "set", "--tcp", f"127.0.0.1:{port}", "p_gc_bar", "80")
    assert "p_gc_bar is read-only" in err


def test_unknown_name_suggests_close_matches(capsys):
    err = one_line_error(capsys, "read", "--tcp", "127.0.0.1:1", "p_gc_bars")
    assert "no register named 'p_gc_bars'" in err and "did you mean p_gc_bar" in err
    err = one_line_error(capsys, "set", "--tcp", "127.0.0.1:1", "fan_max", "50")
    assert "no register named 'fan_max'" in err


def _link(argv: list[str]) -> Link:
    import argparse

    p = argparse.ArgumentParser()
    add_link_args(p)
    return Link(p.parse_args(argv))


def test_modbus_exceptions_are_explained(rig):
    with _link(["--tcp", f"127.0.0.1:{rig.tcp_port}"]) as ln:
        with pytest.raises(FieldError, match=r"exception 2 \(illegal data address\): no such "
                           r"register on this firmware, or it is read-only"):
            ln.read_words("input", 65000, 1)  # in no register group's block
        with pytest.raises(FieldError, match=r"exception 1 \(illegal function\).*settings are "
                           r"locked"):
            ln._call("writing p_gc_max_bar", ln.client.write_register, 1, 1000)
        r = table.lookup("p_gc_max_bar")
        with pytest.raises(FieldError, match=r"exception 3 \(illegal data value\): value out of "
                           r"range"):
            ln.write(r, 2000)  # unlocked, but 200.0 bar: the device refuses it
        ln.lock()


def test_crc_error_is_reported(capsys):
    # a bus-level fake: a pty whose far end answers every request with a corrupted frame
    master, slave = os.openpty()
    import tty

    tty.setraw(slave)
    path = os.ttyname(slave)
    stop = threading.Event()

    def device():
        while not stop.is_set():
            try:
                data = os.read(master, 256)
            except OSError:
                return
            if data:
                os.write(master, bytes([data[0], 4, 2, 1, 2, 0x12, 0x34]))

    t = threading.Thread(target=device, daemon=True)
    t.start()
    try:
        err = one_line_error(capsys, "read", "--port", path, "--timeout", "0.3",
                             "--retries", "0", "p_gc_bar")
    finally:
        stop.set()
        os.close(slave)
        os.close(master)
        t.join(timeout=2)
    assert "CRC error" in err and "wrong baud or parity" in err


def test_decoding_comes_from_the_firmware_table():
    from co2hr.modbus import registers as R

    # every register of the firmware's table (but the FC3 mirror) is reachable by label
    rows = [r for r in R.rows() if not (r[0] == "holding" and r[1] >= R.MIRROR_BASE)]
    got = {(r.table, r.addr) for r in table.REGS}
    assert got == {(r[0], r[1]) for r in rows}
    assert all(table.BY_NAME[r.label] is r for r in table.REGS)
    # an invalid input signal reads 0x8000 and is shown as such, not as -3276.8 degC
    t = table.lookup("t_amb_c")
    v = codec.decode(t, [R.INVALID])
    assert codec.fmt_value(t, v).startswith("INVALID")
    assert codec.fmt_value(table.lookup("mode"), 3.0) == "3 (Heat recovery)"
    word = codec.fmt_value(table.lookup("alarm_word_0"), 1.0)
    assert word.startswith("0x0001") and "Gas cooler pressure high" in word
