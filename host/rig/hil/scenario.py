"""Scenario files: what the closed-loop runner does to the rig, written once as data.

Why: a rig engineer writes a day, a fault or a sweep as a small JSON or TOML file and the
same file runs on sil, mpy and a real board. This module loads and checks such a file and
turns it into callables (boundary profiles), a time-sorted event list (rig.hil.events)
and the acceptance checks it names (rig.hil.checks); every mistake in a file gets one
clear message naming the file and the place (`ScenarioError`). The format is documented
in docs/scenarios.md.

A file may carry a `test` table: `load(path, variant="test")` deep-merges it over the
rest (tables merge, everything else replaces), which is how hil_tests run shortened
versions of the shipped scenarios. `time_scale` (in the file, the test table or the
`overrides`) multiplies every time in the scenario: durations, profile times, sweep
holds, event times and metric windows; dt stays 1 s.
"""

from __future__ import annotations

import copy
import difflib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import rig.fw as fw
from rig.hil import checks, events
from rig.hil.fields import ScenarioError, err, num
from rig.plant.profiles import Profile

__all__ = ["Scenario", "ScenarioError", "load", "parse", "shipped", "shipped_dir"]

PROFILE_NAMES = ("t_amb_c", "q_load_kw", "q_heat_use_kw", "demand_v", "t_w_return_c")
PROFILE_DEFAULTS = {"t_amb_c": 20.0, "q_load_kw": 80.0, "q_heat_use_kw": 20.0, "demand_v": 0.0,
                    "t_w_return_c": 30.0}
PROFILE_RANGES = {"t_amb_c": (-50.0, 60.0), "q_load_kw": (0.0, 500.0),
                  "q_heat_use_kw": (0.0, 500.0), "demand_v": (0.0, 10.0),
                  "t_w_return_c": (1.0, 99.0)}
DAYS = ("danish_winter", "danish_summer")
# the firmware's controller takes ticks up to 10 s long as they are (longer ones it clamps)
QUIET_STEP_MAX_S = 10.0
TOP_KEYS = ("name", "description", "duration_s", "step_s", "time_scale", "plant", "profiles",
            "settings", "events", "metrics", "checks", "test", "fw_sample_s", "quiet_step_s",
            "record_s")
METRIC_KEYS = ("warmup_s", "steady", "steady_s", "steps_s", "settle_band_bar",
               "settle_window_s", "p_gc_limit_bar")


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
        return Series([0.0], [num(src, where, spec, lo, hi)])
    if not isinstance(spec, dict):
        raise err(src, where, "expected a number or a table with one of points, sweep, day, "
                  "year")
    kinds = [k for k in ("points", "sweep", "day", "year") if k in spec]
    if len(kinds) != 1:
        raise err(src, where, "give exactly one of: points, sweep, day, year")
    extra = set(spec) - {"points", "sweep", "day", "year", "interp", "period_s", "hold_s",
                         "start_s", "start_h", "seed"}
    if extra:
        raise err(src, where, f"unknown key(s) {sorted(extra)}")
    kind = kinds[0]
    if kind == "year":
        from rig.plant import year as yr

        if spec["year"] not in yr.YEARS:
            raise err(src, where + ".year", f"unknown year {spec['year']!r}: choose one of "
                      f"{yr.YEARS}")
        seed = spec.get("seed", 2025)
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise err(src, where + ".seed", f"expected an integer, got {seed!r}")
        start_h = num(src, where + ".start_h", spec.get("start_h", 0.0), 0.0, yr.HOURS)
        y = yr.reference_year(spec["year"], seed)
        return Series([0.0], [0.0], fn=y.series(name, start_h), scale=scale)
    if kind == "day":
        day = spec["day"]
        if day not in DAYS:
            raise err(src, where + ".day", f"unknown day {day!r}: choose one of {DAYS}")
        from rig.plant import profiles as pp

        d = pp.danish_winter_day() if day == "danish_winter" else pp.danish_summer_day()
        return Series([0.0], [0.0], fn=getattr(d, name), scale=scale)
    interp = spec.get("interp", "step" if kind == "sweep" else "linear")
    if interp not in ("linear", "step"):
        raise err(src, where + ".interp", f"{interp!r}: choose linear or step")
    if kind == "sweep":
        vals = spec["sweep"]
        if not isinstance(vals, list) or not vals:
            raise err(src, where + ".sweep", "expected a non-empty list of values")
        hold = num(src, where + ".hold_s", spec.get("hold_s"), 1.0) * scale
        start = num(src, where + ".start_s", spec.get("start_s", 0.0), 0.0) * scale
        vv = [num(src, f"{where}.sweep[{i}]", x, lo, hi) for i, x in enumerate(vals)]
        # the first value holds from 0 (a lead-in of start_s) to start_s + hold_s
        tt = [0.0] + [start + i * hold for i in range(1, len(vv))]
        segs = [(0.0 if i == 0 else start + i * hold, start + (i + 1) * hold, vv[i])
                for i in range(len(vv))]
        return Series(tt, vv, "step", segments=segs)
    pts = spec["points"]
    if not isinstance(pts, list) or not pts:
        raise err(src, where + ".points", "expected a non-empty list of [time_s, value]")
    tt, vv = [], []
    for i, p in enumerate(pts):
        if not (isinstance(p, list) and len(p) == 2):
            raise err(src, f"{where}.points[{i}]", f"expected [time_s, value], got {p!r}")
        tt.append(num(src, f"{where}.points[{i}][0]", p[0], 0.0) * scale)
        vv.append(num(src, f"{where}.points[{i}][1]", p[1], lo, hi))
    if any(b < a for a, b in zip(tt, tt[1:], strict=False)):
        raise err(src, where + ".points", "times must not decrease")
    period = spec.get("period_s")
    if period is not None:
        period = num(src, where + ".period_s", period, 1.0) * scale
    return Series(tt, vv, interp, period)


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
    events: list  # [rig.hil.events.Event], in time order
    metrics: dict
    fw_sample_s: float
    checks: list  # [(name, params)] of rig.hil.checks, in the file's order
    source: str = "?"
    raw: dict = field(default_factory=dict)
    quiet_step_s: float | None = None  # the long step where the rig is quiet (rig.hil.quiet)
    record_s: float | None = None  # one trace row per this (power columns: interval means)

    def breakpoints(self) -> list[float]:
        """Times a long step must not cross: events and the instants step profiles jump."""
        ts = {e.at_s for e in self.events}
        for s in self.profiles.values():
            ts.update(s.step_times())
        return sorted(ts)

    def boundary_at(self, t_s: float) -> dict:
        return {n: s(t_s) for n, s in self.profiles.items()}


def merge(base: dict, over: dict) -> dict:
    """base with over deep-merged into it (a copy)."""
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _plant_fields():
    from dataclasses import fields

    from rig.plant import PlantParams

    return {f.name: f.type for f in fields(PlantParams)}


def parse(data: dict, source: str = "<scenario>", variant: str | None = None,
          overrides: dict | None = None) -> Scenario:
    src = source
    if not isinstance(data, dict):
        raise err(src, "top level", "expected a table")
    unknown = set(data) - set(TOP_KEYS)
    if unknown:
        raise err(src, "top level", f"unknown key(s) {sorted(unknown)}; allowed: {TOP_KEYS}")
    if variant == "test" and "test" in data:
        if not isinstance(data["test"], dict):
            raise err(src, "test", "expected a table")
        data = merge(data, data["test"])
    elif variant not in (None, "test", "full"):
        raise err(src, "variant", f"{variant!r}: choose full or test")
    if overrides:
        data = merge(data, overrides)
    data = {k: v for k, v in data.items() if k != "test"}
    name = data.get("name", Path(source).stem)
    if not isinstance(name, str) or not name:
        raise err(src, "name", "expected a non-empty string")
    scale = num(src, "time_scale", data.get("time_scale", 1.0), 1e-4, 1e4)
    step = num(src, "step_s", data.get("step_s", 1.0), 0.01, 60.0)
    if "duration_s" not in data:
        raise err(src, "duration_s", "missing (the run length in seconds)")
    duration = num(src, "duration_s", data["duration_s"], step) * scale
    plant = _plant(src, data.get("plant", {}))
    profs_in = data.get("profiles", {})
    if not isinstance(profs_in, dict):
        raise err(src, "profiles", "expected a table")
    bad = set(profs_in) - set(PROFILE_NAMES)
    if bad:
        raise err(src, "profiles", f"unknown profile(s) {sorted(bad)}; allowed: {PROFILE_NAMES}")
    profiles = {n: _series(src, n, profs_in.get(n, PROFILE_DEFAULTS[n]), scale)
                for n in PROFILE_NAMES}
    settings = _settings(src, data.get("settings", {}))
    evs = _events(src, data.get("events", []), scale, duration)
    metrics = data.get("metrics", {})
    if not isinstance(metrics, dict):
        raise err(src, "metrics", "expected a table")
    bad = set(metrics) - set(METRIC_KEYS)
    if bad:
        raise err(src, "metrics", f"unknown key(s) {sorted(bad)}; allowed: {METRIC_KEYS}")
    metrics = _metrics(src, metrics, profiles, duration, scale)
    fw_sample = num(src, "fw_sample_s", data.get("fw_sample_s", step), step)
    declared = checks.parse(src, data.get("checks", []))
    desc = data.get("description", "")
    quiet = data.get("quiet_step_s")
    if quiet is not None:
        quiet = num(src, "quiet_step_s", quiet, step, QUIET_STEP_MAX_S)
    record = data.get("record_s")
    if record is not None:
        record = num(src, "record_s", record, step)
    return Scenario(name, str(desc), duration, step, scale, plant, profiles, settings, evs,
                    metrics, fw_sample, declared, source, data, quiet, record)


def _plant(src: str, plant) -> dict:
    if not isinstance(plant, dict):
        raise err(src, "plant", "expected a table of PlantParams fields")
    pf = _plant_fields()
    for k, v in plant.items():
        if k not in pf:
            raise err(src, f"plant.{k}", "not a PlantParams field")
        num(src, f"plant.{k}", v)
    return dict(plant)


def _settings(src: str, settings) -> dict:
    """The settings written at t = 0, by name: each a value the firmware's table accepts
    (numbers, or words: `mode_cmd = "Heat recovery"`), checked here so a run never starts
    with a refused write; the values as numbers."""
    if not isinstance(settings, dict):
        raise err(src, "settings", "expected a table {name = value}")
    out = {}
    for k, v in settings.items():
        if k not in events.SETTING_NAMES:
            close = difflib.get_close_matches(k, sorted(events.SETTING_NAMES), n=3)
            hint = f": did you mean {', '.join(close)}?" if close else \
                " (`rig read --list` lists them under Control/Communication settings)"
            raise err(src, f"settings.{k}", "unknown setting" + hint)
        out[k] = events.register_value(src, f"settings.{k}", k, v)
    return out


def _events(src: str, ev_in, scale: float, duration: float) -> list:
    if not isinstance(ev_in, list):
        raise err(src, "events", "expected a list of tables")
    evs = [events.parse(src, i, e, scale) for i, e in enumerate(ev_in)]
    for i, e in enumerate(evs):
        if e.at_s > duration:
            raise err(src, f"events[{i}].at_s", f"{e.at_s:g} s is after the end ({duration:g} s)")
    evs.sort(key=lambda e: e.at_s)
    return evs


def _metrics(src, m: dict, profiles: dict, duration: float, scale: float) -> dict:
    out = {"warmup_s": num(src, "metrics.warmup_s", m.get("warmup_s", 300.0), 0.0) * scale,
           "settle_band_bar": num(src, "metrics.settle_band_bar", m.get("settle_band_bar", 2.0),
                                   0.01),
           "settle_window_s": num(src, "metrics.settle_window_s",
                                   m.get("settle_window_s", 600.0), 1.0) * scale}
    out["warmup_s"] = min(out["warmup_s"], 0.5 * duration)
    # steady-state windows for the COP figure: explicit [[t0, t1]], or "sweep": the last
    # steady_s of each held value of the t_amb_c sweep, or none
    steady = m.get("steady", [])
    steady_s = m.get("steady_s")
    if steady == "sweep":
        segs = profiles["t_amb_c"].segments
        if not segs:
            raise err(src, "metrics.steady", "\"sweep\" needs profiles.t_amb_c to be a sweep")
        wins = []
        for t0, t1, _v in segs:
            span = (t1 - t0) / 3.0 if steady_s is None else \
                num(src, "metrics.steady_s", steady_s, 1.0) * scale
            wins.append([max(t0, t1 - span), min(t1, duration)])
        steady = [w for w in wins if w[1] > w[0]]
    elif steady == "end":
        span = duration / 3.0 if steady_s is None else \
            num(src, "metrics.steady_s", steady_s, 1.0) * scale
        steady = [[duration - span, duration]]
    elif isinstance(steady, list):
        wins = []
        for i, w in enumerate(steady):
            if not (isinstance(w, list) and len(w) == 2):
                raise err(src, f"metrics.steady[{i}]", "expected [t0_s, t1_s]")
            a = num(src, f"metrics.steady[{i}][0]", w[0], 0.0) * scale
            b = num(src, f"metrics.steady[{i}][1]", w[1], 0.0) * scale
            if b <= a:
                raise err(src, f"metrics.steady[{i}]", "t1 must be after t0")
            wins.append([a, min(b, duration)])
        steady = wins
    else:
        raise err(src, "metrics.steady", "expected \"sweep\", \"end\" or [[t0_s, t1_s], ...]")
    out["steady"] = steady
    steps = m.get("steps_s")
    if steps is None:  # the cooling-load steps of a step profile
        steps = profiles["q_load_kw"].step_times()
    else:
        if not isinstance(steps, list):
            raise err(src, "metrics.steps_s", "expected a list of times")
        steps = [num(src, f"metrics.steps_s[{i}]", x, 0.0) * scale for i, x in enumerate(steps)]
    out["steps_s"] = [t for t in steps if t < duration]
    if "p_gc_limit_bar" in m:
        out["p_gc_limit_bar"] = num(src, "metrics.p_gc_limit_bar", m["p_gc_limit_bar"], 1.0)
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
