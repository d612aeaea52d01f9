"""rig deploy on a board whose watchdog runs (fakeboard.py: a board at the far end of
mpremote, its clock moved by every command as long as it takes on the line).

The plan rig deploy used before the maintenance boot (one session: clean, copy, reset)
is reset by the watchdog in the middle of the copy and leaves a board whose main.py
has no package. The plan of rig.deploy.session never copies while the rig runs, and
cut by a power loss at any point (before and after every command, inside every file
and every ROMFS block), it leaves a board that boots into maintenance or into a whole,
verified package; run again, it always finishes. The boot decision is the board's own
(firmware/bootsel.py), under CPython for the simulation and again inside MicroPython on
every final state.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import fakeboard as fb
import pytest

import rig.fw as fw
from rig.deploy.build import build
from rig.deploy.mpy import romfs_image
from rig.deploy.session import (
    BOARD_MANIFEST,
    MARKER,
    Deploy,
    Layout,
    copy_steps,
    enter_step,
)
from rig.targets.vm import MicroPythonVM

BOARD_FILE = fw.BOARDS_DIR / "rp2040_pico.json"
PORT = "/dev/ttyACM0"
ROMFS_SIZE = 192 * 1024


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """The new build and an older one (one module differs), for rp2040, and each
    layout's releases: new, older, older without the maintenance boot."""
    root = tmp_path_factory.mktemp("builds")
    new = build(root / "new", ("rp2040",))[0]
    old = root / "old" / "rp2040"
    shutil.copytree(new.out, old)
    app = old / "co2hr" / "app.mpy"
    app.write_bytes(app.read_bytes() + b"\x00")  # the previous release
    romfs_image(old / "co2hr", old / "co2hr.romfs")
    rels = {romfs: [_release(new.out, romfs), _release(old, romfs),
                    _release(old, romfs, main=fb.OLD_MAIN, manifest=False)]
            for romfs in (False, True)}
    return new, old, rels


def _release(mcu_dir: Path, romfs: bool, main: bytes | None = None,
             manifest: bool = True) -> fb.Release:
    lay = Layout(mcu_dir, BOARD_FILE, romfs)
    files = {"main.py": main or (mcu_dir / "main.py").read_bytes(),
             "board.json": BOARD_FILE.read_bytes()}
    if main is None:  # a release before the maintenance boot had no bootsel.py
        files["bootsel.py"] = (mcu_dir / "bootsel.py").read_bytes()
    if not romfs:
        for rel in lay.package():
            files[rel] = (mcu_dir / rel).read_bytes()
    if manifest:
        files[BOARD_MANIFEST] = lay.manifest_text().encode()
    return fb.Release(files, (mcu_dir / "co2hr.romfs").read_bytes() if romfs else None,
                      mcu_dir / "co2hr")


# the board before the deploy: what runs on it
BEFORE = ("running an older release", "running a release without the maintenance boot",
          "new (MicroPython only)")


def _board(tmp: Path, builds, romfs: bool, before: str) -> tuple[fb.FakeBoard, list]:
    rels = builds[2][romfs]
    board = fb.FakeBoard(tmp, ROMFS_SIZE if romfs else None, releases=rels)
    if before == BEFORE[0]:
        board.install(rels[1])
    elif before == BEFORE[1]:
        board.install(rels[2])
    else:
        board.power_on(0.0)
    board.now += 30.0  # the rig has been running for a while
    return board, rels


def _deploy(board: fb.FakeBoard, new, romfs: bool, lines: list | None = None) -> int:
    lay = Layout(new.out, BOARD_FILE, romfs)
    say = lines.append if lines is not None else (lambda s: None)
    return Deploy(PORT, lay, new.romfs_size, lambda st: board.session(st.argv), say)(
        ask_romfs=romfs)


def old_plan(mcu_dir: Path, romfs: bool) -> list[str]:
    """The mpremote session rig deploy ran before the maintenance boot."""
    clean = ("import os\ndef _rm(p):\n    try:\n        st = os.stat(p)\n    except OSError:\n"
             "        return\n    if st[0] & 0x4000:\n        for n in os.listdir(p):\n"
             "            _rm(p + '/' + n)\n        os.rmdir(p)\n    else:\n"
             "        os.remove(p)\n_rm('co2hr')\n_rm('hil.flag')\n")
    code = (["romfs", "deploy", str(mcu_dir / "co2hr.romfs")] if romfs
            else ["fs", "cp", "-r", str(mcu_dir / "co2hr"), ":"])
    return ["connect", PORT, "exec", clean, "+", *code, "+", "fs", "cp",
            str(mcu_dir / "main.py"), ":main.py", "+", "fs", "cp", str(BOARD_FILE),
            ":board.json", "+", "reset"]


@pytest.mark.parametrize("romfs", [False, True], ids=["fs", "romfs"])
def test_the_old_plan_is_reset_mid_copy_and_leaves_main_py_without_its_package(
        tmp_path, builds, romfs):
    board, rels = _board(tmp_path, builds, romfs, BEFORE[1])
    assert board.boot.mode == "rig"
    rc, out = board.session(old_plan(builds[0].out, romfs))
    assert rc != 0 and "watchdog reset" in out
    assert board.wdt_resets == 1
    assert board.boot.mode == "repl" and "package is not all there" in board.boot.why
    assert fb.complete_release(board) is None
    assert board.files()["main.py"] == fb.OLD_MAIN  # reset before main.py was copied


@pytest.mark.parametrize("romfs", [False, True], ids=["fs", "romfs"])
@pytest.mark.parametrize("before", BEFORE)
def test_the_new_plan_deploys_a_running_board(tmp_path, builds, romfs, before):
    board, rels = _board(tmp_path, builds, romfs, before)
    t0 = board.now
    lines: list[str] = []
    assert _deploy(board, builds[0], romfs, lines) == 0, "\n".join(lines)
    assert board.wdt_resets == 0
    assert board.boot.mode == "rig" and fb.complete_release(board) is rels[0]
    assert MARKER not in board.files()
    assert "rig deploy: done" in lines[-1]
    # the one session that may run under the watchdog is short: connect to reset
    enter = [t for t, what in board.log if what.startswith("boot: maintenance")][0]
    assert enter - t0 < fb.WDT_S / 2


def _cut_points(tmp: Path, builds, romfs: bool, before: str) -> list[float]:
    """Moments to cut the power, from an uncut run on a board in the same state: just
    after the end of every command, file and ROMFS block (the next one begun), and
    halfway through the next (a file or a block half written)."""
    board, _ = _board(tmp / "dry", builds, romfs, before)
    t0 = board.now
    assert _deploy(board, builds[0], romfs) == 0
    marks = sorted({t0, *board.cmd_marks})
    pts = []
    for a, b in zip(marks, marks[1:], strict=False):
        pts += [a + 1e-4, (a + b) / 2]
    shutil.rmtree(tmp / "dry")
    return pts


@pytest.fixture
def scratch(tmp_path):
    """Where the many fake boards of a test live: in RAM where the system has a tmpfs
    (a board's files are written and removed hundreds of times)."""
    shm = Path("/dev/shm")
    if not shm.is_dir():
        yield tmp_path
        return
    d = Path(tempfile.mkdtemp(prefix="fakeboards-", dir=shm))
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def _state_key(board: fb.FakeBoard) -> str:
    h = hashlib.sha256()
    for name, data in board.files().items():
        h.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    if board.partition is not None:
        h.update(hashlib.sha256(bytes(board.partition)).digest())
    return h.hexdigest()


# The boot decision of each board state, inside MicroPython: bootsel.py's decide() with
# the state's files as the current folder and its partition mounted at /rom.
_ORACLE = """
import os, sys, vfs


def run(names):
    for name in names:
        os.chdir('/fw/' + name)
        try:
            vfs.umount('/rom')
        except OSError:
            pass
        try:
            f = open('romfs.bin', 'rb')
            img = f.read()
            f.close()
            os.remove('romfs.bin')
            vfs.mount(vfs.VfsRom(img), '/rom')
        except OSError:
            pass
        sys.modules.pop('bootsel', None)
        if '/fw/' + name not in sys.path:
            sys.path.insert(0, '/fw/' + name)
        try:
            import bootsel
            d = bootsel.decide()
            print('D %s %d %d' % (name, d[0], 1 if d[2] else 0))
        except Exception as e:
            print('D %s error %r' % (name, e))
        sys.path.remove('/fw/' + name)
    print('END')
"""


def _decide_in_micropython(root: Path, names: list[str]) -> dict[str, tuple[str, str]]:
    (root / "_oracle.py").write_text(_ORACLE)
    code = "import sys\nsys.path.insert(0, '/fw')\nimport _oracle\n_oracle.run(%r)\n" % names
    vm = MicroPythonVM(root, code)
    out = {}
    try:
        while True:
            ln = vm.readline(120).decode()
            if ln == "END":
                break
            if ln.startswith("D "):
                w = ln.split(" ", 3)
                out[w[1]] = (w[2], w[3] if len(w) > 3 else "")
    finally:
        vm.close()
    return out


MAINT = {"maintenance", "maintenance-bare"}


@pytest.mark.parametrize("romfs", [False, True], ids=["fs", "romfs"])
@pytest.mark.parametrize("before", BEFORE)
def test_every_interruption_lands_in_maintenance_or_a_whole_package(
        tmp_path, scratch, builds, romfs, before):
    new = builds[0]
    pts = _cut_points(scratch, builds, romfs, before)
    assert len(pts) > (60 if romfs else 90)
    if before != BEFORE[0]:
        pts = pts[:20]  # only the first steps find anything the older release does not
    states: dict[str, tuple[str, str]] = {}  # state -> (CPython boot mode, snapshot)
    seen_modes = set()
    for k, cut in enumerate(pts):
        board, rels = _board(scratch / f"b{k}", builds, romfs, before)
        board.cut_at = cut
        rc = _deploy(board, new, romfs)
        assert board.wdt_resets == 0, (cut, board.log)
        if rc == 0:  # the cut came after the last reset
            assert board.cuts == 1 and board.boot.mode == "rig"
        mode = board.boot.mode
        seen_modes.add(mode)
        whole = fb.complete_release(board)
        if mode in ("rig", "hil"):
            assert whole is not None, (cut, board.log)  # the new one, or the old one
            assert whole is rels[0] or whole.package() == rels[1].package(), cut
        elif mode == "none" and before == BEFORE[2]:
            pass  # a new board cut before main.py was in place: plain MicroPython still
        else:
            assert mode in MAINT, (cut, mode, board.boot.why, board.log)
        key = _state_key(board)
        if key not in states and mode != "repl" and board.files().get("main.py") == fb.MAIN:
            name = f"s{len(states)}"
            board.snapshot(tmp_path / "states" / name)
            states[key] = (mode, name)
        # whatever the cut left, deploying again finishes with the new firmware
        board.cut_at = None
        board.now += 5.0
        assert _deploy(board, new, romfs) == 0, (cut, board.log)
        assert board.boot.mode == "rig" and fb.complete_release(board) is rels[0]
        shutil.rmtree(scratch / f"b{k}")
    assert "maintenance-bare" in seen_modes  # and the other end:
    assert "rig" in seen_modes or before != BEFORE[0]
    # the same decisions inside MicroPython, on every distinct state the cuts left
    verdict = _decide_in_micropython(tmp_path / "states", [n for _, n in states.values()])
    code = {"rig": "0"}
    for mode, name in states.values():
        got, extra = verdict[name]
        assert got != "error", (name, extra)
        if mode in MAINT:
            assert got in ("1", "3"), (name, mode, got)  # deploy, or an unverified package
            assert extra == ("1" if mode == "maintenance" else "0"), (name, mode, extra)
        else:
            assert got == code[mode], (name, mode, got)


def test_a_copy_that_does_not_verify_leaves_the_board_in_maintenance(tmp_path, builds):
    board, rels = _board(tmp_path, builds, False, BEFORE[0])
    real = board._copy

    def corrupting(data, dest):  # the line garbles one byte of one module
        if dest.endswith("co2hr/pi.mpy"):
            data = data[:100] + bytes([data[100] ^ 0x10]) + data[101:]
        real(data, dest)

    board._copy = corrupting  # type: ignore[method-assign]
    lines: list[str] = []
    assert _deploy(board, builds[0], False, lines) == 1
    assert [ln for ln in lines if "verify: co2hr/pi.mpy:" in ln]
    assert "stays in maintenance" in lines[-1]
    assert MARKER in board.files()
    board.power_on(board.now + 1)
    assert board.boot.mode == "maintenance-bare" and "co2hr/pi.mpy differs" in board.boot.why
    board._copy = real  # type: ignore[method-assign]
    assert _deploy(board, builds[0], False) == 0 and board.boot.mode == "rig"


def test_a_board_without_romfs_gets_the_filesystem_copy(tmp_path, builds):
    new = builds[0]
    board, rels = _board(tmp_path, builds, False, BEFORE[0])  # no ROMFS partition
    lines: list[str] = []
    assert _deploy(board, new, True, lines) == 0
    assert [ln for ln in lines if "ROMFS is not enabled" in ln and "filesystem instead" in ln]
    assert fb.complete_release(board) is rels[0]


def test_the_plan_order(tmp_path, builds):
    new = builds[0]
    enter = enter_step(PORT, new.out).argv
    cmds = fb._split(list(enter))
    assert cmds[0] == ["connect", PORT] and cmds[1] == ["resume"]
    assert cmds[2][0] == "exec" and MARKER in cmds[2][1]  # the marker first,
    assert cmds[3] == ["fs", "cp", str(new.out / "bootsel.py"), ":bootsel.new"]  # aside,
    assert cmds[4][0] == "exec" and "os.rename('bootsel.new', 'bootsel.py')" in cmds[4][1]
    assert cmds[5] == ["fs", "cp", str(new.out / "main.py"), ":main.new"]  # then main.py
    assert cmds[6][0] == "exec" and "os.rename('main.new', 'main.py')" in cmds[6][1]
    assert cmds[7] == ["reset"] and len(cmds) == 8  # renamed over, reset: nothing else
    for romfs in (False, True):
        lay = Layout(new.out, BOARD_FILE, romfs, hil=True, site_file=BOARD_FILE)
        copy, verify, finish = copy_steps(PORT, lay, tmp_path / BOARD_MANIFEST)
        c = fb._split(list(copy.argv))[2:]
        assert "os.stat('maint.flag')" in c[0][1]  # refused unless in maintenance
        assert c[1][0] == "exec" and "('deploy.sha256', 'co2hr', 'hil.flag')" in c[1][1]
        assert c[2][:2] == (["romfs", "deploy"] if romfs else ["fs", "cp"])
        assert c[3][-1] == ":board.json" and c[4][-1] == ":site.json"
        assert "hil.flag" in c[5][1]
        assert c[-1] == ["fs", "cp", str(tmp_path / BOARD_MANIFEST), ":deploy.sha256"]
        assert verify.capture and "sha256" in verify.argv[-1]
        f = fb._split(list(finish.argv))[2:]
        assert "('crash.txt', 'maint.flag')" in f[0][1] and f[1] == ["reset"]


def test_manifest_on_the_board_lists_the_package_and_board_file(builds):
    new = builds[0]
    for romfs in (False, True):
        text = Layout(new.out, BOARD_FILE, romfs).manifest_text()
        lines = text.splitlines()
        assert lines[-1] == f"end {len(lines) - 1}"
        names = [ln.split()[2] for ln in lines[:-1]]
        assert names[0] == "board.json" and not {"main.py", "bootsel.py"} & set(names)
        pre = "/rom/co2hr/" if romfs else "co2hr/"
        assert all(n.startswith(pre) for n in names[1:]) and len(names) > 40
        app = next(ln for ln in lines if ln.endswith("co2hr/app.mpy")).split()
        data = (new.out / "co2hr" / "app.mpy").read_bytes()
        assert app[:2] == [hashlib.sha256(data).hexdigest(), str(len(data))]


def test_rig_deploy_site_file(tmp_path, capsys):
    from rig.cli import main as rig_main

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"net": "wlan", "ssid": "Plantroom", "key": "short"}))
    assert rig_main(["deploy", "--port", "/dev/null", "--board", "esp32_devkitc",
                     "--site", str(bad), "--out", str(tmp_path), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "site file refused" in err and "key: a WPA passphrase has 8..63" in err
    lan = tmp_path / "lan.json"
    lan.write_text(json.dumps({"net": "lan"}))
    assert rig_main(["deploy", "--port", "/dev/null", "--board", "esp32_devkitc",
                     "--site", str(lan), "--out", str(tmp_path), "--dry-run"]) == 2
    assert "no lan interface" in capsys.readouterr().err
    good = tmp_path / "site.json"
    good.write_text(json.dumps({"net": "wlan", "ssid": "Plantroom", "key": "secret-key"}))
    assert rig_main(["deploy", "--port", "/dev/null", "--board", "esp32_devkitc",
                     "--site", str(good), "--out", str(tmp_path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"fs cp {good} :site.json" in out
    assert rig_main(["deploy", "--port", "/dev/null", "--board", "rp2040_pico",
                     "--site", str(good), "--out", str(tmp_path), "--dry-run"]) == 2
    assert "no wlan interface (board file: none)" in capsys.readouterr().err
