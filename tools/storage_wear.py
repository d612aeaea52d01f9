"""Flash wear of the settings/counters store and of the event log on littlefs, measured:
the firmware's Store saves, and its event-log ring (co2hr.evstore) appends, on a
littlefs image (littlefs-python, configured as MicroPython's littlefs v2: 4 KB blocks,
read/prog 32 B, cache 128 B, lookahead 32 B, block_cycles 100) whose block device counts
erases. Prints erases per save (per append) and the share of them the most erased block
takes, and the lifetimes they give for the rates of co2hr/storage.py's and
co2hr/eventlog.py's headers. littlefs-python is a dev dependency (pyproject.toml).

    .venv/bin/python tools/storage_wear.py [--saves 20000] [--appends 20000]
"""

from __future__ import annotations

import argparse
import collections
import sys

import rig  # noqa: F401  (makes co2hr importable)
from co2hr.settings import Settings
from co2hr.status import N_COUNTERS
from co2hr.storage import COUNTERS_PERIOD_MS, MIN_INTERVAL_MS, Store

RATED_ERASES = 100_000  # NOR flash, per block
DAY_MS = 86_400_000


class Fs:
    """The open/rename/remove/mkdir the Store and the event log use, on a littlefs."""

    def __init__(self, lfs) -> None:  # noqa: ANN001
        self.lfs = lfs

    def open(self, path, mode):  # noqa: ANN001
        return self.lfs.open(path, mode)

    def rename(self, a, b):  # noqa: ANN001
        self.lfs.rename(a, b)

    def remove(self, path):  # noqa: ANN001
        self.lfs.remove(path)

    def mkdir(self, path):  # noqa: ANN001
        self.lfs.mkdir(path)


def littlefs_image(blocks: int, other_kb: int = 0):
    """(littlefs as MicroPython configures it, its erase-counting flash)."""
    from littlefs import LittleFS, UserContext

    class CountingFlash(UserContext):
        def __init__(self, size: int) -> None:
            super().__init__(buffsize=size)
            self.erases: collections.Counter = collections.Counter()

        def erase(self, cfg, block):  # noqa: ANN001
            self.erases[block] += 1
            return super().erase(cfg, block)

    flash = CountingFlash(4096 * blocks)
    lfs = LittleFS(context=flash, block_size=4096, block_count=blocks, read_size=32,
                   prog_size=32, cache_size=128, lookahead_size=32, block_cycles=100)
    if other_kb:
        with lfs.open("board.json", "wb") as f:
            f.write(b"x" * 1024 * other_kb)
    return lfs, flash


def _measure(blocks: int, other_kb: int, saves: int) -> tuple[float, float]:
    lfs, flash = littlefs_image(blocks, other_kb)

    class Control:  # the counters the Store saves (co2hr.controller.Controller's)
        counters = [4_000_000_000] * N_COUNTERS

        def restore_counters(self, values):  # noqa: ANN001
            pass

    st = Store(Fs(lfs), "flash")
    st.attach(Settings(), Control(), lambda: 0)
    flash.erases.clear()
    for k in range(saves):
        Control.counters[1] = k
        assert st.save(), st.reason
    return sum(flash.erases.values()) / saves, max(flash.erases.values()) / saves


def _measure_events(blocks: int, other_kb: int, appends: int) -> tuple[float, float]:
    """Erases per event-log append (1..4 entries each, as bursts come) and the share of
    appends the most erased block takes, after the ring has gone round once."""
    from co2hr.evstore import REC, EvStore, seal

    lfs, flash = littlefs_image(blocks, other_kb)
    lfs.mkdir("flash")
    st = EvStore(Fs(lfs), "flash")
    st.open()
    buf = bytearray(4 * REC)
    for i in range(4):
        buf[i * REC + 6] = 4
        seal(buf, i * REC)
    for k in range(1000):  # round the ring first: every segment file exists
        assert st.append(buf, 1 + k % 4) == 1 + k % 4
    flash.erases.clear()
    for k in range(appends):
        assert st.append(buf, 1 + k % 4) == 1 + k % 4
    return sum(flash.erases.values()) / appends, max(flash.erases.values()) / appends


def _lifetimes(rates, worst: float) -> None:
    for what, per_day in rates:
        years = RATED_ERASES / (per_day * worst) / 365
        print(f"  {what}: {per_day} /day -> {per_day * worst:.2f} erases/day on "
              f"that block, {years:,.1f} years to {RATED_ERASES:,}")


FILESYSTEMS = (("Pico, 1408 KB filesystem", 352, 40),
               ("1 MB filesystem, 200 KB of other files", 256, 200),
               ("ESP32, 2 MB filesystem", 512, 40))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--saves", type=int, default=20000)
    ap.add_argument("--appends", type=int, default=20000)
    args = ap.parse_args()
    try:
        import littlefs  # noqa: F401
    except ImportError:
        print("needs littlefs-python (a dev dependency): make venv", file=sys.stderr)
        return 2
    normal = DAY_MS // COUNTERS_PERIOD_MS + 6  # counters, a boot, a few changes
    rates = (("normal use", normal), ("a change every minute", normal + 1440),
             ("a change every MIN_INTERVAL_MS, non-stop", DAY_MS // MIN_INTERVAL_MS))
    print("settings/counters store (co2hr.storage):")
    for label, blocks, other_kb in FILESYSTEMS:
        per_save, worst = _measure(blocks, other_kb, args.saves)
        print(f"{label}: {per_save:.3f} erases per save; the most erased block takes "
              f"{100 * worst:.2f} % of the saves")
        _lifetimes(rates, worst)
    from rig.regs.fwdoc import consts

    ms = {n: v for n, v, _d in consts("eventlog.py", "_")}  # the log's private numbers
    flood = DAY_MS // ms["_QUOTA_REFILL_MS"] + DAY_MS // ms["_LOST_WITHIN_MS"]
    ev_rates = (("normal use (a boot, a few alarms and changes)", 50),
                ("a busy commissioning day", 400),
                ("any flood, held to the quota (+ the lost counts)", flood))
    print("event log (co2hr.evstore appends):")
    for label, blocks, other_kb in FILESYSTEMS:
        per_app, worst = _measure_events(blocks, other_kb, args.appends)
        print(f"{label}: {per_app:.3f} erases per append; the most erased block takes "
              f"{100 * worst:.2f} % of the appends")
        _lifetimes(ev_rates, worst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
