"""Firmware loop figures on the sil and mpy targets (make bench).

mpy: heap in use after boot (gc.mem_alloc()), bytes allocated per control tick,
cost per tick in wasm fuel and wall time. sil: ticks per second.
"""

from __future__ import annotations

import shutil
import time

import rig  # noqa: F401  (makes the firmware package importable)
import rig.fw
from co2hr.io import INPUTS
from rig.boards import load_board
from rig.hil.terminals import terminal_value
from rig.targets import open_target
from rig.targets.vm import FROM_ROMFS, MicroPythonVM, prepare_root

ENG = {"p_gc_bar": 92.0, "p_rec_bar": 35.0, "p_suc_bar": 28.0, "t_gc_out_c": 34.0,
       "t_amb_c": 28.0, "t_disch_c": 105.0, "t_w_in_c": 30.0, "t_w_out_c": 50.0, "t_tank_c": 50.0,
       "demand_v": 4.0, "comp_run": 1, "hp_ok": 1, "ext_enable": 1, "energy_pulses": 0,
       "fan_ok": 1}


def drive(target, board, n: int, t0: int = 0) -> float:
    raw = [terminal_value(board["inputs"][k], ENG[k]) for k in INPUTS]
    ok = [1] * len(INPUTS)
    start = time.perf_counter()
    for k in range(n):
        raw[0] = terminal_value(board["inputs"]["p_gc_bar"], 90.0 + (k % 20) * 0.2)
        target.step(t0 + k * 1000, raw, ok)
    return time.perf_counter() - start


# The board's own boot (main.py without hil.flag): main.py's code (compiled, as the
# board keeps it while it runs; bootsel.py is dropped once it has chosen), co2hr.start,
# then BoardHardware on the pin-level fakes of firmware/tests/hwfakes.py
# (the interpreter has no `machine`) and, with a site file, the Wi-Fi link on the fake
# network of netfakes.py. The fakes exist before the baseline; what they allocate while
# the board boots (pin objects, the station) counts, and is measured again as twins.
# The build runs inside a function: at this interpreter's top level it trips over its
# own frame handling, and collections happen only at the top level.
_BOARD_BOOT = """
sys.path.append('/fw')
from hwfakes import rig_machine, Clock
from netfakes import FakeAP, FakeNetwork, FakeSocketModule, FakeWLAN
m = rig_machine()
clk = Clock(0)
net = FakeNetwork(clk, aps=[FakeAP('Plantroom', 'secret-key')])
sock = FakeSocketModule()
keep = []
gc.collect()
base = gc.mem_alloc()
f = open('/fw/main.py')
keep.append(compile(f.read(), 'main.py', 'exec'))
f.close()
f = None
def boot_board():
    from co2hr import boot, start
    from co2hr.hw.board_io import BoardHardware
    board = boot.load_board('/fw/board.json')
    hw = BoardHardware(board, machine=m, clock=clk, clock_us=clk.us, timer=False,
                       flash_dir='/fw/flash', site_path='/fw/%s', network=net, socket=sock)
    keep.append(boot.build(hw, board))
    m.log = []  # the fakes' records of what was done to them
    net.calls = []
    for p in m.pins.values():
        p.history = []
boot_board()
gc.collect()
heap = gc.mem_alloc() - base
# What the fakes made during the boot costs: the same objects once more (twins).
twins = []
def make_twins():
    from hwfakes import FakePin, FakePWM, FakeUART
    for p in m.pins.values():
        t = FakePin(p.n, p.mode, p.pull, p.level)
        t.history = []
        twins.append(t)
    for w in m.pwms.values():
        twins.append(FakePWM(w.pin))
    for u in m.uarts:
        twins.append(FakeUART(u.id, **u.kw))
    if net.wlan is not None:
        twins.append(FakeWLAN(net))
gc.collect()
a = gc.mem_alloc()
make_twins()
gc.collect()
sys.stdout.write('R %%d %%d %%d\\n' %% (heap, gc.mem_alloc() - a, len(twins)))
"""
SITE = '{"net": "wlan", "ssid": "Plantroom", "key": "secret-key", "ip": "dhcp"}'


def board_config_heap(board: dict, site: str | None = None) -> tuple[int, int, int]:
    """(heap after boot, of which the fakes' objects, number of fake objects); site:
    the site file's text (None: the board has none)."""
    root = prepare_root(board, romfs=True)
    try:
        for name in ("hwfakes.py", "netfakes.py"):
            shutil.copy(rig.fw.FIRMWARE_DIR / "tests" / name, root / name)
        shutil.copy(rig.fw.FIRMWARE_DIR / "main.py", root / "main.py")
        if site is not None:
            (root / "site.json").write_text(site)
        code = _BOARD_BOOT % ("site.json" if site is not None else "no-site.json")
        vm = MicroPythonVM(root, "import sys, gc\n" + FROM_ROMFS + code)
        try:
            while True:  # the board's console lines (net: ...) come first
                line = vm.readline(60.0)
                if line.startswith(b"R "):
                    heap, fakes, n = (int(x) for x in line.split()[1:])
                    return heap, fakes, n
        finally:
            vm.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    board = load_board("esp32_devkitc")
    with open_target("sil", board) as sil:
        drive(sil, board, 200)
        n = 5000
        wall = drive(sil, board, n, 200_000)
        print(f"sil: {n / wall:,.0f} control ticks per second ({wall / n * 1e6:.0f} us per tick)")

    # Heap in use after boot (gc.mem_alloc() after a collection, HIL configuration):
    # from ROMFS (rig deploy) the bytecode runs in place; from the filesystem
    # (rig deploy --fs) it is copied onto the heap at import.
    with open_target("mpy", board, romfs=True) as rom:
        print(f"mpy: heap in use after boot, firmware from ROMFS (rig deploy): "
              f"{rom.heap_after_boot:,} B (application objects {rom.app_heap:,} B; "
              f"the {rom.image_heap:,} B image, flash on a board, not counted)")
    for site, what in ((None, "no site file: no network"),
                       (SITE, "Wi-Fi from site.json, Modbus TCP listening")):
        heap, fakes, n = board_config_heap(board, site)
        print(f"mpy: heap in use after boot, board configuration (main.py without hil.flag: "
              f"main.py, BoardHardware, firmware from ROMFS; {what}): {heap:,} B, of which "
              f"{fakes:,} B are {n} Python objects of the test fakes standing in for "
              f"`machine` and `network` (pins, PWM, UART, station): ~{heap - fakes:,} B "
              "without them")
    with open_target("mpy", board, romfs=False) as mpy:
        print(f"mpy: heap in use after boot, .mpy on the filesystem (rig deploy --fs): "
              f"{mpy.heap_after_boot:,} B")
        drive(mpy, board, 100)
        mpy.measure_alloc(True)
        allocs = []
        for k in range(50):
            drive(mpy, board, 1, 100_000 + k * 1000)
            allocs.append(mpy.stats()["tick_alloc"])
        mpy.measure_alloc(False)
        print(f"mpy: bytes allocated per control tick: median {sorted(allocs)[25]:,} B, "
              f"max {max(allocs):,} B")
        f0 = mpy.vm.fuel_used()
        n = 1000
        wall = drive(mpy, board, n, 200_000)
        fuel = (mpy.vm.fuel_used() - f0) / n
        print(f"mpy: cost per tick {fuel:,.0f} wasm fuel (incl. the HIL link), "
              f"{wall / n * 1e3:.2f} ms wall")


if __name__ == "__main__":
    main()
