"""The build's cross-module const folding (rig.deploy.consts): on a small package, what
is folded and what is left alone; on the firmware, every folded value against the one
CPython imports, and the names gone from the compiled modules (their qstrs, which is
what the folding is for). The firmware's behaviour on the folded build is what the
mpy target's scenarios and the in-MicroPython tests run."""

import importlib
import io
import tokenize

import rig.fw as fw
from rig.deploy import consts
from rig.deploy.mpy import compile_tree

A = """from micropython import const

N = const(3)
M = const(N * 4 + 1)  # from another const
NEG = const(-2)
KW = const(5)
REB = const(6)
STR = const(7)
_P = const(9)
T = (1, 2)
"""
B = """from micropython import const

from pkg import a as Q
from pkg.a import (
    KW,
    NEG,
    N,
    T,
)
from pkg.a import M as MM
from pkg.a import REB, STR


def f(x, y=N):
    return [0] * N, Q.M, MM, NEG - x, T, y


def g(KW=KW):
    return KW


def h():
    REB = 1
    return REB, getattr(Q, "STR"), STR
"""


def _fold(tmp_path):
    root = tmp_path / "pkg"
    root.mkdir()
    srcs = {root / "__init__.py": "", root / "a.py": A, root / "b.py": B}
    consts_pkg = consts.PKG
    consts.PKG = "pkg"
    try:
        return srcs, consts.fold(srcs, root)
    finally:
        consts.PKG = consts_pkg


def test_folded_uses_imports_and_definitions(tmp_path):
    srcs, out = _fold(tmp_path)
    a, b = out[tmp_path / "pkg" / "a.py"], out[tmp_path / "pkg" / "b.py"]
    for p in srcs:
        assert out[p].count("\n") == srcs[p].count("\n")  # line numbers kept
    assert "return [0] * 3, 13, 13, (-2) - x, T, y" in b
    assert "def f(x, y=3):" in b
    assert "from pkg.a import KW, T\n" in b and "import M as MM" not in b
    # the definitions of the folded names are gone; the rest stays
    for name in ("N =", "M =", "NEG ="):
        assert name not in a
    assert "_P = const(9)" in a and "T = (1, 2)" in a
    ns: dict = {}
    exec(compile(b.replace("from pkg import a as Q", "Q = None").replace(
        "from pkg.a import KW, T", "KW = 5; T = (1, 2)").replace(
        "from pkg.a import REB, STR", "REB = 6; STR = 7").replace(
        "from micropython import const", ""), "b", "exec"), ns)
    assert ns["f"](1) == ([0, 0, 0], 13, 13, -3, (1, 2), 3)


def test_names_that_are_bound_keyworded_or_strings_are_left_alone(tmp_path):
    _srcs, out = _fold(tmp_path)
    a, b = out[tmp_path / "pkg" / "a.py"], out[tmp_path / "pkg" / "b.py"]
    for name in ("KW", "REB", "STR"):
        assert "%s = const(" % name in a, name  # still a global of pkg.a
        assert name in b.split("def f")[0], name  # still imported
    assert "def g(KW=KW):" in b


def _firmware():
    root = fw.FIRMWARE_DIR / "co2hr"
    srcs = {p: p.read_text() for p in sorted(root.rglob("*.py"))}
    tests = {p: p.read_text() for p in sorted((fw.FIRMWARE_DIR / "tests").glob("*.py"))}
    return root, srcs, tests


def test_every_folded_value_is_the_one_cpython_imports():
    root, srcs, tests = _firmware()
    mods = {consts.module_name(root, p): consts._Module(consts.module_name(root, p), t)
            for p, t in srcs.items()}
    defs = consts._collect(mods)
    ok = consts._plan(mods, defs)
    assert len(ok) > 150  # the status, alarm, signal and output indexes...
    for mod, name in ok:
        assert getattr(importlib.import_module(mod), name) == defs[mod][name], (mod, name)


def _names(text):
    return {t.string for t in tokenize.generate_tokens(io.StringIO(text).readline)
            if t.type == tokenize.NAME}


def test_the_folded_names_are_gone_from_the_compiled_firmware(tmp_path):
    root, srcs, tests = _firmware()
    out = consts.fold({**srcs, **tests}, root)
    (tmp_path / "test_gc_pressure.py").write_text("")
    compile_tree(root, tmp_path / "co2hr", tests_dir=fw.FIRMWARE_DIR / "tests",
                 tests_out=tmp_path)
    status = (tmp_path / "co2hr" / "status.mpy").read_bytes()
    assert b"ST_MODE" not in status and b"OV_HP" not in status and b"STATUS" in status
    energy = (tmp_path / "co2hr" / "energy.mpy").read_bytes()
    assert b"CNT_COMP" not in energy
    for p, text in out.items():  # no folded name left behind anywhere
        assert "ST_MODE" not in _names(text) and "N_IN" not in _names(text), p
    assert (tmp_path / "test_gc_pressure.py").read_text() == out[
        fw.FIRMWARE_DIR / "tests" / "test_gc_pressure.py"]
    assert not (tmp_path / "test_alarms.py").exists()  # only the tests already there


def test_a_module_reached_by_its_full_path_or_a_star_keeps_its_names(tmp_path):
    root = tmp_path / "pkg"
    root.mkdir()
    a = "from micropython import const\nN = const(3)\n"
    srcs = {root / "__init__.py": "", root / "a.py": a, root / "c.py": a,
            root / "b.py": "import pkg.a\nfrom pkg.c import *\nx = pkg.a.N + N\n"}
    saved = consts.PKG
    consts.PKG = "pkg"
    try:
        out = consts.fold(srcs, root)
    finally:
        consts.PKG = saved
    assert out == srcs
