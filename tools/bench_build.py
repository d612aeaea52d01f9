"""Firmware build size per target, for `make bench`:
    build esp32 (xtensawin): 68,542 B in 43 files
(compiled into a temporary folder; build/ is left alone)."""

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "host"))

from rig.deploy.build import build  # noqa: E402


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        for info in build(Path(tmp)):
            print(info.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
