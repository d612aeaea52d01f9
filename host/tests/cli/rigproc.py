"""A `rig run` subprocess for tests: started exactly as a technician starts it, with the
TCP port and the RTU pty read back from what it prints."""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pty_gone(r: RigProcess) -> bool:
    """The rig's pty is closed: its path is gone, or is another, newer pty now (pty
    numbers are reused at once, e.g. by a rig of a test running in parallel)."""
    try:
        return os.stat(r.pty).st_ctime_ns != r.pty_ctime_ns
    except FileNotFoundError:
        return True


class RigProcess:
    def __init__(self, *args: str, wait_banner: bool = True, timeout_s: float = 60.0):
        self.tcp_port = free_port()
        cmd = [sys.executable, "-m", "rig.cli", "run", "--tcp-port", str(self.tcp_port), *args]
        self.p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, bufsize=1)
        self.lines: list[str] = []
        self.err: list[str] = []
        self._t = threading.Thread(target=self._read, daemon=True)
        self._t.start()
        self._te = threading.Thread(target=self._read_err, daemon=True)
        self._te.start()
        self.pty = ""
        if wait_banner:
            t_end = time.monotonic() + timeout_s
            while not any("Modbus RTU" in ln for ln in self.lines):
                if self.p.poll() is not None or time.monotonic() > t_end:
                    raise RuntimeError("rig run did not start:\n" + self.output() + "\n"
                                       + "".join(self.err))
                time.sleep(0.05)
            m = re.search(r"Modbus RTU : (\S+)", self.output())
            assert m
            self.pty = m.group(1)
            self.pty_ctime_ns = os.stat(self.pty).st_ctime_ns

    def _read(self) -> None:
        assert self.p.stdout is not None
        for ln in self.p.stdout:
            self.lines.append(ln)

    def _read_err(self) -> None:
        assert self.p.stderr is not None
        for ln in self.p.stderr:
            self.err.append(ln)

    def output(self) -> str:
        return "".join(self.lines)

    def banner_command(self, kind: str) -> list[str]:
        """The mbpoll line the rig printed for kind ("TCP" or "RTU"), as argv."""
        for ln in self.lines:
            if f"Modbus {kind}" in ln:
                return ln[ln.index("mbpoll"):].split()
        raise AssertionError(f"no Modbus {kind} line in:\n{self.output()}")

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 20.0) -> int:
        if self.p.poll() is None:
            self.p.send_signal(sig)
        try:
            rc = self.p.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = self.p.wait()
        self._t.join(timeout=5)
        self._te.join(timeout=5)
        return rc

    def wait(self, timeout_s: float) -> int:
        rc = self.p.wait(timeout=timeout_s)
        self._t.join(timeout=5)
        self._te.join(timeout=5)
        return rc


def tcp_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False



def run_cli(*argv: str) -> tuple[int, str, str]:
    """A `rig` command run in this process: (exit status, stdout, stderr)."""
    from rig.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(list(argv))
    return rc, out.getvalue(), err.getvalue()


def sil_rig():
    """A `rig run` on sil at 20x for a test module's fixture; checks a clean stop."""
    r = RigProcess("--target", "sil", "--no-view", "--speed", "20")
    yield r
    assert r.stop() == 0


def tcp_args(r: RigProcess) -> list[str]:
    """The technician commands' address of the rig's Modbus TCP port."""
    return ["--tcp", f"127.0.0.1:{r.tcp_port}"]
