"""Every dual firmware test module, run again inside the real MicroPython interpreter."""

import ast
from pathlib import Path

import pytest

from rig.mpytest import dual_test_modules, run_module


def _declared_tests(module):
    """The test functions the module's source defines at its top level: each must run
    inside MicroPython too (a test the runner does not find would pass unseen)."""
    src = (Path(__file__).parent / (module + ".py")).read_text()
    return {n.name for n in ast.parse(src).body
            if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")}


@pytest.mark.parametrize("module", dual_test_modules())
def test_module_passes_in_micropython(module):
    rep = run_module(module)
    assert not rep.import_error, f"{module} fails to import in MicroPython:\n{rep.import_error}"
    assert rep.passed or rep.failed, f"{module}: no test ran in MicroPython"
    missing = _declared_tests(module) - set(rep.passed) - set(rep.failed)
    assert not missing, f"{module}: not run in MicroPython: {sorted(missing)}"
    msgs = [f"--- {name}\n{tb}" for name, tb in rep.failed.items()]
    assert not rep.failed, f"{module}: failed in MicroPython:\n" + "\n".join(msgs)
