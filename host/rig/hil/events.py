"""The events a scenario file can schedule: one table, each kind with its parse (file ->
arguments, every mistake a one-line ScenarioError) and its fire (what it does to the
running rig).

Adding an event kind is one entry here and a row in docs/scenarios.md. `fire` gets the
closed-loop runner (rig.hil.runner.ClosedLoop): its coupled rig (`rig.simboard`,
`rig.plant`), its firmware view (`fw`) and the events that last beyond their instant
(`cut_power`, `arm_power_cut`, `start_poll`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from co2hr.io import INPUTS
from co2hr.settings import SCHEMA
from rig.hil.fields import ScenarioError, err, names_list, num
from rig.hil.simboard import FAULT_KINDS
from rig.regs import codec, table
from rig.regs.master import ModbusError
from rig.regs.order import OrderError

VALVES = ("hpev", "bev")
DIGITAL_INPUTS = ("comp_run", "hp_ok", "ext_enable", "fan_ok")
SETTING_NAMES = frozenset(row[0] for row in SCHEMA)


@dataclass
class Event:
    at_s: float
    kind: str  # a key of KINDS
    args: dict = field(default_factory=dict)

    def label(self) -> str:
        a = ", ".join(f"{k}={v}" for k, v in self.args.items())
        return f"{self.kind}({a})"


@dataclass(frozen=True)
class EventKind:
    # (src, where, value of the action key, the whole event table, at_s, time scale) -> args
    parse: Callable[[str, str, object, dict, float, float], dict]
    # (runner, args, t_s, the event's log record) -> None
    fire: Callable[[object, dict, float, dict], None]
    keys: tuple[str, ...] = ()  # keys the event may carry besides at_s and its action


def register_value(src: str, where: str, name: str, v) -> float:
    """A value a scenario writes to a register: a number, or words as `rig set` takes them
    ("Heat recovery", "on", "9600 baud"), that the firmware's table accepts for it (range,
    resolution, writable), so a run never starts with a refused write. The number."""
    if not isinstance(v, str):
        num(src, where, v)
    try:
        r = table.lookup(name, writable=True)
        return codec.decode(r, [codec.encode(r, v)])
    except (table.UnknownRegister, codec.OutOfRange, codec.ReadOnly) as e:
        raise err(src, where, str(e)) from None


def _signal(src: str, where: str, v) -> str:
    if v not in INPUTS:
        raise err(src, where, f"unknown signal {v!r}: one of {INPUTS}")
    return v


# -- sensor faults on the simulated board ---------------------------------------------------

def _parse_fault(src, where, v, e, _at, scale):
    args: dict = {"signal": _signal(src, where + ".fault", v)}
    kind = e.get("kind")
    if kind not in FAULT_KINDS:
        raise err(src, where + ".kind", f"{kind!r}: choose one of {FAULT_KINDS}")
    args["kind"] = kind
    params = e.get("params", {})
    if not isinstance(params, dict):
        raise err(src, where + ".params", "expected a table")
    for pk, pv in params.items():
        num(src, f"{where}.params.{pk}", pv)
    args["params"] = dict(params)
    if kind == "drift" and "rate_per_s" in params:  # a shorter scenario drifts faster
        args["params"]["rate_per_s"] = params["rate_per_s"] / scale
    return args


def _fire_fault(loop, a, _t, _rec):
    p = dict(a["params"])
    if a["kind"] == "drift" and "rate_per_s" in p:
        p["rate"] = p.pop("rate_per_s")  # SimBoard.inject's name
    loop.rig.simboard.inject(a["signal"], a["kind"], **p)


def _parse_clear(src, where, v, _e, _at, _scale):
    return {"signal": _signal(src, where + ".clear", v)}


def _fire_clear(loop, a, _t, _rec):
    loop.rig.simboard.clear(a["signal"])


def _parse_di(src, where, v, e, _at, _scale):
    if v not in DIGITAL_INPUTS:
        raise err(src, where + ".di", f"{v!r}: choose one of {DIGITAL_INPUTS}")
    return {"name": v, "value": int(num(src, where + ".value", e.get("value"), 0, 1))}


def _fire_di(loop, a, _t, _rec):
    loop.rig.simboard.set_di(a["name"], a["value"])


# -- plant faults ---------------------------------------------------------------------------

def _parse_fan_failure(src, where, v, _e, _at, _scale):
    if not isinstance(v, bool):
        raise err(src, where + ".fan_failure", "expected true or false")
    return {"failed": v}


def _fire_fan_failure(loop, a, _t, _rec):
    loop.rig.plant.faults.fan_failed = a["failed"]


def _parse_valve_stuck(src, where, v, e, _at, _scale):
    if v not in VALVES:
        raise err(src, where + ".valve_stuck", f"{v!r}: choose one of {VALVES}")
    pct = e.get("pct")
    if pct is not None:
        num(src, where + ".pct", pct, 0.0, 100.0)
    return {"valve": v, "pct": pct}


def _fire_valve_stuck(loop, a, _t, _rec):
    pct = None if a["pct"] is None else float(a["pct"])
    setattr(loop.rig.plant.faults, a["valve"] + "_stuck_pct", pct)


# -- the board's power ----------------------------------------------------------------------

def _parse_power_cut(src, where, v, e, _at, scale):
    args = {"off_s": num(src, where + ".power_cut_s", v, 0.0, 86400.0) * scale}
    if "rtc_backup" in e:  # the board's RTC runs on through this cut (a backup cell)
        if not isinstance(e["rtc_backup"], bool):
            raise err(src, where + ".rtc_backup", "expected true or false")
        args["rtc_backup"] = e["rtc_backup"]
    if "after_flash_bytes" in e:  # the cut comes inside a flash write, at that byte
        args["after_flash_bytes"] = int(num(src, where + ".after_flash_bytes",
                                            e["after_flash_bytes"], 0, 65536))
        part = e.get("flash_file", "ev")
        if not isinstance(part, str) or not part or " " in part:
            raise err(src, where + ".flash_file", "expected a part of a file name, e.g. \"ev\"")
        args["flash_file"] = part
    return args


def _fire_power_cut(loop, a, t_s, _rec):
    if "after_flash_bytes" in a:
        loop.arm_power_cut(t_s, a["off_s"], a["after_flash_bytes"], a["flash_file"])
    else:
        loop.cut_power(t_s, a["off_s"], a.get("rtc_backup", False))


# -- settings and Modbus traffic ------------------------------------------------------------

def _parse_setting(src, where, v, e, _at, _scale):
    if v not in SETTING_NAMES:
        raise err(src, where + ".setting", f"unknown setting {v!r}")
    return {"name": v, "value": register_value(src, where + ".value", v, e.get("value"))}


def _fire_setting(loop, a, t_s, _rec):
    try:
        loop.fw.write_settings({a["name"]: a["value"]})
    except (ModbusError, OrderError) as e:  # (the table took the value: an order refused it)
        raise ScenarioError(f"setting at {t_s:g} s: {e}") from None


def _parse_modbus_read(src, where, v, _e, _at, _scale):
    if not names_list(v):
        raise err(src, where + ".modbus_read", "expected \"all\" or a list of names")
    return {"names": v}


def _fire_modbus_read(loop, a, _t, rec):
    rec["values"] = loop.fw.read(a["names"])


def _parse_modbus_write(src, where, v, e, _at, _scale):
    if not isinstance(v, dict) or not v:
        raise err(src, where + ".modbus_write", "expected a table {name = value}")
    refused = e.get("refused", False)
    if not isinstance(refused, bool):
        raise err(src, where + ".refused", "expected true (the controller must refuse the "
                  "write and change nothing) or false")
    return {"values": {n: register_value(src, f"{where}.modbus_write.{n}", n, x)
                       for n, x in v.items()}, "refused": refused}


def _fire_modbus_write(loop, a, t_s, rec):
    """Settings only: one block write (the firmware checks them together); else one
    write per register. The values before and after are recorded; a refusal the file
    does not declare (`refused = true`) ends the run with its one-line reason."""
    names = list(a["values"])
    rec["before"] = loop.fw.read(names)
    rec["refused_by"] = ""
    try:
        if all(n in SETTING_NAMES for n in names):
            loop.fw.write_settings(a["values"])
        else:
            for n, v in a["values"].items():
                loop.fw.write(n, v)
    except (ModbusError, OrderError) as e:
        rec["refused_by"] = str(e)
    rec["after"] = loop.fw.read(names)
    if rec["refused_by"] and not a["refused"]:
        raise ScenarioError(f"modbus_write at {t_s:g} s: {rec['refused_by']}")


def _parse_modbus_poll(src, where, v, e, at_s, scale):
    if not names_list(v):
        raise err(src, where + ".modbus_poll", "expected \"all\" or a list of names")
    until = num(src, where + ".until_s", e.get("until_s"), at_s / scale) * scale
    per = int(num(src, where + ".requests_per_step", e.get("requests_per_step", 1), 1, 1000))
    return {"names": v, "until_s": until, "requests_per_step": per}


def _fire_modbus_poll(loop, a, _t, _rec):
    loop.start_poll(a["names"], a["until_s"], a["requests_per_step"])


# -- the controller's clock -------------------------------------------------------------------

CLOCK_BLOCK = ("clock_set_year", "clock_set_month", "clock_set_day", "clock_set_hour",
               "clock_set_minute", "clock_set_second")


def _parse_clock(src, where, v, _e, _at, _scale):
    from datetime import UTC, datetime

    try:
        d = datetime.fromisoformat(str(v).replace("Z", "+00:00"))
    except ValueError:
        d = None
    if d is None or d.tzinfo is None:
        raise err(src, where + ".clock", f"{v!r}: expected a UTC time like "
                  "\"2026-09-30T20:00:00Z\" (with Z or an offset)")
    d = d.astimezone(UTC)
    if not 2024 <= d.year <= 2099:
        raise err(src, where + ".clock", f"{v!r}: the controller takes 2024..2099")
    return {"utc": d.strftime("%Y-%m-%dT%H:%M:%SZ"), "unix_s": int(d.timestamp())}


def _fire_clock(loop, a, t_s, _rec):
    """Set the controller's clock over Modbus (holding 620..625, one block write after
    the service unlock), as `rig clock --set-from-host` does."""
    from datetime import UTC, datetime

    d = datetime.fromtimestamp(a["unix_s"], UTC)
    regs = [table.lookup(n) for n in CLOCK_BLOCK]
    loop.fw.master.write_regs(regs, [d.year, d.month, d.day, d.hour, d.minute, d.second])
    loop.clock_set = (t_s, a["unix_s"])


def _parse_note(_src, _where, v, _e, _at, _scale):
    return {"text": str(v)}


def _fire_note(_loop, _a, _t, _rec):
    pass  # a marker in the trace's event column and the log


# Action key -> kind. The order is the one error messages list them in.
KINDS: dict[str, EventKind] = {
    "fault": EventKind(_parse_fault, _fire_fault, ("kind", "params")),
    "clear": EventKind(_parse_clear, _fire_clear),
    "fan_failure": EventKind(_parse_fan_failure, _fire_fan_failure),
    "valve_stuck": EventKind(_parse_valve_stuck, _fire_valve_stuck, ("pct",)),
    "power_cut_s": EventKind(_parse_power_cut, _fire_power_cut,
                             ("after_flash_bytes", "flash_file", "rtc_backup")),
    "setting": EventKind(_parse_setting, _fire_setting, ("value",)),
    "modbus_read": EventKind(_parse_modbus_read, _fire_modbus_read),
    "modbus_write": EventKind(_parse_modbus_write, _fire_modbus_write, ("refused",)),
    "modbus_poll": EventKind(_parse_modbus_poll, _fire_modbus_poll,
                             ("until_s", "requests_per_step")),
    "di": EventKind(_parse_di, _fire_di, ("value",)),
    "note": EventKind(_parse_note, _fire_note),
    "clock": EventKind(_parse_clock, _fire_clock),
}
EVENT_KEYS = tuple(KINDS)


def parse(src: str, i: int, e, scale: float) -> Event:
    """Event i of a scenario file's events list."""
    where = f"events[{i}]"
    if not isinstance(e, dict):
        raise err(src, where, "expected a table")
    at = num(src, where + ".at_s", e.get("at_s"), 0.0) * scale
    keys = [k for k in EVENT_KEYS if k in e]
    if len(keys) != 1:
        raise err(src, where, f"give exactly one action of {EVENT_KEYS} (got {keys or 'none'})")
    k = keys[0]
    kind = KINDS[k]
    args = kind.parse(src, where, e[k], e, at, scale)
    extra = set(e) - {"at_s", k, *kind.keys}
    if extra:
        raise err(src, where, f"unknown key(s) {sorted(extra)} for a {k} event")
    return Event(at, k, args)


def fire(loop, ev: Event, t_s: float) -> dict:
    """Do what ev says to the running rig; its log record (time, kind, arguments and
    what it read)."""
    rec = {"t_s": t_s, "event": ev.kind, **ev.args}
    KINDS[ev.kind].fire(loop, ev.args, t_s, rec)
    return rec
