"""`rig commission`: the commissioning checklist against a board or the virtual rig, and
the record (JSON and HTML) a site keeps.

Why: at commissioning a technician proves, and writes down, that every sensor reads a
plausible value, every output moves when driven, the HP switch and the alarm relay act,
what the settings were and what the event log said. Done by hand it is a day of
notes; here every check is one Modbus conversation, its result in words (a failed
sensor says what is wrong with the signal, with the alarm's likely cause and what to
do, from the firmware's alarm table).

The checks, in order:
  identity    firmware version, board, register map (it must be this rig tool's)
  sensors     each input valid (else why, in words) and the pressures in their order
  outputs     mode Manual, each output driven by a manual value and read back, then
              every manual value released and the mode put back
  hp_switch   the HP switch opened: hp_ok reads open, alarm hp_switch raised, the
              HPEV override acts and the alarm relay pulls; closed and acknowledged:
              the alarm clears and the relay drops (with the alarms the trip raised:
              opened at a normal p_gc, the controller distrusts the reading). On the
              virtual rig the switch is opened by `rig fault`; on a board the
              technician opens it when asked
  alarm_relay the relay driven on and off by its manual value (the relay test)
  alarms      no critical or alarm-priority alarm active at the end
  settings    a snapshot of every setting (the ones differing from the default marked)
  events      the newest event-log entries
A check that could not be done (the HP switch without a technician) is "not done";
the record says PASSED only when every check passed.
"""

from __future__ import annotations

import html
import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlparse

import rig  # noqa: F401  (puts the firmware on sys.path)
from co2hr import VERSION
from co2hr.io import INPUTS, OUTPUTS
from co2hr.modbus import registers as R
from co2hr.modes import MANUAL
from co2hr.settings import HP_FIRST, SCHEMA
from rig.boards import APPS
from rig.cli import effects
from rig.cli.modbus import OBJECT_NAMES, _run, add_link_args
from rig.regs import alarmstate, codec, events, fwdoc, table
from rig.regs.link import Link

PASS, FAIL, NOT_DONE = "passed", "FAILED", "not done"
_ANALOG = INPUTS[:10]  # the analog inputs (co2hr.signals: 0..9)
# the supermarket's signals: the walk is that application's (its HP switch, its settings)
_REQ_IN, _OPT_IN, _REQ_OUT, _OPT_OUT = APPS["supermarket"]
_INPUTS = tuple(n for n in INPUTS if n in _REQ_IN + _OPT_IN)
_OUTPUTS = _REQ_OUT + _OPT_OUT
_DRIVE_STEP_PCT = 10.0  # a % output is moved this far from where it stands, and back
_TOL_PCT = 0.6  # read-back tolerance of a % output (registers hold 0.1 %)
WAIT_RIG_S = 30.0  # longest wait (controller time) for an output or an alarm
EVENTS_N = 30
_TRUST_WAIT_S = 75.0  # p_gc is trusted again 60 s after an acknowledged implausible reading


@dataclass
class Check:
    id: str
    title: str
    status: str = PASS
    details: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)

    def fail(self, text: str) -> None:
        self.status = FAIL
        self.details.append(text)

    def note(self, text: str) -> None:
        self.details.append(text)


def add_parsers(sub) -> None:
    p = sub.add_parser("commission", help="walk the commissioning checklist; write the "
                       "record (HTML and JSON)")
    p.add_argument("--out", default=".", metavar="DIR",
                   help="directory for commissioning-<time>.json/.html (default: here)")
    p.add_argument("--site", default="", help="site name for the record")
    p.add_argument("--by", default="", metavar="NAME", help="technician's name")
    p.add_argument("--socket", metavar="PATH",
                   help="a virtual rig's control socket (found from --tcp on this host)")
    p.add_argument("--code", type=int, default=R.UNLOCK_CODE, dest="unlock",
                   help=f"service unlock code (default: the factory code {R.UNLOCK_CODE})")
    add_link_args(p)
    p.set_defaults(func=cmd_commission)


# -- talking to the controller -------------------------------------------------------------

class Walk:
    """The checklist's conversation with one controller."""

    def __init__(self, link: Link, unlock: int, rig_socket: str | None, ask) -> None:
        self.link = link
        self.unlock = unlock
        self.rig_socket = rig_socket
        self.ask = ask  # ask(prompt) -> bool: the technician did it (None: nobody there)

    def read(self, names: list[str]) -> dict[str, float]:
        return self.link.read([table.lookup(n) for n in names])

    def set(self, name: str, value: float) -> None:
        r = table.lookup(name, writable=True)
        self.link.write(r, codec.encode(r, str(value)), self.unlock)

    def uptime(self) -> float:
        return self.read(["input:uptime_s"])["input:uptime_s"]

    def wait(self, names: list[str], ok, rig_s: float = WAIT_RIG_S) -> tuple[bool, dict]:
        """Read names until ok(values) or rig_s of controller time passed."""
        t0 = self.uptime()
        wall_end = time.monotonic() + 2.0 * rig_s + 5.0  # a controller that stopped
        while True:
            v = self.read(names + ["input:uptime_s"])
            if ok(v):
                return True, v
            if v["input:uptime_s"] - t0 > rig_s or time.monotonic() > wall_end:
                return False, v
            time.sleep(0.05)

    def alarms(self) -> list[alarmstate.State]:
        return alarmstate.states(self.link.read(alarmstate.regs()))

    def lock(self) -> None:
        self.link.lock()


def _fmt(name: str, v: float) -> str:
    return codec.fmt_value(table.lookup(name), v)


# -- the checks --------------------------------------------------------------------------

def check_identity(w: Walk) -> Check:
    c = Check("identity", "Controller identity and register map")
    info = w.link.device_info()
    for k in sorted(info):
        v = info[k]
        c.data[OBJECT_NAMES.get(k, "object %d" % k)] = (
            v.decode(errors="replace") if isinstance(v, bytes) else str(v))
    dev = int(w.read(["regmap_id"])["regmap_id"])
    c.data["register map"] = "0x%04x" % dev
    if dev != R.regmap_id():
        c.fail("register map 0x%04x differs from this rig tool's (0x%04x): update rig or "
               "the firmware before commissioning" % (dev, R.regmap_id()))
    else:
        c.note("firmware %s, register map 0x%04x (matches this rig tool)" % (
            c.data.get("firmware version", "?"), dev))
    return c


def _sensor_alarm(name: str) -> fwdoc.AlarmDoc | None:
    for bit, inp in alarmstate.SENSOR_INPUT.items():
        if inp == name:
            return fwdoc.alarms()[bit]
    return None


def check_sensors(w: Walk) -> list[Check]:
    names = list(_INPUTS)
    v = w.read(names + [n + "_fault" for n in names])
    out = []
    for n in names:
        r = table.lookup(n)
        c = Check(f"sensor:{n}", f"Sensor {n}: {r.desc.split(';')[0]}")
        x, code = v[n], int(v[n + "_fault"])
        c.data = {"value": None if math.isnan(x) else x, "unit": r.unit, "fault_code": code}
        if code or math.isnan(x):
            words = fwdoc.fault_words().get(code, "fault code %d" % code)
            c.fail(f"{n} is invalid: {words}")
            a = _sensor_alarm(n)
            if a is not None:
                c.note(f"alarm {a.code} {a.name}: {a.text}. Likely cause: {a.cause} "
                       f"What to do: {a.action}")
        else:
            c.note(f"reads {_fmt(n, x)}")
            if n == "hp_ok" and x < 0.5:
                c.fail("the HP safety switch reads open: close (reset) it before the plant "
                       "runs")
            if n == "fan_ok" and x < 0.5:
                c.fail("the fan alarm contact reads open: a fan or its controller reports a "
                       "fault")
        out.append(c)
    c = Check("sensors:order", "Pressures in their order (gas cooler >= receiver >= suction)")
    p = [v[n] for n in ("p_gc_bar", "p_rec_bar", "p_suc_bar")]
    if any(math.isnan(x) for x in p):
        c.status = NOT_DONE
        c.note("not done: a pressure is invalid (see its check)")
    elif not (p[0] >= p[1] - 1.0 and p[1] >= p[2] - 1.0):
        c.fail("p_gc %.1f, p_rec %.1f, p_suc %.1f bar are not in the order the plant has: "
               "transmitters swapped, or a range in the board file wrong" % tuple(p))
    else:
        c.note("p_gc %.1f >= p_rec %.1f >= p_suc %.1f bar" % tuple(p))
    out.append(c)
    return out


def _target(k: int, now: float) -> float:
    if k >= 5:  # the switches: the other state
        return 0.0 if now >= 0.5 else 1.0
    return now - _DRIVE_STEP_PCT if now > 100.0 - _DRIVE_STEP_PCT else now + _DRIVE_STEP_PCT


def _reached(name: str, target: float):
    return lambda v: abs(v[name] - target) <= _TOL_PCT


def check_outputs(w: Walk) -> list[Check]:
    """Mode Manual; each output but the alarm relay driven away from where it stands by
    its manual value and back to auto; the mode put back."""
    mode0 = w.read(["mode_cmd"])["mode_cmd"]
    out = []
    w.set("mode_cmd", MANUAL)
    try:
        for k, n in enumerate(OUTPUTS):
            if n == "alarm_relay" or n not in _OUTPUTS:
                continue  # (check_alarm_relay; the other application's)
            c = Check(f"output:{n}", f"Output {n}: driven in mode Manual and read back")
            now = w.read([n])[n]
            target = _target(k, now)
            w.set("man_" + n, target)
            ok, v = w.wait([n, "overrides"], _reached(n, target))
            c.data = {"before": now, "driven": target, "read": v[n]}
            if ok:
                c.note(f"{_fmt(n, now)} -> {_fmt(n, target)}: read back {_fmt(n, v[n])}")
            else:
                ov = codec.words(table.lookup("overrides"), v["overrides"])
                c.fail(f"driven to {_fmt(n, target)}, reads {_fmt(n, v[n])} after "
                       f"{WAIT_RIG_S:g} s" + (f" (overrides: {ov})" if ov else ""))
            w.set("man_" + n, -1)
            out.append(c)
    finally:
        w.set("manual_release", 1)
        w.set("mode_cmd", mode0)
        w.lock()
    return out


def check_alarm_relay(w: Walk) -> Check:
    c = Check("alarm_relay", "Alarm relay test (driven on and off by its manual value)")
    w.set("mode_cmd", MANUAL)
    try:
        for want in (1, 0):
            w.set("man_alarm_relay", want)
            ok, v = w.wait(["alarm_relay"], _reached("alarm_relay", want))
            c.data[f"driven {want}"] = v["alarm_relay"]
            if ok:
                c.note(f"driven {'on' if want else 'off'}: reads {_fmt('alarm_relay', want)}")
            else:
                c.fail(f"driven {'on' if want else 'off'}, reads "
                       f"{_fmt('alarm_relay', v['alarm_relay'])}")
    finally:
        w.set("man_alarm_relay", -1)  # (the caller puts the mode back)
    return c


def _switch(w: Walk, open_: bool) -> bool:
    """Open or close the HP switch: by `rig fault` on the virtual rig, else by the
    technician. False: nobody could."""
    if w.rig_socket:
        from rig.cli.fault import send

        req = ({"event": {"fault": "hp_ok", "kind": "open", "params": {}}} if open_ else
               {"event": {"clear": "hp_ok"}})
        try:
            rep = send(w.rig_socket, req)
        except (OSError, ValueError):
            return False  # no rig listens there: nobody could
        return bool(rep.get("ok"))
    return bool(w.ask("Open the HP safety switch circuit now (lift a wire or let the switch "
                      "trip), then confirm" if open_ else
                      "Close the HP safety switch circuit again (reset the switch), then "
                      "confirm"))


def check_hp_switch(w: Walk) -> Check:
    c = Check("hp_switch", "HP safety switch: alarm, HPEV override, alarm relay, reset")
    a_sw = next(a for a in fwdoc.alarms() if a.name == "hp_switch")
    a_ov = next(a for a in fwdoc.alarms() if a.name == "hp_override")
    was_active = {s.doc.code for s in w.alarms() if s.active}  # (before the trip)
    if not _switch(w, True):
        c.status = NOT_DONE
        c.note("not done: nobody opened the HP switch (run rig commission in a terminal at "
               "the plant, or against the virtual rig)")
        return c
    names = ["hp_ok", "alarm_relay"] + [f"alarm_word_{k}" for k in range(alarmstate.N_WORDS)]

    def active(v, a):
        return bool(int(v[f"alarm_word_{a.word}"]) >> a.word_bit & 1)

    others = [x.doc.code for x in alarmstate.holding_relay(w.link.read(alarmstate.regs()))
              if x.doc.code not in (a_sw.code, a_ov.code)]
    ok, v = w.wait(names, lambda v: v["hp_ok"] < 0.5 and active(v, a_sw) and active(v, a_ov)
                   and v["alarm_relay"] >= 0.5, a_sw.delay_s + 10.0)
    c.data["open"] = {"hp_ok": v["hp_ok"], "alarm_relay": v["alarm_relay"],
                      "hp_switch": active(v, a_sw), "hp_override": active(v, a_ov)}
    if ok:
        c.note(f"opened: hp_ok reads open, alarm {a_sw.code} {a_sw.name} and {a_ov.code} "
               f"{a_ov.name} raised, alarm relay on")
    else:
        c.fail("opened: " + ", ".join(f"{k} {x}" for k, x in c.data["open"].items()) +
               " (expected hp_ok 0, both alarms, the relay on)")
    if others:
        c.note("the alarm relay was already held by alarm(s) %s: it cannot show that this "
               "alarm pulls it" % ", ".join(map(str, others)))
    if not _switch(w, False):
        c.fail("the HP switch was not closed again")
        return c
    ok, v = w.wait(["hp_ok"], lambda v: v["hp_ok"] >= 0.5, 10.0)
    if not ok:
        c.fail("closed: hp_ok still reads open")
        return c
    before = w.link.read(alarmstate.regs())
    raised = _raised_by_the_trip(c, w, was_active, (a_sw.code, a_ov.code))
    for a in [a_sw] + raised:
        w.set("alarm_ack_code", a.code)
    w.lock()
    ok, v = w.wait(names, lambda v: not any(active(v, a) for a in [a_sw, a_ov] + raised)
                   and (v["alarm_relay"] < 0.5 or bool(others)),
                   _TRUST_WAIT_S if raised else 10.0)
    after = w.link.read(alarmstate.regs())
    c.data["acknowledged"] = alarmstate.ack_report(before, after, a_sw.code)
    if ok:
        c.note(f"closed and acknowledged: alarm {a_sw.code} cleared, the override ended, "
               + ("alarm relay off" if not others else "the relay stays on for the other "
                  "alarm(s)"))
    else:
        c.fail("closed and acknowledged, but: " + "; ".join(c.data["acknowledged"]))
    return c


def _raised_by_the_trip(c: Check, w: Walk, was_active: set[int],
                        own: tuple) -> list[fwdoc.AlarmDoc]:
    """The other alarms the test trip raised, to be acknowledged with the switch's.

    A switch that opens while p_gc reads far below its trip pressure means a lying
    transmitter or a faulty switch circuit; the controller cannot tell a test trip from
    either, so it distrusts p_gc (p_gc_implausible, the compressors held off until
    trusted again: docs/control.md, "When p_gc cannot be trusted")."""
    raised = [s for s in w.alarms() if s.active and s.doc.code not in was_active
              and s.doc.code not in own]
    c.data["raised"] = [s.doc.name for s in raised]
    if raised:
        c.note("the trip also raised " + ", ".join(f"{s.doc.code} {s.doc.name}" for s in raised)
               + ": acknowledged with the switch's alarm")
    return [s.doc for s in raised]


def check_alarms(w: Walk) -> Check:
    c = Check("alarms", "No critical or alarm-priority alarm active")
    st = [s for s in w.alarms() if s.active]
    c.data["active"] = [{"code": s.doc.code, "name": s.doc.name, "state": s.state_words()}
                        for s in st]
    for s in st:
        line = f"{alarmstate.headline(s.doc)}: {s.state_words()}"
        if s.doc.priority <= 2:
            c.fail(f"{line}. Likely cause: {s.doc.cause} What to do: {s.doc.action}")
        else:
            c.note(f"warning active: {line}")
    if not st:
        c.note("no alarm active")
    return c


def check_settings(w: Walk) -> Check:
    c = Check("settings", "Settings snapshot")
    schema = SCHEMA[:HP_FIRST]  # the supermarket plant's (a heat pump adds its own)
    regs = [table.lookup(row[0]) for row in schema]
    v = w.link.read(regs)
    rows = []
    for r, row in zip(regs, schema, strict=True):
        x = v[r.label]
        differs = row[0] != "unlock_code" and not math.isclose(x, row[1], abs_tol=1e-9)
        rows.append({"name": row[0], "value": x, "default": row[1], "unit": row[4],
                     "differs": differs, "text": codec.fmt_value(r, x)})
    c.data["settings"] = rows
    n = sum(1 for x in rows if x["differs"])
    c.note(f"{len(rows)} settings read, {n} differ from the default")
    if int(w.read(["unlock_code_default"])["unlock_code_default"]):
        c.note("note: the factory unlock code is in use: change unlock_code before leaving "
               "the site")
    return c


def check_events(w: Walk) -> Check:
    c = Check("events", f"Event log (the newest {EVENTS_N} entries)")
    got = events.read_events(w.link, last=EVENTS_N)
    c.data["events"] = [{"seq": e.seq, "time": e.when(), "text": e.text()} for e in got]
    c.note(f"{len(got)} entries read")
    return c


def walk(w: Walk) -> list[Check]:
    checks = [check_identity(w)]
    checks += check_sensors(w)
    checks += check_outputs(w)
    mode0 = w.read(["mode_cmd"])["mode_cmd"]
    try:
        checks.append(check_alarm_relay(w))
    finally:
        w.set("manual_release", 1)
        w.set("mode_cmd", mode0)
        w.lock()
    checks.append(check_hp_switch(w))
    effects.wait_tick(w.link.read)
    checks += [check_alarms(w), check_settings(w), check_events(w)]
    return checks


# -- the record ----------------------------------------------------------------------------

def result(checks: list[Check]) -> str:
    if any(c.status == FAIL for c in checks):
        return FAIL
    return PASS if all(c.status == PASS for c in checks) else "INCOMPLETE"


def record(checks: list[Check], where: str, site: str, by: str) -> dict:
    return {"kind": "commissioning record", "rig_tool": VERSION,
            "time_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "site": site, "technician": by, "controller": where,
            "result": result(checks), "checks": [asdict(c) for c in checks]}


_CSS = ("body{font-family:sans-serif;max-width:60em;margin:1em auto}"
        "table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;"
        "padding:.2em .4em;vertical-align:top;text-align:left}"
        ".passed{color:#060}.FAILED{color:#b00;font-weight:bold}.notdone{color:#a60}")


def _esc(x) -> str:
    return html.escape(str(x))


def render_html(rec: dict) -> str:
    h = ["<!doctype html><html><head><meta charset='utf-8'>",
         f"<title>Commissioning record {_esc(rec['site'])} {_esc(rec['time_utc'])}</title>",
         f"<style>{_CSS}</style></head><body>",
         "<h1>Commissioning record</h1>",
         "<table>"]
    for k in ("site", "technician", "controller", "time_utc", "rig_tool", "result"):
        h.append(f"<tr><th>{_esc(k.replace('_', ' '))}</th><td>{_esc(rec[k])}</td></tr>")
    h += ["</table>", "<h2>Checks</h2>", "<table><tr><th>check</th><th>result</th>"
          "<th>what was found</th></tr>"]
    for c in rec["checks"]:
        cls = c["status"].replace(" ", "")
        det = "<br>".join(_esc(d) for d in c["details"])
        h.append(f"<tr><td>{_esc(c['title'])}</td><td class='{cls}'>{_esc(c['status'])}"
                 f"</td><td>{det}</td></tr>")
    h.append("</table>")
    for c in rec["checks"]:
        if c["id"] == "settings":
            h += ["<h2>Settings</h2>", "<table><tr><th>setting</th><th>value</th>"
                  "<th>default</th></tr>"]
            h += [f"<tr><td>{_esc(s['name'])}</td><td>{'<b>' if s['differs'] else ''}"
                  f"{_esc(s['text'])}{'</b>' if s['differs'] else ''}</td>"
                  f"<td>{_esc(s['default'])} {_esc(s['unit'])}</td></tr>"
                  for s in c["data"]["settings"]]
            h.append("</table>")
        if c["id"] == "events":
            h += ["<h2>Event log</h2>", "<table><tr><th>seq</th><th>time</th><th>event</th>"
                  "</tr>"]
            h += [f"<tr><td>{e['seq']}</td><td>{_esc(e['time'])}</td><td>{_esc(e['text'])}"
                  "</td></tr>" for e in c["data"]["events"]]
            h.append("</table>")
    h.append("</body></html>")
    return "\n".join(h) + "\n"


def _rig_socket(a) -> str | None:
    if a.socket:
        return a.socket
    if not a.tcp:
        return None
    from rig.hil.control import control_path

    u = urlparse("//" + a.tcp)
    if u.hostname not in ("127.0.0.1", "localhost") or not u.port:
        return None
    p = control_path(u.port)
    return p if os.path.exists(p) else None


def _ask_tty(prompt: str) -> bool | None:
    if not sys.stdin.isatty():
        return None
    reply = input(f"{prompt} [y = done, n = skip]: ").strip().lower()
    return reply.startswith("y")


def cmd_commission(args) -> int:
    def go(a):
        sock = _rig_socket(a)
        with Link(a) as link:
            w = Walk(link, a.unlock, sock, _ask_tty)
            checks = walk(w)
            where = link.where + (" (virtual rig)" if sock else "")
        rec = record(checks, where, a.site, a.by)
        os.makedirs(a.out, exist_ok=True)
        stem = os.path.join(a.out, "commissioning-" + datetime.now().strftime("%Y%m%d-%H%M%S"))
        with open(stem + ".json", "w") as f:
            json.dump(rec, f, indent=1)
        with open(stem + ".html", "w") as f:
            f.write(render_html(rec))
        for c in checks:
            print(f"{c.status:<9} {c.title}" + (f": {c.details[0]}" if c.status != PASS and
                                                c.details else ""))
        print(f"commissioning {rec['result']}: {stem}.json, {stem}.html")
        return 0 if rec["result"] == PASS else 1

    return _run(go, args)
