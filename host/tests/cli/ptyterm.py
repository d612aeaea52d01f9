"""A program on a real pseudo-terminal of a given size, its screen read back through a
terminal emulator (pyte), as a technician's terminal would show it. A thread reads the
pty all along, as a terminal does (a program writing to a pty nobody reads blocks)."""

from __future__ import annotations

import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time

import pyte


class PtyTerminal:
    def __init__(self, argv: list[str], cols: int, rows: int) -> None:
        self.master, slave = os.openpty()
        self._size(slave, cols, rows)
        env = dict(os.environ, TERM="xterm-256color")
        for k in ("COLUMNS", "LINES"):
            env.pop(k, None)  # the size comes from the terminal, as in a real one
        self.p = subprocess.Popen([sys.executable, *argv], stdin=slave, stdout=slave,
                                  stderr=slave, env=env, start_new_session=True)
        os.close(slave)
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.raw = bytearray()
        self.lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                r, _, _ = select.select([self.master], [], [], 0.1)
                data = os.read(self.master, 65536) if r else b""
            except (OSError, ValueError):
                return
            if data:
                with self.lock:
                    self.raw += data
                    self.stream.feed(data)
            elif r:
                return  # EOF

    def display(self) -> list[str]:
        with self.lock:
            return list(self.screen.display)

    def _size(self, fd: int, cols: int, rows: int) -> None:
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def resize(self, cols: int, rows: int) -> None:
        """As a terminal window resized: the new size on the pty, SIGWINCH to the program."""
        with self.lock:
            self._size(self.master, cols, rows)
            self.screen.resize(rows, cols)
        os.killpg(self.p.pid, signal.SIGWINCH)

    def pump(self, seconds: float) -> None:
        """Let the program draw for a while."""
        time.sleep(seconds)

    def wait_for(self, text: str, timeout_s: float) -> list[str]:
        """The screen once it shows text (AssertionError with the screen after timeout)."""
        t_end = time.monotonic() + timeout_s
        while time.monotonic() < t_end:
            time.sleep(0.2)
            lines = self.display()
            if any(text in ln for ln in lines):
                return lines
            if self.p.poll() is not None:
                break
        with self.lock:
            tail = self.raw[-2000:].decode(errors="replace")
        raise AssertionError(f"{text!r} not on the screen:\n" + "\n".join(self.display())
                             + "\n" + tail)

    def stop(self) -> int:
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGTERM)
        try:
            rc = self.p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.p.pid, signal.SIGKILL)
            rc = self.p.wait()
        self._reader.join(timeout=2)
        os.close(self.master)
        return rc
