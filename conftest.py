# Repo-wide pytest setup.
import os
import sys

import rig  # noqa: F401  (the firmware package `co2hr` becomes importable under CPython)

_exitstatus = 0


def pytest_sessionfinish(session, exitstatus):
    global _exitstatus
    _exitstatus = int(exitstatus)


def pytest_unconfigure(config):
    # wasmtime's background runtime panics noisily while C destructors run at
    # interpreter exit, after pytest's summary line. Once pytest is done and has
    # printed everything, leave without running them, keeping pytest's exit status.
    if "wasmtime" in sys.modules:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exitstatus)
