"""A board's boot as main.py runs it (bootsel.py's choice, then co2hr/start.py) on
BoardHardware (CPython; `machine` is the bus-level fake of hwfakes.py, `time` a test
clock with MicroPython's ticks API):
a rig that fails while running drives its outputs safe, counts the failure in
crash.txt and resets; three failures in a row boot into maintenance; a healthy run
clears the count; a rig that cannot start goes to maintenance (its first hardware
stopped) and says why on the console; Ctrl-C leaves the outputs safe. The boot
decision itself, on every state a deploy can leave: host/tests/deploy."""

import gc
import hashlib
import json
import shutil
import sys
import traceback

import pytest
from hwfakes import BOARD, Clock, FakeTimer, rig_machine

import rig.fw as fw
from co2hr.io import OUTPUTS, SAFE_OUTPUTS


class FakeTime:
    """time as MicroPython has it, on a test clock that moves step_us per ticks_ms()
    call; sleep() is the technician's Ctrl-C at the console."""

    def __init__(self, clk, step_us=500, interrupt_after=None):
        self.clk = clk
        self.step_us = step_us
        self.calls = 0
        self.interrupt_after = interrupt_after
        self.on_ms = None  # called with the time at every ticks_ms()

    def ticks_ms(self):
        self.calls += 1
        if self.calls == self.interrupt_after:  # one Ctrl-C
            raise KeyboardInterrupt
        self.clk.t_us += self.step_us
        if self.on_ms is not None:
            self.on_ms(self.clk.t)
        return self.clk()

    def ticks_us(self):
        return self.clk.us()

    def sleep(self, s):
        raise KeyboardInterrupt


class Board:
    """main.py run as on the board, from the board's folder; bootsel imported afresh."""

    def __init__(self, d):
        self.d = d
        self.main = (fw.FIRMWARE_DIR / "main.py").read_text()

    def boot(self):
        sys.modules.pop("bootsel", None)
        exec(compile(self.main, "main.py", "exec"), {"__name__": "__main__"})

    @property
    def sel(self):
        sys.modules.pop("bootsel", None)
        import bootsel

        return bootsel


@pytest.fixture
def board(tmp_path, monkeypatch):
    """A board folder with bootsel.py, board.json and its deploy.sha256, a fake
    machine and clock in place of MicroPython's; returns (Board, machine, time)."""
    monkeypatch.chdir(tmp_path)
    shutil.copy(fw.FIRMWARE_DIR / "bootsel.py", tmp_path / "bootsel.py")
    # bootsel comes from the board's folder only (co2hr is imported already; its
    # submodules are found through the package, not sys.path)
    monkeypatch.setattr(sys, "path", [str(tmp_path)] + [
        p for p in sys.path if p != str(fw.FIRMWARE_DIR)])
    monkeypatch.delitem(sys.modules, "bootsel", raising=False)
    clk = Clock(0)
    m = rig_machine(clock=clk)
    t = FakeTime(clk)
    monkeypatch.setitem(sys.modules, "machine", m)
    monkeypatch.setitem(sys.modules, "time", t)
    monkeypatch.setattr(gc, "collect", lambda: 0)  # CPython's full collection: ~50 ms
    monkeypatch.setattr(sys, "print_exception", lambda e, f=sys.stdout: traceback.print_exception(
        type(e), e, e.__traceback__, file=f), raising=False)
    write_board(tmp_path, json.dumps(BOARD))
    (tmp_path / "flash").mkdir()
    return Board(tmp_path), m, t


def write_board(d, text):
    (d / "board.json").write_text(text)
    data = text.encode()
    (d / "deploy.sha256").write_text(
        "%s %d board.json\nend 1\n" % (hashlib.sha256(data).hexdigest(), len(data)))


def _outputs_safe(m):
    for name in ("bev_pct", "hr_valve_pct", "fan_pct", "hr_pump_pct"):
        want = SAFE_OUTPUTS[OUTPUTS.index(name)]
        assert abs(m.pwms[BOARD["outputs"][name]["pin"]].duty * 100 / 65535 - want) < 0.01
    for name in ("gc_bypass", "comp_enable", "alarm_relay"):
        want = int(SAFE_OUTPUTS[OUTPUTS.index(name)])
        assert m.pins[BOARD["outputs"][name]["pin"]].level == want, name


def _break_at(t, m, ms):
    """A digital input's driver starts returning garbage at ms: the next tick raises."""
    def at(now):
        if now >= ms:
            m.pins[BOARD["inputs"]["hp_ok"]["pin"]].level = None
    t.on_ms = at


def test_a_failure_in_the_running_loop_is_counted_and_resets(board, tmp_path):
    b, m, t = board
    sel = b.sel
    assert sel.decide() == (sel.RUN, "", True)
    _break_at(t, m, 3500)
    b.boot()
    assert m.resets == 1 and m.wdts  # it had ticked: the watchdog was running
    _outputs_safe(m)
    text = (tmp_path / "crash.txt").read_text()
    assert text.startswith("1\n") and "TypeError" in text
    from co2hr import start

    for n in (2, 3):
        held = []
        start._start(held)
        start.crashed(held[0], TypeError("again"), b.sel.crash_count())
        assert (tmp_path / "crash.txt").read_text().startswith("%d\n" % n)
    mode, why, ok = b.sel.decide()
    assert mode == sel.CRASHED and ok and "3 runs in a row" in why
    assert sel.CRASH_LIMIT == 3


def test_a_healthy_run_clears_the_count(board, tmp_path):
    b, m, t = board
    (tmp_path / "crash.txt").write_text("2\nTypeError\n")
    assert b.sel.decide()[0] == 0
    t.step_us = 100000  # ten minutes of the loop, a clock read every 100 ms
    _break_at(t, m, 605 * 1000)
    b.boot()
    assert (tmp_path / "crash.txt").read_text().startswith("1\n")  # cleared, then one


def test_a_rig_that_cannot_start_goes_to_maintenance(board, tmp_path, capsys):
    b, m, t = board
    bad = dict(BOARD)
    bad["uart"] = {"id": 2, "rx": 36, "de": 4}  # no tx: the RS-485 port cannot be made
    write_board(tmp_path, json.dumps(bad))
    assert b.sel.decide()[0] == 0
    n = len(FakeTimer.made)
    with pytest.raises(KeyboardInterrupt):  # the console loop, left with Ctrl-C
        b.boot()
    out = capsys.readouterr().out
    assert "co2hr MAINTENANCE (boot mode 3): starting the rig failed: KeyError('tx')" in out
    assert "maintenance with the package failed" in out and "NOT driven" in out
    assert not m.wdts and m.resets == 0
    assert len(FakeTimer.made) == n + 1 and not FakeTimer.made[-1].running  # stopped


def test_a_board_file_that_is_not_json(board, tmp_path, capsys):
    b, m, t = board
    write_board(tmp_path, "{broken")
    with pytest.raises(KeyboardInterrupt):
        b.boot()
    assert "MAINTENANCE (boot mode 3): starting the rig failed" in capsys.readouterr().out
    assert not m.wdts


def test_an_unverified_package_never_imports_it(board, tmp_path, capsys):
    b, m, t = board
    (tmp_path / "board.json").write_text(json.dumps(BOARD) + " ")  # changed after deploy
    sel = b.sel
    mode, why, ok = sel.decide()
    assert mode == sel.START_FAILED and not ok and "board.json differs" in why
    for name in list(sys.modules):
        if name.startswith("co2hr.hw"):
            sys.modules.pop(name)
    with pytest.raises(KeyboardInterrupt):
        b.boot()
    assert "co2hr.hw.board_io" not in sys.modules
    assert "does not verify" in capsys.readouterr().out and not m.pins


def test_ctrl_c_leaves_the_outputs_safe(board):
    b, m, t = board
    t.interrupt_after = 20000
    with pytest.raises(KeyboardInterrupt):
        b.boot()
    _outputs_safe(m)
    assert m.resets == 0


def test_a_missing_bootsel_runs_nothing(board, tmp_path, capsys):
    b, m, t = board
    (tmp_path / "bootsel.py").unlink()
    b.boot()  # main.py ends: the REPL, nothing started
    assert "bootsel.py is missing or broken" in capsys.readouterr().out
    assert not m.pins and not m.wdts


def test_the_assembly_is_dropped_once_the_rig_is_built(board):
    from co2hr import start

    held = []
    app = start._start(held)
    assert "co2hr.boot" not in sys.modules and app.hw is held[0]
    assert app.modbus is not None and app.store is not None
    held = []
    assert start._start(held).hw is held[0]  # a second build (a HIL reset) imports it again
    assert "co2hr.boot" not in sys.modules
