"""Run firmware unit tests inside the real MicroPython interpreter.

A firmware test module (firmware/tests/test_*.py, except the CPython-only
*_cpy.py ones) holds plain `def test_...():` functions with asserts, so pytest
runs it under CPython and this runner runs the very same file under MicroPython.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import rig.fw as fw
from rig.deploy.mpy import compile_tree
from rig.targets.vm import MicroPythonVM

# The runner module: one test per call, so collections happen at the top level of
# the -c script, between tests, where no frame holds objects (see rig.targets.vm).
# (try/except directly in -c code raises "NotImplementedError: opcode" in this
# build, so the exception handling lives in the module.)
RUNNER_MODULE = """
import sys


class Runner:
    def __init__(self, module):
        self.i = 0
        self.names = []
        try:
            self.mod = __import__(module)
            self.names = [n for n in dir(self.mod) if n.startswith('test_')]
        except Exception as e:
            print('L import-error')
            sys.print_exception(e, sys.stdout)

    def next(self):
        if self.i >= len(self.names):
            print('END')
            return False
        name = self.names[self.i]
        self.i += 1
        try:
            getattr(self.mod, name)()
            print('T ok ' + name)
        except Exception as e:
            print('T FAIL ' + name)
            sys.print_exception(e, sys.stdout)
        return True
"""

RUNNER = """
import sys, gc
sys.path.insert(0, '/fw')
sys.path.insert(0, '/fw/tests')
import _mpy_runner
gc.collect()
r = _mpy_runner.Runner('%(module)s')
gc.collect()
while r.next():
    gc.collect()
"""


@dataclass
class MpyTestReport:
    module: str
    passed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    import_error: str = ""


def dual_test_modules() -> list[str]:
    tests = fw.FIRMWARE_DIR / "tests"
    return sorted(p.stem for p in tests.glob("test_*.py") if not p.stem.endswith("_cpy"))


def run_module(module: str, timeout_s: float = 240.0) -> MpyTestReport:
    tmp = Path(tempfile.mkdtemp(prefix="mpytest-"))
    try:
        shutil.copytree(fw.FIRMWARE_DIR / "tests", tmp / "tests",
                        ignore=shutil.ignore_patterns("*_cpy.py", "__pycache__", "conftest.py"))
        # the tests with the package's consts folded as in the package (rig.deploy.consts);
        # the host-only parts kept (board=False): the tests read the register rows
        compile_tree(fw.FIRMWARE_DIR / "co2hr", tmp / "co2hr",
                     tests_dir=fw.FIRMWARE_DIR / "tests", tests_out=tmp / "tests",
                     board=False)
        (tmp / "_mpy_runner.py").write_text(RUNNER_MODULE)
        vm = MicroPythonVM(tmp, code=RUNNER % {"module": module})
        rep = MpyTestReport(module)
        current = None
        buf: list[str] = []
        try:
            while True:
                line = vm.readline(timeout_s).decode(errors="replace")
                if line == "END":
                    break
                if line.startswith("T "):
                    if current:
                        rep.failed[current] = "\n".join(buf)
                        current = None
                    _, status, name = line.split(" ", 2)
                    if status == "ok":
                        rep.passed.append(name)
                    else:
                        current, buf = name, []
                elif line == "L import-error":
                    current, buf = "<import>", []
                elif current:
                    buf.append(line)
            if current:
                rep.failed[current] = "\n".join(buf)
        finally:
            vm.close()
        if "<import>" in rep.failed:
            rep.import_error = rep.failed.pop("<import>")
        return rep
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
