"""Firmware loop figures on the sil and mpy targets (make bench).

mpy: heap in use after boot (gc.mem_alloc()), bytes allocated per control tick,
cost per tick in wasm fuel and wall time. sil: ticks per second. For each application:
the supermarket (esp32_devkitc) and the heat pump (esp32_heatpump), each booting only its
own controller's modules.
"""

from __future__ import annotations

import time

from heap_modules import SITE, board_heap, breakdown

import rig  # noqa: F401  (makes the firmware package importable)
from co2hr.io import INPUTS
from rig.boards import load_board
from rig.hil.terminals import terminal_value
from rig.targets import open_target

ENG = {"p_gc_bar": 92.0, "p_rec_bar": 35.0, "p_suc_bar": 28.0, "t_gc_out_c": 34.0,
       "t_amb_c": 28.0, "t_disch_c": 105.0, "t_w_in_c": 30.0, "t_w_out_c": 50.0, "t_tank_c": 50.0,
       "demand_v": 4.0, "comp_run": 1, "hp_ok": 1, "ext_enable": 1, "energy_pulses": 0,
       "fan_ok": 1, "heat_pulses": 0, "t_coil_c": -6.0, "boiler_on": 0}
BOARDS = (("supermarket", "esp32_devkitc"), ("heat pump", "esp32_heatpump"))


def drive(target, board, n: int, t0: int = 0) -> float:
    raw = [terminal_value(board["inputs"][k], ENG[k])
            if k in board["inputs"] else 0.0 for k in INPUTS]
    ok = [1] * len(INPUTS)
    start = time.perf_counter()
    for k in range(n):
        raw[0] = terminal_value(board["inputs"]["p_gc_bar"], 90.0 + (k % 20) * 0.2)
        target.step(t0 + k * 1000, raw, ok)
    return time.perf_counter() - start


def main() -> None:
    for app, name in BOARDS:
        print(f"-- the {app} ({name})")
        figures(load_board(name))


def figures(board: dict) -> None:
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
    # The board's own boot (main.py without hil.flag: co2hr.start with BoardHardware on
    # the pin-level fakes of firmware/tests/hwfakes.py, tools/heap_modules.py), the
    # package from ROMFS and from the filesystem (the stock MicroPython builds for the
    # Pico and the generic ESP32 have no ROMFS: rig deploy falls back to it).
    for site, what in ((None, "no site file: no network"),
                       (SITE, "Wi-Fi from site.json, Modbus TCP listening")):
        figs = []
        for romfs in (False, True):
            r = board_heap(board, romfs, site)
            budget = "64 KB" if romfs else "80 KB"
            code = "" if romfs else (f", of which {r['code']:,} B the bytecode of "
                                     f"{r['functions']} functions")
            figs.append(f"{r['heap']:,} B from {'ROMFS' if romfs else 'the filesystem'} "
                        f"(~{r['board']:,} B on a board{code}; budget {budget})")
        print(f"mpy: heap in use after boot, board configuration (main.py without hil.flag, "
              f"BoardHardware; {what}): {figs[0]}, {figs[1]}; measured "
              f"with the test fakes standing in for `machine` and `network` ({r['fakes']:,}"
              f" B in {r['n']} objects, and {r['q_base'] - r['q_start']} qstrs that move the "
              f"pool boundaries); on a board: without them, {r['board_qstrs']:,} qstrs "
              "(tools/heap_modules.py)")
    r = breakdown(board, False)
    top = sorted(r["rows"], key=lambda x: -x[1])[:10]
    print(f"mpy: board configuration from the filesystem, {r['qstrs']:,} qstrs in "
          f"{r['pools']} pools; largest imports (tools/heap_modules.py for all): "
          + ", ".join(f"{w.replace('co2hr.', '')} {n:,}{' +qstr pool' if p else ''}"
                      for w, n, _q, p in top))
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
