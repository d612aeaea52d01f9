"""Every dual firmware test module, run again inside the real MicroPython interpreter."""

import pytest

from rig.mpytest import dual_test_modules, run_module


@pytest.mark.parametrize("module", dual_test_modules())
def test_module_passes_in_micropython(module):
    rep = run_module(module)
    assert not rep.import_error, f"{module} fails to import in MicroPython:\n{rep.import_error}"
    assert rep.passed or rep.failed, f"{module}: no test ran in MicroPython"
    msgs = [f"--- {name}\n{tb}" for name, tb in rep.failed.items()]
    assert not rep.failed, f"{module}: failed in MicroPython:\n" + "\n".join(msgs)
