"""`rig fault`: break something on a running virtual rig (`rig run`) to practise alarm
handling: a sensor wire open or shorted, a stuck or drifting transmitter, the gas
cooler fans failed, a stuck valve, the HP safety switch open; and clear it again.

It talks to the rig's control socket (rig.hil.control), found from the rig's Modbus TCP
port (--tcp-port, default 5020) or given as --socket. The faults are the scenario
files' event kinds, checked the same way (docs/scenarios.md); each is one line back:
what was done and when (rig time), or why it was refused. Exit status 1 when the rig
refused or cannot be reached.
"""

from __future__ import annotations

import json
import socket
import sys

from co2hr.io import INPUTS

SENSOR_FAULTS = ("open", "short", "stuck", "drift", "noise", "bus_error")
VALVES = ("hpev", "bev")
WHAT = SENSOR_FAULTS + ("fan", "valve", "hp_switch", "clear", "status")
REPLY_TIMEOUT_S = 5.0


def add_parsers(sub) -> None:
    p = sub.add_parser(
        "fault", help="inject a fault into a running `rig run` (practise alarms)",
        description="Inject a fault into a running virtual rig, or clear it. Examples: "
        "rig fault open p_gc_bar | rig fault short t_amb_c | rig fault stuck p_rec_bar | "
        "rig fault drift t_gc_out_c --rate 0.05 | rig fault fan | rig fault valve hpev "
        "[--pct 20] | rig fault hp_switch | rig fault clear p_gc_bar | rig fault clear "
        "fan|hpev|bev|all | rig fault status")
    p.add_argument("what", choices=WHAT, metavar="WHAT",
                   help="open, short, stuck, drift, noise, bus_error (a sensor), fan, valve, "
                   "hp_switch, clear, status")
    p.add_argument("target", nargs="?", metavar="NAME",
                   help=f"the signal ({', '.join(INPUTS)}), the valve (hpev, bev), or for "
                   "clear also fan / all")
    p.add_argument("--rate", type=float, metavar="PER_S",
                   help="drift: engineering units per second of rig time")
    p.add_argument("--sigma", type=float, help="noise: standard deviation, engineering units")
    p.add_argument("--pct", type=float, help="valve: stuck at this opening (default: where "
                   "it stands)")
    g = p.add_argument_group("which rig")
    g.add_argument("--tcp-port", type=int, default=5020,
                   help="the rig's Modbus TCP port (default 5020), names its socket")
    g.add_argument("--socket", metavar="PATH", help="the rig's control socket")
    p.set_defaults(func=cmd_fault)


class UsageError(ValueError):
    pass


def request(a) -> dict:
    """The control request for the parsed arguments."""
    w, name = a.what, a.target
    if w == "status":
        return {"status": True}
    if w in SENSOR_FAULTS:
        if not name:
            raise UsageError(f"rig fault {w}: name the signal (one of {', '.join(INPUTS)})")
        params = {k: v for k, v in (("rate_per_s", a.rate), ("sigma", a.sigma))
                  if v is not None}
        return {"event": {"fault": name, "kind": w, "params": params}}
    if w == "hp_switch":
        return {"event": {"fault": "hp_ok", "kind": "open", "params": {}}}
    if w == "fan":
        return {"event": {"fan_failure": True}}
    if w == "valve":
        if name not in VALVES:
            raise UsageError("rig fault valve: name the valve: hpev or bev")
        if a.pct is None:
            return {"event": {"valve_stuck": name}, "here": True}
        return {"event": {"valve_stuck": name, "pct": a.pct}}
    # clear
    if not name or name == "all":
        return {"clear_all": True}
    if name == "fan":
        return {"event": {"fan_failure": False}}
    if name in VALVES:
        return {"event": {"valve_stuck": name, "pct": None}}
    if name == "hp_switch":
        name = "hp_ok"
    return {"event": {"clear": name}}


def send(path: str, req: dict) -> dict:
    """One request to the rig's control socket; its reply."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(REPLY_TIMEOUT_S)
        s.connect(path)
        s.sendall(json.dumps(req).encode() + b"\n")
        buf = b""
        while b"\n" not in buf:
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
    return json.loads(buf.split(b"\n", 1)[0] or b"{}")


def cmd_fault(args) -> int:
    from rig.hil.control import control_path

    path = args.socket or control_path(args.tcp_port)
    try:
        rep = send(path, request(args))
    except UsageError as e:
        print(f"rig: {e}", file=sys.stderr)
        return 2
    except (FileNotFoundError, ConnectionRefusedError):
        print(f"rig: no virtual rig listens on {path}: is `rig run` running (with "
              f"--tcp-port {args.tcp_port})?", file=sys.stderr)
        return 1
    except (OSError, ValueError) as e:
        print(f"rig: the rig at {path} did not answer: {e}", file=sys.stderr)
        return 1
    if not rep.get("ok"):
        print(f"rig: the rig refused: {rep.get('error', 'no reason given')}", file=sys.stderr)
        return 1
    print(rep["message"])
    return 0
