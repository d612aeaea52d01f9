"""Compound-fault search: a pressure-sensor fault together with a fan failure, a stuck
HPEV or a failed T3, on a hot day, closed loop; what the plant's true pressures did.

Why: every single fault passes its scenario, and the faults that took the plant past
110 bar were pairs (p_gc open with the fans failed at 35 degC: 119.5 bar; a p_gc
drifting low with a fan failure). A case is a small dict (`Case`); `scenario()` makes
the scenario file a run needs, `run_case()` runs it on a target and returns the true
p_gc peak, the receiver peak and what vented; `cases()` is the hypothesis strategy the
test suite (hil_tests/test_faultsearch.py) and `tools/search_faults.py` draw from.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from hypothesis import strategies as st

SENSOR_KINDS = ("open", "short", "stuck", "drift_up", "drift_down")
SENSORS = ("p_gc_bar", "p_rec_bar")
SECOND = ("fan_failure", "hpev_stuck", "t3_open", "none")
DURATION_S = 1800.0
DRIFT_BAR_S = 0.05  # the drift rate of a drifting transmitter


@dataclass(frozen=True)
class Case:
    t_amb_c: float
    q_load_kw: float
    sensor: str
    kind: str
    at_s: float
    second: str
    second_at_s: float
    hpev_pct: float = 10.0  # where a stuck HPEV sticks
    duration_s: float = DURATION_S

    def name(self) -> str:
        return (f"{self.sensor}_{self.kind}@{self.at_s:.0f}+{self.second}"
                f"@{self.second_at_s:.0f}_{self.t_amb_c:.0f}C_{self.q_load_kw:.0f}kW")


def _sensor_event(c: Case) -> dict:
    ev = {"at_s": c.at_s, "fault": c.sensor}
    if c.kind.startswith("drift"):
        rate = DRIFT_BAR_S if c.kind == "drift_up" else -DRIFT_BAR_S
        ev.update(kind="drift", params={"rate_per_s": rate})
    else:
        ev["kind"] = c.kind
    return ev


def _second_event(c: Case) -> list[dict]:
    if c.second == "fan_failure":
        return [{"at_s": c.second_at_s, "fan_failure": True}]
    if c.second == "hpev_stuck":
        return [{"at_s": c.second_at_s, "valve_stuck": "hpev", "pct": c.hpev_pct}]
    if c.second == "t3_open":
        return [{"at_s": c.second_at_s, "fault": "t_gc_out_c", "kind": "open"}]
    return []


def scenario(c: Case) -> dict:
    """The scenario file (docs/scenarios.md) of case c."""
    return {"name": "faultsearch", "description": c.name(), "duration_s": c.duration_s,
            "profiles": {"t_amb_c": c.t_amb_c, "q_load_kw": c.q_load_kw},
            "plant": {"t_amb0_c": c.t_amb_c, "p_gc0_bar": 90.0},
            "events": [_sensor_event(c)] + _second_event(c)}


def run_case(c: Case, target, board: dict) -> dict:
    """Run case c on an open target; the plant's true extremes and the always-checks."""
    from rig.hil import checks, metrics
    from rig.hil import scenario as scen
    from rig.hil.runner import run

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "faultsearch.json"
        path.write_text(json.dumps(scenario(c)))
        loop = run(scen.load(path), target, board)
    s = metrics.summarize(loop)
    lim = s["limits"]
    failed = [n for n, ok, _d in checks.evaluate(s, []) if not ok]
    return {"case": asdict(c), "name": c.name(), "p_gc_max_bar": lim["p_gc_max_bar"],
            "p_gc_max_t_s": lim["p_gc_max_t_s"], "p_rec_max_bar": lim["p_rec_max_bar"],
            "vented_kg": lim["vented_kg"] or 0.0, "failed": failed}


def cases(max_amb_c: float = 45.0) -> st.SearchStrategy[Case]:
    """Compound cases: a pressure-sensor fault (p_gc or p_rec; open, short, stuck, drift
    up or down) with a second fault (fans, a stuck HPEV, T3 open, or none) at ambients
    20..max_amb_c and part to full load, the faults anywhere in the first 1 000 s."""
    return st.builds(
        Case,
        t_amb_c=st.integers(20, int(max_amb_c)).map(float),
        q_load_kw=st.sampled_from((50.0, 70.0, 90.0, 100.0)),
        sensor=st.sampled_from(SENSORS),
        kind=st.sampled_from(SENSOR_KINDS),
        at_s=st.integers(200, 1000).map(float),
        second=st.sampled_from(SECOND),
        second_at_s=st.integers(200, 1000).map(float),
        hpev_pct=st.sampled_from((5.0, 10.0, 25.0)),
    )
