"""The virtual rig's control socket: faults injected into a running `rig run` (`rig fault`).

Why: alarm handling is practised by breaking things on purpose, as on a training rig: a
sensor wire open or shorted, a stuck transmitter, a failed fan, a stuck valve, the HP
switch opening. The faults are the scenario files' event kinds (rig.hil.events: their
parse checks the request, their fire acts on the simulated board and the plant), so a
fault practised by hand is the one a scenario schedules.

The socket is a Unix stream socket beside the rig's TCP port (`control_path`), readable
by its user only; each connection carries one JSON request line and gets one JSON reply
line, handled in the rig's own loop (pump(), non-blocking; the rig is single-threaded):

    {"event": {"fault": "p_gc_bar", "kind": "open"}}      -> {"ok": true, "message": ...}
    {"event": {"valve_stuck": "hpev"}, "here": true}          (stuck where it stands now)
    {"clear_all": true}    {"status": true}
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
import time

from rig.hil import events
from rig.hil.fields import ScenarioError
from rig.plant.model import Faults

# The scenario event kinds a running rig takes (the rest need a scenario's runner).
ACTIONS = ("fault", "clear", "fan_failure", "valve_stuck")
MAX_REQUEST = 4096  # bytes; a longer request is refused
CLIENT_TIMEOUT_S = 5.0  # a connection that sends no whole request in this is dropped
_SRC = "rig fault"  # names the request in the event kinds' errors


def control_path(tcp_port: int) -> str:
    """Where the rig serving Modbus TCP on tcp_port listens for `rig fault`."""
    return os.path.join(tempfile.gettempdir(), f"rig-{os.getuid()}-{tcp_port}.sock")


class ControlError(ValueError):
    """A request the rig refuses: the reply's one-line error."""


def _bind(path: str) -> socket.socket:
    if os.path.exists(path):
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(path)
            raise OSError(f"another rig listens on {path}")
        except (ConnectionRefusedError, FileNotFoundError):
            os.unlink(path)  # left behind by a rig that did not stop cleanly
        finally:
            probe.close()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)  # the socket file: its user only
    try:
        s.bind(path)
    finally:
        os.umask(old)
    s.listen(4)
    s.setblocking(False)
    return s


class ControlServer:
    def __init__(self, path: str, rig) -> None:
        """rig: the VirtualRig (its coupling `rig.rig`: simboard and plant; `t_s`)."""
        self.path = path
        self.rig = rig
        self.sock: socket.socket | None = _bind(path)
        self.clients: list[tuple[socket.socket, bytearray, float]] = []
        self.active: dict[str, str] = {}  # what is injected now, in words
        self.requests = 0

    # -- the socket
    def pump(self) -> bool:
        """Accept and answer whatever is waiting. True when anything happened."""
        if self.sock is None:
            return False
        busy = False
        while True:
            try:
                c, _ = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                break
            c.setblocking(False)
            self.clients.append((c, bytearray(), time.monotonic()))
            busy = True
        for item in list(self.clients):
            busy |= self._serve(item)
        return busy

    def _serve(self, item) -> bool:
        c, buf, t0 = item
        try:
            data = c.recv(MAX_REQUEST)
        except (BlockingIOError, InterruptedError):
            data = None
        except OSError:
            data = b""
        if data:
            buf.extend(data)
        done = b"\n" in buf or data == b"" or len(buf) > MAX_REQUEST
        if not done and time.monotonic() - t0 < CLIENT_TIMEOUT_S:
            return data is not None
        if b"\n" in buf:
            reply = self.handle(bytes(buf).split(b"\n", 1)[0])
            try:
                c.setblocking(True)
                c.settimeout(1.0)
                c.sendall(json.dumps(reply).encode() + b"\n")
            except OSError:
                pass
        c.close()
        self.clients.remove(item)
        return True

    def close(self) -> None:
        for c, _b, _t in self.clients:
            c.close()
        self.clients.clear()
        if self.sock is not None:
            self.sock.close()
            self.sock = None
            try:
                os.unlink(self.path)
            except OSError:
                pass

    # -- requests
    def handle(self, line: bytes) -> dict:
        self.requests += 1
        t = self.rig.t_s
        try:
            req = json.loads(line)
            if not isinstance(req, dict):
                raise ControlError("expected a JSON object")
            msg = self._do(req)
        except ScenarioError as e:  # "rig fault: .kind: ..." -> "kind: ..."
            msg = str(e).removeprefix(_SRC + ": ").lstrip(".")
            return {"ok": False, "error": msg, "t_s": t}
        except ValueError as e:  # (JSON errors and ControlError)
            return {"ok": False, "error": str(e), "t_s": t}
        return {"ok": True, "message": msg, "t_s": t, "active": sorted(self.active.values())}

    def _do(self, req: dict) -> str:
        if req.get("status"):
            return "active faults: " + (", ".join(sorted(self.active.values())) or "none")
        if req.get("clear_all"):
            self.rig.rig.simboard.clear()
            self.rig.rig.plant.faults = Faults()
            n = len(self.active)
            self.active.clear()
            return f"{n} fault(s) cleared"
        e = req.get("event")
        if not isinstance(e, dict):
            raise ControlError("expected {\"event\": {...}}, {\"clear_all\": true} or "
                               "{\"status\": true}")
        return self._event(dict(e), bool(req.get("here")))

    def _event(self, e: dict, here: bool) -> str:
        keys = [k for k in ACTIONS if k in e]
        if len(keys) != 1:
            raise ControlError(f"give exactly one of {ACTIONS}")
        k = keys[0]
        plant = self.rig.rig.plant
        if k == "valve_stuck" and here and isinstance(e[k], str):
            valve = getattr(plant, e[k], None)
            if valve is not None:
                e["pct"] = round(valve.pos_pct, 1)  # stuck where it stands
        kind = events.KINDS[k]
        extra = set(e) - {k, *kind.keys}
        if extra:
            raise ControlError(f"unknown key(s) {sorted(extra)} for {k}")
        args = kind.parse(_SRC, "", e[k], e, self.rig.t_s, 1.0)
        kind.fire(self.rig, args, self.rig.t_s, {})
        return self._record(k, args)

    def _record(self, k: str, a: dict) -> str:
        t = f"at t = {self.rig.t_s:g} s"
        if k == "fault":
            what = f"{a['signal']} {a['kind']}"
            self.active[a["signal"]] = what
            return f"{what} {t}"
        if k == "clear":
            self.active.pop(a["signal"], None)
            return f"{a['signal']} cleared {t}"
        if k == "fan_failure":
            if a["failed"]:
                self.active["fan"] = "gas cooler fans failed"
            else:
                self.active.pop("fan", None)
            return f"gas cooler fans {'failed' if a['failed'] else 'running again'} {t}"
        if a["pct"] is None:
            self.active.pop(a["valve"], None)
            return f"{a['valve']} free again {t}"
        what = f"{a['valve']} stuck at {float(a['pct']):g} %"
        self.active[a["valve"]] = what
        return f"{what} {t}"
