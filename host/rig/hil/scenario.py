"""Scenario files: what the closed-loop runner does to the rig, written once as data.

Why: a rig engineer writes a day, a fault or a sweep as a small JSON or TOML file and the
same file runs on sil, mpy and a real board. This module loads and checks such a file and
turns it into callables (boundary profiles) and a time-sorted event list; every mistake
in a file gets one clear message naming the file and the place (`ScenarioError`).
The format is documented in docs/scenarios.md.

A file may carry a `test` table: `load(path, variant="test")` deep-merges it over the
rest (tables merge, everything else replaces), which is how hil_tests run shortened
versions of the shipped scenarios. `time_scale` (in the file, the test table or the
`overrides`) multiplies every time in the scenario: durations, profile times, sweep
holds, event times and metric windows; dt stays 1 s.
"""

from __future__ import annotations

import copy
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import rig.fw as fw
from co2hr.io import INPUTS
from rig.plant.profiles import Profile

PROFILE_NAMES = ("t_amb_c", "q_load_kw", "q_heat_use_kw", "demand_v", "t_w_return_c")
PROFILE_DEFAULTS = {"t_amb_c": 20.0, "q_load_kw": 80.0, "q_heat_use_kw": 20.0, "demand_v": 0.0,
                    "t_w_return_c": 30.0}
PROFILE_RANGES = {"t_amb_c": (-50.0, 60.0), "q_load_kw": (0.0, 500.0),
                  "q_heat_use_kw": (0.0, 500.0), "demand_v": (0.0, 10.0),
                  "t_w_return_c": (1.0, 99.0)}
DAYS = ("danish_winter", "danish_summer")
FAULT_KINDS = ("open", "short", "stuck", "drift", "noise", "bus_error")
VALVES = ("hpev", "bev")
DIGITAL_INPUTS = ("comp_run", "hp_ok", "ext_enable", "fan_ok")
EVENT_KEYS = ("fault", "clear", "fan_failure", "valve_stuck", "power_cut_s", "setting",
              "modbus_read", "modbus_write", "modbus_poll", "di", "note")
TOP_KEYS = ("name", "description", "duration_s", "step_s", "time_scale", "plant", "profiles",
            "settings", "events", "metrics", "test", "fw_sample_s")
METRIC_KEYS = ("warmup_s", "steady", "steady_s", "steps_s", "settle_band_bar",
               "settle_window_s", "p_gc_limit_bar")


class ScenarioError(ValueError):
    """A scenario file that cannot be run; the message names the file and the place."""


def _err(src: str, where: str, msg: str) -> ScenarioError:
    return ScenarioError(f"{src}: {where}: {msg}")


def _num(src, where, v, lo=-math.inf, hi=math.inf) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise _err(src, where, f"expected a number, got {v!r}")
    if not lo <= v <= hi:
        raise _err(src, where, f"{v} outside {lo:g}..{hi:g}")
    return float(v)


# -- profiles -----------------------------------------------------------------------------

class Series(Profile):
    """A boundary value over time: constant, piecewise (linear or step) points, a sweep of
    held values, or one field of a named Danish day. Times already scaled."""

    def __init__(self, t: list[float], v: list[float], interp: str = "linear",
                 period_s: float | None = None, segments: list | None = None,
                 fn=None, scale: float = 1.0):
        super().__init__(zip(t, v, strict=True), period_s, interp)
        self.segments = segments or []  # sweep: [(t0, t1, value)]
        self._fn, self._scale = fn, scale

    def __call__(self, t_s: float) -> float:
        if self._fn is not None:
            return self._fn(t_s / self._scale)
        return super().__call__(t_s)

    def step_times(self) -> list[float]:
        """Times where a step profile changes value (the load-step instants)."""
        if self.interp != "step":
            return []
        return [self.t[i] for i in range(1, len(self.t)) if self.v[i] != self.v[i - 1]]


def _series(src: str, name: str, spec, scale: float) -> Series:
    where = f"profiles.{name}"
    lo, hi = PROFILE_RANGES[name]
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        return Series([0.0], [_num(src, where, spec, lo, hi)])
    if not isinstance(spec, dict):
        raise _err(src, where, "expected a number or a table with one of points, sweep, day")
    kinds = [k for k in ("points", "sweep", "day") if k in spec]
    if len(kinds) != 1:
        raise _err(src, where, "give exactly one of: points, sweep, day")
    extra = set(spec) - {"points", "sweep", "day", "interp", "period_s", "hold_s", "start_s"}
    if extra:
        raise _err(src, where, f"unknown key(s) {sorted(extra)}")
    kind = kinds[0]
    if kind == "day":
        day = spec["day"]
        if day not in DAYS:
            raise _err(src, where + ".day", f"unknown day {day!r}: choose one of {DAYS}")
        from rig.plant import profiles as pp

        d = pp.danish_winter_day() if day == "danish_winter" else pp.danish_summer_day()
        return Series([0.0], [0.0], fn=getattr(d, name), scale=scale)
    interp = spec.get("interp", "step" if kind == "sweep" else "linear")
    if interp not in ("linear", "step"):
        raise _err(src, where + ".interp", f"{interp!r}: choose linear or step")
    if kind == "sweep":
        vals = spec["sweep"]
        if not isinstance(vals, list) or not vals:
            raise _err(src, where + ".sweep", "expected a non-empty list of values")
        hold = _num(src, where + ".hold_s", spec.get("hold_s"), 1.0) * scale
        start = _num(src, where + ".start_s", spec.get("start_s", 0.0), 0.0) * scale
        vv = [_num(src, f"{where}.sweep[{i}]", x, lo, hi) for i, x in enumerate(vals)]
        # the first value holds from 0 (a lead-in of start_s) to start_s + hold_s
        tt = [0.0] + [start + i * hold for i in range(1, len(vv))]
        segs = [(0.0 if i == 0 else start + i * hold, start + (i + 1) * hold, vv[i])
                for i in range(len(vv))]
        return Series(tt, vv, "step", segments=segs)
    pts = spec["points"]
    if not isinstance(pts, list) or not pts:
        raise _err(src, where + ".points", "expected a non-empty list of [time_s, value]")
    tt, vv = [], []
    for i, p in enumerate(pts):
        if not (isinstance(p, list) and len(p) == 2):
            raise _err(src, f"{where}.points[{i}]", f"expected [time_s, value], got {p!r}")
        tt.append(_num(src, f"{where}.points[{i}][0]", p[0], 0.0) * scale)
        vv.append(_num(src, f"{where}.points[{i}][1]", p[1], lo, hi))
    if any(b < a for a, b in zip(tt, tt[1:], strict=False)):
        raise _err(src, where + ".points", "times must not decrease")
    period = spec.get("period_s")
    if period is not None:
        period = _num(src, where + ".period_s", period, 1.0) * scale
    return Series(tt, vv, interp, period)


# -- events -------------------------------------------------------------------------------

@dataclass
class Event:
    at_s: float
    kind: str  # one of EVENT_KEYS
    args: dict = field(default_factory=dict)

    def label(self) -> str:
        a = ", ".join(f"{k}={v}" for k, v in self.args.items())
        return f"{self.kind}({a})"


def _event(src: str, i: int, e, scale: float, settings_names) -> Event:
    where = f"events[{i}]"
    if not isinstance(e, dict):
        raise _err(src, where, "expected a table")
    at = _num(src, where + ".at_s", e.get("at_s"), 0.0) * scale
    keys = [k for k in EVENT_KEYS if k in e]
    if len(keys) != 1:
        raise _err(src, where, f"give exactly one action of {EVENT_KEYS} (got {keys or 'none'})")
    k = keys[0]
    v = e[k]
    args: dict = {}
    allowed = {"at_s", k}
    if k in ("fault", "clear"):
        if v not in INPUTS:
            raise _err(src, f"{where}.{k}", f"unknown signal {v!r}: one of {INPUTS}")
        args["signal"] = v
        if k == "fault":
            kind = e.get("kind")
            if kind not in FAULT_KINDS:
                raise _err(src, where + ".kind", f"{kind!r}: choose one of {FAULT_KINDS}")
            args["kind"] = kind
            params = e.get("params", {})
            if not isinstance(params, dict):
                raise _err(src, where + ".params", "expected a table")
            for pk, pv in params.items():
                _num(src, f"{where}.params.{pk}", pv)
            args["params"] = dict(params)
            if kind == "drift" and "rate_per_s" in params:
                args["params"]["rate_per_s"] = params["rate_per_s"] / scale
            allowed |= {"kind", "params"}
    elif k == "fan_failure":
        if not isinstance(v, bool):
            raise _err(src, where + ".fan_failure", "expected true or false")
        args["failed"] = v
    elif k == "valve_stuck":
        if v not in VALVES:
            raise _err(src, where + ".valve_stuck", f"{v!r}: choose one of {VALVES}")
        pct = e.get("pct")
        if pct is not None:
            _num(src, where + ".pct", pct, 0.0, 100.0)
        args.update(valve=v, pct=pct)
        allowed.add("pct")
    elif k == "power_cut_s":
        args["off_s"] = _num(src, where + ".power_cut_s", v, 0.0, 86400.0) * scale
    elif k == "setting":
        if settings_names is not None and v not in settings_names:
            raise _err(src, where + ".setting", f"unknown setting {v!r}")
        args.update(name=v, value=_num(src, where + ".value", e.get("value")))
        allowed.add("value")
    elif k == "modbus_read":
        if not (isinstance(v, list) and all(isinstance(x, str) for x in v)) and v != "all":
            raise _err(src, where + ".modbus_read", "expected \"all\" or a list of names")
        args["names"] = v
    elif k == "modbus_write":
        if not isinstance(v, dict) or not v:
            raise _err(src, where + ".modbus_write", "expected a table {name = value}")
        for n, x in v.items():
            _num(src, f"{where}.modbus_write.{n}", x)
        args["values"] = dict(v)
    elif k == "modbus_poll":
        if v != "all" and not (isinstance(v, list) and all(isinstance(x, str) for x in v)):
            raise _err(src, where + ".modbus_poll", "expected \"all\" or a list of names")
        until = _num(src, where + ".until_s", e.get("until_s"), at / scale) * scale
        per = int(_num(src, where + ".requests_per_step", e.get("requests_per_step", 1),
                       1, 1000))
        args.update(names=v, until_s=until, requests_per_step=per)
        allowed |= {"until_s", "requests_per_step"}
    elif k == "di":
        if v not in DIGITAL_INPUTS:
            raise _err(src, where + ".di", f"{v!r}: choose one of {DIGITAL_INPUTS}")
        args.update(name=v, value=int(_num(src, where + ".value", e.get("value"), 0, 1)))
        allowed.add("value")
    elif k == "note":
        args["text"] = str(v)
    extra = set(e) - allowed
    if extra:
        raise _err(src, where, f"unknown key(s) {sorted(extra)} for a {k} event")
    return Event(at, k, args)


# -- the scenario -------------------------------------------------------------------------

@dataclass
class Scenario:
    name: str
    description: str
    duration_s: float
    step_s: float
    time_scale: float
    plant: dict
    profiles: dict  # name -> Series
    settings: dict
    events: list
    metrics: dict
    fw_sample_s: float
    source: str = "?"
    raw: dict = field(default_factory=dict)

    def boundary_at(self, t_s: float) -> dict:
        return {n: s(t_s) for n, s in self.profiles.items()}


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _settings_names():
    try:
        from co2hr.settings import SCHEMA

        return {row[0] for row in SCHEMA}
    except ImportError:  # pragma: no cover - the schema is part of the firmware
        return None


def _plant_fields():
    from dataclasses import fields

    from rig.plant import PlantParams

    return {f.name: f.type for f in fields(PlantParams)}


def parse(data: dict, source: str = "<scenario>", variant: str | None = None,
          overrides: dict | None = None) -> Scenario:
    src = source
    if not isinstance(data, dict):
        raise _err(src, "top level", "expected a table")
    unknown = set(data) - set(TOP_KEYS)
    if unknown:
        raise _err(src, "top level", f"unknown key(s) {sorted(unknown)}; allowed: {TOP_KEYS}")
    if variant == "test" and "test" in data:
        if not isinstance(data["test"], dict):
            raise _err(src, "test", "expected a table")
        data = _merge(data, data["test"])
    elif variant not in (None, "test", "full"):
        raise _err(src, "variant", f"{variant!r}: choose full or test")
    if overrides:
        data = _merge(data, overrides)
    data = {k: v for k, v in data.items() if k != "test"}
    name = data.get("name", Path(source).stem)
    if not isinstance(name, str) or not name:
        raise _err(src, "name", "expected a non-empty string")
    scale = _num(src, "time_scale", data.get("time_scale", 1.0), 1e-4, 1e4)
    step = _num(src, "step_s", data.get("step_s", 1.0), 0.01, 60.0)
    if "duration_s" not in data:
        raise _err(src, "duration_s", "missing (the run length in seconds)")
    duration = _num(src, "duration_s", data["duration_s"], step) * scale
    plant = data.get("plant", {})
    if not isinstance(plant, dict):
        raise _err(src, "plant", "expected a table of PlantParams fields")
    pf = _plant_fields()
    for k, v in plant.items():
        if k not in pf:
            raise _err(src, f"plant.{k}", "not a PlantParams field")
        _num(src, f"plant.{k}", v)
    profs_in = data.get("profiles", {})
    if not isinstance(profs_in, dict):
        raise _err(src, "profiles", "expected a table")
    bad = set(profs_in) - set(PROFILE_NAMES)
    if bad:
        raise _err(src, "profiles", f"unknown profile(s) {sorted(bad)}; allowed: {PROFILE_NAMES}")
    profiles = {n: _series(src, n, profs_in.get(n, PROFILE_DEFAULTS[n]), scale)
                for n in PROFILE_NAMES}
    settings = data.get("settings", {})
    if not isinstance(settings, dict):
        raise _err(src, "settings", "expected a table {name = value}")
    names = _settings_names()
    for k, v in settings.items():
        if names is not None and k not in names:
            raise _err(src, f"settings.{k}", "unknown setting (see co2hr/settings_*.py)")
        _num(src, f"settings.{k}", v)
    ev_in = data.get("events", [])
    if not isinstance(ev_in, list):
        raise _err(src, "events", "expected a list of tables")
    events = [_event(src, i, e, scale, names) for i, e in enumerate(ev_in)]
    for i, e in enumerate(events):
        if e.at_s > duration:
            raise _err(src, f"events[{i}].at_s", f"{e.at_s:g} s is after the end ({duration:g} s)")
    events.sort(key=lambda e: e.at_s)
    metrics = data.get("metrics", {})
    if not isinstance(metrics, dict):
        raise _err(src, "metrics", "expected a table")
    bad = set(metrics) - set(METRIC_KEYS)
    if bad:
        raise _err(src, "metrics", f"unknown key(s) {sorted(bad)}; allowed: {METRIC_KEYS}")
    metrics = _metrics(src, metrics, profiles, duration, scale)
    fw_sample = _num(src, "fw_sample_s", data.get("fw_sample_s", step), step)
    desc = data.get("description", "")
    return Scenario(name, str(desc), duration, step, scale, dict(plant), profiles,
                    dict(settings), events, metrics, fw_sample, source, data)


def _metrics(src, m: dict, profiles: dict, duration: float, scale: float) -> dict:
    out = {"warmup_s": _num(src, "metrics.warmup_s", m.get("warmup_s", 300.0), 0.0) * scale,
           "settle_band_bar": _num(src, "metrics.settle_band_bar", m.get("settle_band_bar", 2.0),
                                   0.01),
           "settle_window_s": _num(src, "metrics.settle_window_s",
                                   m.get("settle_window_s", 600.0), 1.0) * scale}
    out["warmup_s"] = min(out["warmup_s"], 0.5 * duration)
    # steady-state windows for the COP figure: explicit [[t0, t1]], or "sweep": the last
    # steady_s of each held value of the t_amb_c sweep, or none
    steady = m.get("steady", [])
    steady_s = m.get("steady_s")
    if steady == "sweep":
        segs = profiles["t_amb_c"].segments
        if not segs:
            raise _err(src, "metrics.steady", "\"sweep\" needs profiles.t_amb_c to be a sweep")
        wins = []
        for t0, t1, _v in segs:
            span = (t1 - t0) / 3.0 if steady_s is None else \
                _num(src, "metrics.steady_s", steady_s, 1.0) * scale
            wins.append([max(t0, t1 - span), min(t1, duration)])
        steady = [w for w in wins if w[1] > w[0]]
    elif steady == "end":
        span = duration / 3.0 if steady_s is None else \
            _num(src, "metrics.steady_s", steady_s, 1.0) * scale
        steady = [[duration - span, duration]]
    elif isinstance(steady, list):
        wins = []
        for i, w in enumerate(steady):
            if not (isinstance(w, list) and len(w) == 2):
                raise _err(src, f"metrics.steady[{i}]", "expected [t0_s, t1_s]")
            a = _num(src, f"metrics.steady[{i}][0]", w[0], 0.0) * scale
            b = _num(src, f"metrics.steady[{i}][1]", w[1], 0.0) * scale
            if b <= a:
                raise _err(src, f"metrics.steady[{i}]", "t1 must be after t0")
            wins.append([a, min(b, duration)])
        steady = wins
    else:
        raise _err(src, "metrics.steady", "expected \"sweep\", \"end\" or [[t0_s, t1_s], ...]")
    out["steady"] = steady
    steps = m.get("steps_s")
    if steps is None:  # the cooling-load steps of a step profile
        steps = profiles["q_load_kw"].step_times()
    else:
        if not isinstance(steps, list):
            raise _err(src, "metrics.steps_s", "expected a list of times")
        steps = [_num(src, f"metrics.steps_s[{i}]", x, 0.0) * scale for i, x in enumerate(steps)]
    out["steps_s"] = [t for t in steps if t < duration]
    if "p_gc_limit_bar" in m:
        out["p_gc_limit_bar"] = _num(src, "metrics.p_gc_limit_bar", m["p_gc_limit_bar"], 1.0)
    return out


def load(path, variant: str | None = None, overrides: dict | None = None) -> Scenario:
    """Read a .json or .toml scenario file; `variant="test"` applies its test table."""
    p = Path(path)
    src = str(p)
    try:
        text = p.read_text()
    except OSError as e:
        raise ScenarioError(f"{src}: cannot read: {e.strerror or e}") from None
    try:
        if p.suffix == ".toml":
            data = tomllib.loads(text)
        elif p.suffix == ".json":
            data = json.loads(text)
        else:
            raise ScenarioError(f"{src}: unknown file type {p.suffix!r}: use .json or .toml")
    except json.JSONDecodeError as e:
        raise ScenarioError(f"{src}: line {e.lineno} column {e.colno}: invalid JSON: {e.msg}") \
            from None
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(f"{src}: invalid TOML: {e}") from None
    return parse(data, src, variant, overrides)


def shipped_dir() -> Path:
    return fw.REPO / "hil_tests" / "scenarios"


def shipped() -> list[Path]:
    d = shipped_dir()
    return sorted(list(d.glob("*.json")) + list(d.glob("*.toml")))
