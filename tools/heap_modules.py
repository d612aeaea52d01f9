"""Heap after boot in the board configuration, per module (make bench prints the totals).

    .venv/bin/python tools/heap_modules.py [--fs | --romfs] [--site] [--board NAME]

The board's own boot (main.py without hil.flag, BoardHardware on the pin-level fakes of
firmware/tests/hwfakes.py, as tools/bench_firmware.py measures it) runs in the real
MicroPython on the mpy target. A first run lists the modules the boot leaves in
sys.modules; a second imports them one at a time, each after the modules it imports
at its top level, with gc.collect() and gc.mem_alloc() around each import, then boots.
A module's row is what its own import left on the heap: its bytecode and constants
(from the filesystem; from ROMFS they stay in the image), its functions, classes and
globals, and the qstrs of its names. Qstrs are allocated in pools that double in size,
so the import that opens a new pool carries the whole pool (qstrs column: the names
the import added; "+pool" marks it). The last rows: the objects the boot built (the
hardware, the controller, the register map, the store...) and modules the boot
imported and dropped again. From the filesystem it also gives the bytecode the
loaded modules keep (read from their .mpy files, rig.deploy.mpyinfo): what ROMFS
would leave in flash.
"""

from __future__ import annotations

import argparse
import ast
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "host"))

import rig  # noqa: E402,F401  (makes the firmware package importable)
import rig.fw  # noqa: E402
from rig.boards import load_board  # noqa: E402
from rig.deploy.mpyinfo import kept_code  # noqa: E402
from rig.targets.vm import FROM_FS, FROM_ROMFS, MicroPythonVM, prepare_root  # noqa: E402

SITE = '{"net": "wlan", "ssid": "Plantroom", "key": "secret-key", "ip": "dhcp"}'

# The baseline is taken with the fakes built (they stand in for the board's `machine`
# and `network`); main.py's code is compiled as the board keeps it while it runs
# (bootsel.py is dropped once it has chosen). The build runs inside a function: at this
# interpreter's top level it trips over its own frame handling, and collections
# happen only at the top level. PRE is replaced by the per-module imports.
_BOARD_BOOT = """
import micropython
sys.stdout.write('Q start\\n')
micropython.qstr_info()
sys.path.append('/fw')
from hwfakes import rig_machine, Clock
m = rig_machine()
clk = Clock(0)
net = sock = None
if SITE:  # the fake network only where the board brings one up
    from netfakes import FakeAP, FakeNetwork, FakeSocketModule, FakeWLAN
    net = FakeNetwork(clk, aps=[FakeAP('Plantroom', 'secret-key')])
    sock = FakeSocketModule()
keep = []
def imp(name):
    __import__(name)
def read_board():  # first, as the board's boot does: it names the application
    from co2hr import read_board
    read_board('/fw/board.json')
read_board()
gc.collect()
sys.stdout.write('Q base\\n')
micropython.qstr_info()
base = gc.mem_alloc()
f = open('/fw/main.py')
keep.append(compile(f.read(), 'main.py', 'exec'))
f.close()
f = None
gc.collect()
sys.stdout.write('M main.py %%d\\n' %% (gc.mem_alloc() - base))
micropython.qstr_info()
PRE
def boot_board():
    from co2hr import start
    from co2hr.hw.board_io import BoardHardware
    def make_hw(board):
        return BoardHardware(board, machine=m, clock=clk, clock_us=clk.us, timer=False,
                             flash_dir='/fw/flash', site_path='/fw/%s', network=net,
                             socket=sock)
    held = []
    keep.append(start._start(held, make_hw, '/fw/board.json'))
    keep.append(held)
    m.log = []  # the fakes' records of what was done to them
    if net is not None:
        net.calls = []
    for p in m.pins.values():
        p.history = []
a = gc.mem_alloc()
boot_board()
gc.collect()
sys.stdout.write('M (boot) %%d\\n' %% (gc.mem_alloc() - a))
micropython.qstr_info()
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
    if net is not None and net.wlan is not None:
        twins.append(FakeWLAN(net))
gc.collect()
a = gc.mem_alloc()
make_twins()
gc.collect()
sys.stdout.write('L %%s\\n' %% ' '.join(sorted(k for k in sys.modules if k.startswith('co2hr'))))
sys.stdout.write('R %%d %%d %%d\\n' %% (heap, gc.mem_alloc() - a, len(twins)))
"""
_PRE_ONE = "imp(%r)\ngc.collect()\nsys.stdout.write('M %s %%d\\n' %% (gc.mem_alloc() - a))\n" \
           "micropython.qstr_info()\n"


def _run(board: dict, romfs: bool, site: str | None, pre: list[str]) -> dict:
    """One boot in the VM: {"heap", "fakes", "n", "rows": [(what, bytes, qstrs, pools)],
    "modules": [...], "qstrs", "pools"}."""
    root = prepare_root(board, romfs=romfs)
    try:
        for name in ("hwfakes.py", "netfakes.py"):
            shutil.copy(rig.fw.FIRMWARE_DIR / "tests" / name, root / name)
        shutil.copy(rig.fw.FIRMWARE_DIR / "main.py", root / "main.py")
        if site is not None:
            (root / "site.json").write_text(site)
        imports = "".join("gc.collect()\na = gc.mem_alloc()\n" + _PRE_ONE % (m, m)
                          for m in pre)
        code = (_BOARD_BOOT % ("site.json" if site is not None else "no-site.json")
                ).replace("PRE\n", imports).replace("if SITE:", "if %s:" % (site is not None))
        vm = MicroPythonVM(root, "import sys, gc\n" + (FROM_ROMFS if romfs else FROM_FS)
                           + code)
        out: dict = {"rows": []}
        pending = None
        last_q = last_p = None
        try:
            while True:
                line = vm.readline(60.0).decode()
                if line.startswith("Q "):
                    pending = ("Q", line.split()[1])
                elif line.startswith("M "):
                    _, what, n = line.split()
                    pending = (what, int(n))
                elif line.startswith("qstr pool:"):
                    kv = dict(w.split("=") for w in line[len("qstr pool:"):].replace(",", " ")
                              .split())
                    q, p = int(kv["n_qstr"]), int(kv["n_pool"])
                    if pending is not None and pending[0] == "Q":
                        out["q_" + pending[1]] = q
                        pending = None
                        continue
                    if pending is not None and last_q is not None:
                        out["rows"].append((pending[0], pending[1], q - last_q, p - last_p))
                    elif pending is not None:
                        out["rows"].append((pending[0], pending[1], 0, 0))
                    pending = None
                    last_q, last_p = q, p
                    out["qstrs"], out["pools"] = q, p
                elif line.startswith("L "):
                    out["modules"] = line.split()[1:]
                elif line.startswith("R "):
                    out["heap"], out["fakes"], out["n"] = (int(x) for x in line.split()[1:])
                    if not romfs:
                        out["code"], out["functions"] = _kept(root, out["modules"])
                    return out
        finally:
            vm.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _module_file(root: Path, name: str, suffix: str) -> Path:
    """Where the module co2hr.<...> name is, under root (a package: its __init__)."""
    p = root.joinpath(*name.split("."))
    return p / ("__init__" + suffix) if (p / ("__init__" + suffix)).exists() \
        else p.with_suffix(suffix)


def _kept(root: Path, modules: list[str]) -> tuple[int, int]:
    """(bytes, functions): the bytecode the loaded modules keep on the heap from the
    filesystem (rig.deploy.mpyinfo; their bodies and class bodies are collected)."""
    code = n = 0
    for m in modules:
        c, k = kept_code(_module_file(root, m, ".mpy"))
        code += c
        n += k
    return code, n


def _top_imports(name: str) -> list[str]:
    """The co2hr modules `name` imports at its top level (not inside functions)."""
    path = _module_file(rig.fw.FIRMWARE_DIR, name, ".py")
    found = []

    def visit(nodes):
        for node in nodes:
            if isinstance(node, ast.Import):
                found.extend(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.append(node.module)
                found.extend(node.module + "." + a.name for a in node.names)
            elif isinstance(node, (ast.If, ast.Try)):
                visit(node.body)
                visit(getattr(node, "orelse", []))
                for h in getattr(node, "handlers", []):
                    visit(h.body)

    visit(ast.parse(path.read_text()).body)
    return found


def import_order(modules: list[str]) -> list[str]:
    """modules, each after the ones it imports at its top level (packages first)."""
    have = set(modules)
    order: list[str] = []
    seen: set[str] = set()

    def add(m):
        if m in seen or m not in have:
            return
        seen.add(m)
        parts = m.split(".")
        for k in range(1, len(parts)):
            add(".".join(parts[:k]))
        for dep in _top_imports(m):
            add(dep)
        order.append(m)

    for m in modules:
        add(m)
    return order


# MicroPython's qstr pools (py/qstr.c: each new pool holds twice the last one's names),
# measured on the mpy target by interning names one at a time: (n_qstr at which a
# pool is allocated, bytes of all pools so far).
_POOLS = ((7, 176), (21, 480), (61, 1072), (141, 2224), (301, 4496), (621, 9008),
          (1261, 18000), (2541, 35952))


def pool_bytes(n_qstr: int) -> int:
    """Bytes of the qstr pools that hold n_qstr dynamic qstrs."""
    return max([b for at, b in _POOLS if n_qstr >= at], default=0)


def on_board(r: dict) -> tuple[int, int]:
    """(estimated heap after boot on a board, its dynamic qstrs): the measured heap
    without the fakes' objects, with the qstr pools the firmware's own names need
    from the interpreter's start (the fakes' names, interned before the baseline, move
    the pool boundaries here; a board interns none of them)."""
    n_fw = r["qstrs"] - r["q_base"]
    n_board = r["q_start"] + n_fw
    here = pool_bytes(r["qstrs"]) - pool_bytes(r["q_base"])
    board = pool_bytes(n_board) - pool_bytes(r["q_start"])
    return r["heap"] - r["fakes"] - here + board, n_board


def board_heap(board: dict, romfs: bool, site: str | None = None) -> dict:
    """{"heap": heap after boot, "fakes": of which the fakes' objects, "n": number of
    fake objects, "board": estimated heap on a board (on_board()), "qstrs": qstrs, "pools"}."""
    r = _run(board, romfs, site, [])
    r["board"], r["board_qstrs"] = on_board(r)
    return r


def breakdown(board: dict, romfs: bool, site: str | None = None) -> dict:
    first = _run(board, romfs, site, [])
    order = import_order(first["modules"])
    r = _run(board, romfs, site, order)
    r["order"] = order
    return r


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--fs", action="store_true", help=".mpy files on the filesystem (default)")
    g.add_argument("--romfs", action="store_true", help="the package from a ROMFS image")
    ap.add_argument("--site", action="store_true", help="with a Wi-Fi site file")
    ap.add_argument("--board", default="esp32_devkitc")
    a = ap.parse_args()
    board = load_board(a.board)
    r = breakdown(board, a.romfs, SITE if a.site else None)
    rows = r["rows"]
    print(f"heap after boot, board configuration, {'ROMFS' if a.romfs else 'filesystem'}"
          f" ({a.board}{', Wi-Fi site file' if a.site else ''}): {r['heap']:,} B "
          f"(of which {r['fakes']:,} B the test fakes' {r['n']} objects); "
          f"{r['qstrs']:,} qstrs in {r['pools']} pools")
    est, nq = on_board(r)
    print(f"on a board (no fakes; the firmware's {r['qstrs'] - r['q_base']:,} qstrs from the "
          f"interpreter's {r['q_start']}: {nq:,}, the 7th pool from {_POOLS[6][0]:,}): "
          f"~{est:,} B")
    if not a.romfs:
        print(f"of which bytecode: {r['code']:,} B in the {r['functions']} functions and "
              "methods of the loaded modules (their .mpy files: rig.deploy.mpyinfo); "
              "from ROMFS it stays in flash")
    print(f"{'bytes':>8} {'qstrs':>6}  module")
    for what, n, q, p in sorted(rows, key=lambda x: -x[1]):
        print(f"{n:8,} {q:6}  {what}{'  +pool' if p else ''}")
    print(f"{sum(x[1] for x in rows):8,}         sum")
    return 0


if __name__ == "__main__":
    sys.exit(main())
