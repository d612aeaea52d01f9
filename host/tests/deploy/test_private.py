"""The build's private-name shortening (rig.deploy.private): on a small package, what
is renamed, what is left alone, and that the renamed package behaves as the original
(imported and run by CPython); on the firmware, how many interned names it saves and
that classes deriving across modules never share a short name. The firmware's
behaviour on the shortened build is what the mpy target's scenarios and the
in-MicroPython tests run."""

import importlib
import sys

import rig.fw as fw
from rig.deploy import private
from rig.deploy.consts import module_name
from rig.deploy.mpy import compile_tree

BASE = """class Base:
    _K = 3

    def __init__(self):
        self._count = 0
        self._peer = None

    def bump(self):
        self._count += _step(self._K)
        return self._count

    def peer_count(self, other):
        return other._spied  # reached on another object: left alone

    def named(self):
        return getattr(self, "_by_name", 7)  # named in a string: left alone


def _step(k):
    _local = k + 1
    return _local


def poke(self):
    return self._poked  # not a method: left alone


def spelled():
    return Base.__name__
"""
SUB = """from pkg.base import Base


class Sub(Base):
    def __init__(self):
        Base.__init__(self)
        self._extra = 10
        self._by_name = 1

    def total(self):
        return self.bump() + self._extra + self.named()
"""
OTHER = """class Other:
    def __init__(self):
        self._value = 5
        self._mentioned = 1  # spelled in a consumer: left alone

    def value(self):
        return self._value * _SCALE


_SCALE = 2
"""
CONSUMER = "o = Other()\nassert o._mentioned == 1\n"


def _plan():
    return private.plan({"pkg.base": BASE, "pkg.sub": SUB, "pkg.other": OTHER}, [CONSUMER])


def test_private_names_are_numbered_per_module_and_shared_across_modules():
    maps = _plan()
    base, sub, other = maps["pkg.base"], maps["pkg.sub"], maps["pkg.other"]
    assert set(base) == {"_K", "_count", "_peer", "_step", "_local"}
    assert set(sub) == {"_extra"}
    assert set(other) == {"_value", "_SCALE"}
    # Sub derives from Base: one numbering for both, so no attribute of a Sub collides
    assert not set(base.values()) & set(sub.values())
    # an unrelated module starts again from _0: the short names serve every module
    assert "_0" in other.values() and "_0" in base.values()


def test_names_reached_from_outside_or_by_string_are_left_alone():
    maps = _plan()
    renamed = set().union(*(set(m) for m in maps.values()))
    for name in ("_spied", "_by_name", "_poked", "_mentioned", "__init__", "__name__"):
        assert name not in renamed, name
    # a base the shortening cannot trace: nothing of that module is renamed
    odd = "import pkg.base\n\n\nclass X(pkg.base.Base):\n    def f(self):\n" \
          "        self._hidden = 1\n"
    assert private.plan({"pkg.base": BASE, "pkg.odd": odd}, [])["pkg.odd"] == {}
    rel = "from .base import Base\n\n\nclass Y(Base):\n    def f(self):\n" \
          "        self._hidden = 1\n"
    assert private.plan({"pkg.base": BASE, "pkg.rel": rel}, [])["pkg.rel"] == {}


def test_the_shortened_package_runs_as_the_original(tmp_path):
    maps = _plan()
    results = []
    for shorten in (False, True):
        root = tmp_path / ("short" if shorten else "orig") / "pkg"
        root.mkdir(parents=True)
        (root / "__init__.py").write_text("")
        for mod, text in (("base", BASE), ("sub", SUB), ("other", OTHER)):
            out = private.rewrite(text, maps["pkg." + mod]) if shorten else text
            assert out.count("\n") == text.count("\n")  # line numbers kept
            (root / (mod + ".py")).write_text(out)
        sys.path.insert(0, str(root.parent))
        try:
            sub = importlib.import_module("pkg.sub")
            other = importlib.import_module("pkg.other")
            s = sub.Sub()
            results.append((s.total(), s.total(), other.Other().value(),
                            sorted(k for k in vars(s) if not k.startswith("_"))))
        finally:
            sys.path.remove(str(root.parent))
            for name in [n for n in sys.modules if n == "pkg" or n.startswith("pkg.")]:
                del sys.modules[name]
    assert results[0] == results[1] == (15, 19, 10, [])


def _firmware_plan():
    root = fw.FIRMWARE_DIR / "co2hr"
    srcs = {module_name(root, p): p.read_text() for p in sorted(root.rglob("*.py"))}
    return root, srcs, private.plan(srcs, private.consumers(root))


def test_the_firmware_keeps_few_private_names_and_no_collision():
    root, srcs, maps = _firmware_plan()
    renamed = sum(len(m) for m in maps.values())
    short = {v for m in maps.values() for v in m.values()}
    assert renamed > 400 and len(short) < renamed // 5, (renamed, len(short))
    # every pair of modules linked by derivation numbers its names apart
    for mod, text in srcs.items():
        bases = private._base_modules(__import__("ast").parse(text), "co2hr") or set()
        for b in bases:
            assert not set(maps[mod].values()) & set(maps[b].values()), (mod, b)


def test_the_renamed_names_are_gone_from_the_compiled_firmware(tmp_path):
    root, _srcs, maps = _firmware_plan()
    compile_tree(root, tmp_path / "co2hr")
    stepper = (tmp_path / "co2hr" / "hw" / "stepper.mpy").read_bytes()
    # (named through the plan: a name spelled in this file would be left alone)
    gone = [n for n in maps["co2hr.hw.stepper"] if len(n) > 6 and not n.isupper()]
    assert len(gone) >= 5, gone
    for name in gone:
        assert name.encode() not in stepper, name
    assert b"set_pct" in stepper  # public names stay
