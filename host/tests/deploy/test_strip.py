"""The board build leaves out what the board never uses (rig.deploy.strip): each marker
on a small module; on the firmware, the compiled modules without the host-only names
and code, the build-time regmap_id equal to the one computed from the full map, inside
MicroPython. That the stripped firmware still serves every register as the host decodes
it is what the mpy target's scenarios check (they run this build over Modbus)."""

import ast

import pytest

import rig.fw as fw
from rig.deploy.consts import module_name
from rig.deploy.mpy import compile_tree
from rig.deploy.strip import StripError, strip
from rig.targets.vm import MicroPythonVM

SRC = '''from micropython import const

TABLE = (  # build: host-only fields 0 2
    ("alpha", 1, "unit"),
    ("beta", 2, "two "
                "lines"),
)
NAMES = (  # build: host-only strings
    "one", "two",
)
KEEP = ("kept", 3)
DOC = ("x",)  # build: host-only


def rows():  # build: host-only
    return [r[0] for r in TABLE]


def used():
    return TABLE[1][1] + len(NAMES)
'''


def _run(text):
    ns = {}
    exec(compile(text.replace("from micropython import const\n", ""), "m", "exec"), ns)
    return ns


def test_markers_on_a_small_module():
    out = strip(SRC, "pkg.m")
    assert out.count("\n") == SRC.count("\n")  # tracebacks keep their line numbers
    ns = _run(out)
    assert ns["TABLE"] == (("", 1, ""), ("", 2, ""))
    assert ns["NAMES"] == ("", "")
    assert ns["KEEP"] == ("kept", 3)
    assert "rows" not in ns and "DOC" not in ns
    assert ns["used"]() == 4
    assert _run(SRC)["used"]() == 4  # the same behaviour as the source
    assert out.splitlines()[-1] == "    return TABLE[1][1] + len(NAMES)"


@pytest.mark.parametrize("bad", [
    "X = 1  # build: host-only fields 1\n",  # not a table
    "T = ((1, 2),)  # build: host-only fields 0\n",  # the field is not a string
    "def f(x):  # build: constant\n    return x\n",  # a constant takes no arguments
    "X, Y = 1, 2  # build: constant\n",  # a constant assignment names one name
])
def test_a_marker_on_the_wrong_thing_is_refused(bad):
    with pytest.raises(StripError):
        strip(bad, "pkg.m")


def _constants():
    """(module, name, line) of every `# build: constant` assignment in the firmware."""
    root = fw.FIRMWARE_DIR / "co2hr"
    for p in sorted(root.rglob("*.py")):
        if "tests" in p.parts:
            continue
        text = p.read_text()
        for node in ast.parse(text).body:
            if isinstance(node, ast.Assign) and "# build: constant" in \
                    text.splitlines()[node.lineno - 1]:
                yield module_name(root, p), node.targets[0].id, node.lineno


def test_constant_assignments_are_their_values_computed_in_cpython():
    import importlib

    root = fw.FIRMWARE_DIR / "co2hr"
    found = list(_constants())
    assert len(found) >= 15  # setting indexes, table lengths
    for mod, name, line in found:
        path = root.joinpath(*mod.split(".")[1:]).with_suffix(".py")
        out = strip(path.read_text(), mod).splitlines()[line - 1]
        value = getattr(importlib.import_module(mod), name)
        literal = repr(value) if type(value) is bytes else f"const({value})"  # packed tables
        assert out == f"{name} = {literal}", (mod, out)


def test_the_firmware_as_the_board_gets_it():
    root = fw.FIRMWARE_DIR / "co2hr"
    changed = 0
    for p in sorted(root.rglob("*.py")):
        if "tests" in p.parts:
            continue
        text = p.read_text()
        out = strip(text, module_name(root, p))
        ast.parse(out)
        assert out.count("\n") == text.count("\n"), p
        changed += out != text
    assert changed >= 4  # registers, evregs, alarms, status


def test_the_board_build_has_no_host_only_names_and_the_same_map_id(tmp_path):
    compile_tree(fw.FIRMWARE_DIR / "co2hr", tmp_path / "co2hr")
    regs = (tmp_path / "co2hr" / "modbus" / "registers.mpy").read_bytes()
    alarms = (tmp_path / "co2hr" / "alarms.mpy").read_bytes()
    assert b"mb_frames_served" not in regs and b"alarm_hist_len" not in regs
    assert b"Gas cooler pressure high" not in alarms and b"hp_high" not in alarms
    full = tmp_path / "full"
    compile_tree(fw.FIRMWARE_DIR / "co2hr", full / "co2hr", board=False)
    assert b"Gas cooler pressure high" in (full / "co2hr" / "alarms.mpy").read_bytes()

    from co2hr.modbus.registers import regmap_id
    code = ("import sys\nsys.path.insert(0, '/fw')\n"
            "from co2hr.modbus import registers as R\n"
            "from co2hr import settings as S\n"
            "from co2hr.modbus import rtu\n"
            "print('ID', R.regmap_id(), hasattr(R, 'rows'), len(R.group_records(0)),"
            " hasattr(R, 'GROUPS'))\n"
            "print('K', hasattr(S, 'HP_FIRST'), hasattr(rtu, '_I_UNIT'), "
            "len(S.Settings().values), R.UNLOCK_CODE)\n")
    vm = MicroPythonVM(tmp_path, code)
    try:
        line = vm.readline(120).decode().split()
        consts = vm.readline(120).decode().split()
    finally:
        vm.close()
    from co2hr.modbus.registers import GROUPS, UNLOCK_CODE
    from co2hr.settings import SCHEMA
    assert line == ["ID", str(regmap_id()), "False", str(len(GROUPS)), "False"]
    # the build-time constants: no global left, the values as CPython computes them
    assert consts == ["K", "False", "False", str(len(SCHEMA)), str(UNLOCK_CODE)]
