"""The in-MicroPython test runner under the name firmware/tests/test_in_micropython_cpy.py
imports it by; the runner is rig.targets.mpytest."""

from rig.targets.mpytest import dual_test_modules, run_module

__all__ = ["dual_test_modules", "run_module"]
