"""`rig build` is reproducible (two builds byte-identical), targets the right
architectures, and `rig deploy` plans its mpremote sessions for either layout and
refuses bad boards (the plan on a board: test_deploy_watchdog.py)."""

import json
from pathlib import Path

from rig.cli import main as rig_main
from rig.deploy.build import ARCH, build
from rig.deploy.session import Layout, copy_steps, enter_step, romfs_choice


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_two_builds_are_byte_identical(tmp_path):
    a = build(tmp_path / "a")
    b = build(tmp_path / "b")
    assert [i.mcu for i in a] == list(ARCH)
    for ia, ib in zip(a, b, strict=True):
        ta, tb = _tree(ia.out), _tree(ib.out)
        assert ta == tb, f"{ia.mcu}: builds differ"
        assert ia.size == ib.size > 10_000
        assert "co2hr/hw/board_io.mpy" in ta and "main.py" in ta and "bootsel.py" in ta
        assert not [n for n in ta if n.endswith(".py") and n not in ("main.py", "bootsel.py")]
        assert not [n for n in ta if "tests" in n]
        # .mpy v6 header. Bytecode-only modules carry no arch (byte 2 = 0) and run on
        # both MCUs; -march matters once a module uses @micropython.native/viper.
        head = ta["co2hr/app.mpy"][:4]
        assert head[0:2] == b"M\x06" and head[2] >> 2 in (0, {"esp32": 9, "rp2040": 2}[ia.mcu])


def test_rig_build_reports_size_per_target(tmp_path, capsys):
    assert rig_main(["build", "--out", str(tmp_path), "--mcu", "rp2040"]) == 0
    out = capsys.readouterr().out
    assert "build rp2040 (armv6m): " in out and " B in " in out
    assert (tmp_path / "rp2040" / "MANIFEST.txt").exists()


def _copy_argv(tmp_path, romfs, hil=False):
    lay = Layout(tmp_path, Path("boards/rp2040_pico.json"), romfs, hil=hil)
    return copy_steps("/dev/ttyACM0", lay, tmp_path / "deploy.sha256")[0].argv


def test_deploy_copy_session_for_the_filesystem(tmp_path):
    (tmp_path / "co2hr").mkdir()
    (tmp_path / "main.py").write_text("")
    (tmp_path / "bootsel.py").write_text("")
    argv = _copy_argv(tmp_path, romfs=False, hil=True)
    assert argv[:3] == ("connect", "/dev/ttyACM0", "resume")
    joined = " ".join(argv)
    assert "fs cp -r " + str(tmp_path / "co2hr") + " :" in joined
    assert "romfs" not in joined
    assert ":board.json" in joined and ":deploy.sha256" in joined
    assert [a for a in argv if "open('hil.flag', 'w')" in a]
    assert not [a for a in _copy_argv(tmp_path, romfs=False) if "open('hil.flag'" in a]
    enter = enter_step("COM3", tmp_path).argv
    assert ":main.new" in enter and enter[-1] == "reset"


def test_deploy_dry_run_and_bad_board(tmp_path, capsys):
    assert rig_main(["deploy", "--port", "/dev/null", "--board", "esp32_devkitc",
                     "--out", str(tmp_path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "build esp32 (xtensawin)" in out and "-m mpremote connect /dev/null resume" in out
    steps = [ln.split(":")[0] for ln in out.splitlines() if ln.startswith("# ") and ". " in ln]
    assert steps == ["# 1. enter", "# 2. query", "# 3. copy", "# 4. verify", "# 5. finish"]
    assert "romfs query" in out and "romfs deploy" in out and "fs cp -r" not in out
    assert rig_main(["deploy", "--port", "/dev/null", "--board", "esp32_devkitc",
                     "--out", str(tmp_path), "--dry-run", "--fs"]) == 0
    out = capsys.readouterr().out
    assert "romfs" not in out and "fs cp -r" in out
    bad = json.loads(Path("boards/esp32_devkitc.json").read_text())
    bad["outputs"]["fan_pct"]["pin"] = 36
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(bad))
    assert rig_main(["deploy", "--port", "/dev/null", "--board", str(p), "--dry-run"]) == 2
    assert "input-only" in capsys.readouterr().err


def test_build_packs_a_romfs_image_of_the_package(tmp_path):
    from mpremote.romfs import VfsRomWriter

    info = build(tmp_path, ("esp32",))[0]
    image = (info.out / "co2hr.romfs").read_bytes()
    assert image.startswith(VfsRomWriter.ROMFS_HEADER)
    # every module's bytecode is in the image, byte for byte
    for mpy in (info.out / "co2hr").rglob("*.mpy"):
        assert mpy.read_bytes() in image, mpy.name
    assert b"main.py" not in image and b"MANIFEST" not in image


def test_deploy_writes_the_romfs_image_by_default(tmp_path):
    (tmp_path / "co2hr").mkdir()
    (tmp_path / "main.py").write_text("")
    (tmp_path / "bootsel.py").write_text("")
    (tmp_path / "co2hr.romfs").write_bytes(b"image")
    joined = " ".join(_copy_argv(tmp_path, romfs=True))
    assert "romfs deploy " + str(tmp_path / "co2hr.romfs") in joined
    assert "fs cp -r" not in joined
    assert ":board.json" in joined


def test_romfs_choice_from_the_boards_answer():
    # the lines `mpremote romfs query` prints (mpremote.commands._do_romfs_query)
    ok = ("ROMFS0 partition has size 131072 bytes (32 blocks of 4096 bytes each)\n"
          "  Raw contents: d2:cd:31:... \n  Not a valid ROMFS\n")
    assert romfs_choice(ok, 66_800) == (True, "")
    small = ok.replace("131072", "65536")
    use, why = romfs_choice(small, 66_800)
    assert not use and "65,536 B" in why and "66,800 B" in why
    assert romfs_choice("ROMFS is not enabled on this device\n", 66_800) == (
        False, "ROMFS is not enabled on this device")
    assert romfs_choice("No ROMFS partitions available\n", 1)[0] is False
    assert romfs_choice("", 1) == (False, "no ROMFS partition on the board")
