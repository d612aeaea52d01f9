"""A virtual board on a pty: the MicroPython firmware (as on the mpy target) serving
its HIL link on a pseudo-terminal, exactly as a real board serves it on USB serial.

It proves the serial target's host side without hardware (`SerialTarget(port=
board.port)`), and lets a bench engineer point any serial tool at the firmware.
"""

from __future__ import annotations

import os
import select
import shutil
import threading
import tty

from rig.targets.vm import MicroPythonVM, hil_boot_code, prepare_root


class PtyBoard:
    def __init__(self, board: dict, flash_dir: str | None = None) -> None:
        self.root = prepare_root(board, flash_dir)
        self.vm = MicroPythonVM(self.root, hil_boot_code(romfs=False))
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)  # a serial line: no echo, no line discipline
        self.port = os.ttyname(self.slave)
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._to_vm, daemon=True),
                         threading.Thread(target=self._from_vm, daemon=True)]
        for t in self._threads:
            t.start()

    def _to_vm(self) -> None:
        while not self._stop.is_set():
            r, _, _ = select.select([self.master], [], [], 0.1)
            if r:
                try:
                    data = os.read(self.master, 4096)
                except OSError:
                    return
                try:
                    self.vm.write(data)
                except Exception:
                    return

    def _from_vm(self) -> None:
        while not self._stop.is_set():
            try:
                line = self.vm.readline(0.1)
            except TimeoutError:
                continue
            except Exception:
                return
            os.write(self.master, line + b"\n")

    def close(self) -> None:
        self._stop.set()
        self.vm.close()
        for t in self._threads:
            t.join(timeout=2)
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)
