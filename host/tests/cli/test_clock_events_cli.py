"""`rig clock` and `rig events` as a technician runs them, over Modbus TCP (pymodbus)
through rig.targets.modbus_bridge to the firmware in the real MicroPython interpreter
(mpy) and on sil: the clock set from the host is kept across a reboot of the target,
and after the reboot `rig events` lists the last entries - the settings written before
it with their source, the boot after it, the clock the board RTC kept - in words and as
CSV."""

from __future__ import annotations

import csv
import io
import threading
import time

import pytest

from co2hr.io import INPUTS
from rig.boards import load_board
from rig.cli import main
from rig.hil.terminals import terminal_value
from rig.targets import open_target
from rig.targets.modbus_bridge import ModbusBridge

ENG = {"p_gc_bar": 90.0, "p_rec_bar": 35.0, "p_suc_bar": 28.0, "t_gc_out_c": 33.0,
       "t_amb_c": 25.0, "t_disch_c": 100.0, "t_w_in_c": 30.0, "t_w_out_c": 45.0, "t_tank_c": 45.0,
       "demand_v": 0.0, "comp_run": 1, "hp_ok": 1, "ext_enable": 1, "energy_pulses": 0,
       "heat_pulses": 0, "fan_ok": 1}
SPEED = 10  # board seconds per wall second: the log's appends come within 0.2 s


class Bridged:
    """A target behind a Modbus TCP bridge; one thread pumps Modbus and steps the
    firmware's loop (the target is used from that thread only while it runs)."""

    def __init__(self, name: str):
        self.board = load_board("esp32_devkitc")
        self.raw = [terminal_value(self.board["inputs"][n], ENG[n])
            if n in self.board["inputs"] else 0.0 for n in INPUTS]
        self.ok = [1] * len(INPUTS)
        self.target = open_target(name, self.board)
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self.start()

    def start(self) -> None:
        self.bridge = ModbusBridge(self.target, tcp_port=0, rtu=False)
        self.stop = threading.Event()
        self.t0 = time.monotonic()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        time.sleep(0.3)

    def _run(self) -> None:
        next_ms = 0
        try:
            while not self.stop.is_set():
                moved = self.bridge.pump()
                board_ms = int((time.monotonic() - self.t0) * 1000 * SPEED)
                if board_ms >= next_ms:
                    self.target.step(next_ms, self.raw, self.ok)
                    next_ms += 1000
                if not moved:
                    time.sleep(0.0005)
        except BaseException as e:  # surface it in the test
            self.error = e

    def halt(self) -> None:
        self.stop.set()
        assert self.thread is not None
        self.thread.join(10)
        self.bridge.close()
        assert self.error is None, repr(self.error)

    def rig(self, capsys, *args: str) -> str:
        rc = main([*args, "--tcp", f"127.0.0.1:{self.bridge.tcp_port}", "--timeout", "3"])
        out = capsys.readouterr()
        assert rc == 0, out.err
        return out.out


@pytest.fixture(params=["mpy", "sil"])
def bridged(request):
    b = Bridged(request.param)
    yield b
    if not b.stop.is_set():
        b.halt()
    b.target.close()


def test_clock_set_from_host_kept_across_a_reboot_and_events_after_it(bridged, capsys):
    out = bridged.rig(capsys, "clock")
    assert "NOT SET" in out
    out = bridged.rig(capsys, "clock", "--set-from-host")
    assert "clock set to" in out and "set by            Modbus" in out
    off = float(out.rsplit("the controller is ", 1)[1].split(" s off")[0])
    assert abs(off) <= 2.0, out
    t_set = time.monotonic()
    bridged.rig(capsys, "set", "p_rec_sp_bar", "36.5")
    bridged.rig(capsys, "set", "t_w_out_sp_c", "55")
    time.sleep(0.6)  # > FLUSH_WITHIN_MS of board time: the entries are on flash
    bridged.halt()
    bridged.target.reboot()  # the RAM is gone; flash/ and the board RTC are kept
    bridged.start()
    time.sleep(0.4)
    out = bridged.rig(capsys, "clock")
    ran_s = time.monotonic() - t_set  # the board's time runs SPEED times the host's
    assert "set by            the board RTC" in out, out
    off = float(out.rsplit("the controller is ", 1)[1].split(" s off")[0])
    assert -2.0 <= off <= (SPEED - 1) * ran_s + 2.0, out
    out = bridged.rig(capsys, "events", "--last", "12")
    lines = out.strip().splitlines()
    assert lines[-1].endswith("entries from seq %s" % lines[0].split()[0]), out
    text = "\n".join(lines)
    assert "setting p_rec_sp_bar: 35.0 bar -> 36.5 bar [TCP]" in text
    assert "setting t_w_out_sp_c: 60.0 degC -> 55.0 degC [TCP]" in text
    assert "clock set by Modbus" in text and "service unlock opened" in text
    i_boot2 = next(k for k, ln in enumerate(lines) if "  boot 2 (" in ln)
    i_set = next(k for k, ln in enumerate(lines) if "t_w_out_sp_c" in ln)
    assert i_boot2 > i_set  # the reboot's entry after the settings written before it
    assert "clock set by the board RTC" in "\n".join(lines[i_boot2:])
    assert "  ~20" in lines[i_boot2] and "Z " in lines[i_boot2 + 1]  # dated by the RTC set
    rows = list(csv.reader(io.StringIO(bridged.rig(capsys, "events", "--csv"))))
    assert rows[0] == ["seq", "time", "boot", "kind", "source", "merged", "key", "a", "b",
                       "text"]
    kinds = [r[3] for r in rows[1:]]
    assert kinds[0] == "boot" and kinds.count("boot") == 2 and "setting" in kinds
    seqs = [int(r[0]) for r in rows[1:]]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    since = bridged.rig(capsys, "events", "--since", str(seqs[-2]))
    assert since.strip().splitlines()[-1] == f"2 entries from seq {seqs[-2]}"
