"""Where the firmware lives, and importing it in-process.

The host reads the firmware's own tables (signals, registers, settings) by
importing the firmware package, so there is never a second copy of them.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIRMWARE_DIR = REPO / "firmware"
BOARDS_DIR = REPO / "boards"


UPY_SHIM_DIR = Path(__file__).resolve().parent / "upy"


def ensure_importable() -> None:
    """Put firmware/ (and the `micropython` stand-in) on sys.path so `import co2hr`
    works under CPython."""
    for p in (str(UPY_SHIM_DIR), str(FIRMWARE_DIR)):
        if p not in sys.path:
            sys.path.insert(0, p)


ensure_importable()
