# Repo-wide pytest setup: the firmware package is importable under CPython, as the
# sil target and the host tools import it (see host/rig/fw.py).
import rig  # noqa: F401
