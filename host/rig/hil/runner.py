"""The closed-loop runner: plant + simulated board + firmware target, one scenario.

Why: every HIL check, `rig sim`, `make hil` and the day benchmark run the rig the same
way: each step (dt = scenario step, 1 s) the boundary profiles and due events are
applied, the simulated board presents the plant's terminals, the target runs its loop
at that time and its outputs drive the plant for dt. Every plant and firmware signal is
recorded per step into a columnar trace whose column names carry their units.

Firmware-side values (mode, HR stage, references, alarms, counters, settings) are read
by register NAME through `FirmwareView`, decoded with the firmware's own register table
(co2hr.modbus.registers.rows()) over `target.modbus()`; there is no second copy of any
address. If a build has no Modbus server yet, the view falls back to the sil app's
objects (and on other targets reports outputs only).

Trace column prefixes: `bnd.` boundary (profiles), `plant.` plant state (truth),
`out.` firmware outputs, `fw.` firmware status/counters/alarm words, `sig.` what the
firmware's terminals saw (only for faulted inputs: the fault is in the event column).
"""

from __future__ import annotations

import math
import struct
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import cached_property
from pathlib import Path

from co2hr.io import OUTPUTS
from co2hr.storage import COUNTERS_PERIOD_MS
from rig.hil.scenario import Scenario
from rig.hil.simboard import SimBoard
from rig.plant import Actuators, Boundary, Plant, PlantParams
from rig.targets.base import FirmwareError, StepResult, Target

UNIT = 1  # Modbus unit address used on the HIL link

def _plant_cols() -> list[str]:
    from rig.plant import PlantState

    return [f.name for f in fields(PlantState) if f.name != "t_s"]


# -- firmware view --------------------------------------------------------------------------

class ModbusError(RuntimeError):
    pass


class FirmwareView:
    """Firmware values by register name through the firmware's own Modbus table."""

    STATUS_TABLES = ("status", "counters", "alarms")

    def __init__(self, target: Target):
        self.target = target
        self.requests = 0
        self.exceptions = 0
        self.rows: dict[str, tuple] = {}  # name -> row; the input register wins a clash
        self.holding: dict[str, tuple] = {}  # settings and commands by name
        self.mode = "none"
        try:
            from co2hr.modbus import registers as R
            self._R = R
            for r in R.rows():
                if r[0] == "holding" and r[1] >= R.MIRROR_BASE:
                    continue  # read-only mirror of the input registers
                if r[0] == "holding":
                    self.holding[r[2]] = r
                if r[2] not in self.rows or r[0] == "input":
                    self.rows[r[2]] = r
        except ImportError:
            self._R = None
        self._blocks: dict[str, list] = {}
        self.probe()

    def probe(self) -> None:
        """Decide how to reach the firmware: Modbus if it answers, else the sil app."""
        self.mode = "none"
        if self._R is not None and self.rows:
            try:
                self.read(["mode"] if "mode" in self.rows else [next(iter(self.rows))])
                self.mode = "modbus"
                return
            except (FirmwareError, ModbusError):
                pass
        app = getattr(self.target, "app", None)
        if app is not None and hasattr(app.control, "status"):
            self.mode = "direct"

    # -- names
    def names(self, group: str) -> list[str]:
        from co2hr import status as S

        if group == "status":
            return [r[0] for r in S.STATUS]
        if group == "counters":
            return [r[0] for r in S.COUNTERS]
        if group == "settings":
            from co2hr.settings import SCHEMA

            return [r[0] for r in SCHEMA]
        if group == "alarms":
            from co2hr.alarms import ALARMS

            return [r[1] for r in ALARMS]
        raise KeyError(group)

    # -- Modbus transport
    def pdu(self, req: bytes) -> bytes:
        self.requests += 1
        resp = self.target.modbus(UNIT, req)
        if not resp:
            raise ModbusError(f"no reply to function {req[0]}")
        if resp[0] & 0x80:
            self.exceptions += 1
            raise ModbusError(f"function {req[0]}: exception code {resp[1]}")
        return resp

    def _read_block(self, table: str, addr: int, qty: int) -> list[int]:
        fc = {"holding": 3, "input": 4, "coil": 1, "discrete": 2}[table]
        resp = self.pdu(struct.pack(">BHH", fc, addr, qty))
        if fc in (3, 4):
            return list(struct.unpack(">%dH" % qty, resp[2:2 + 2 * qty]))
        bits = resp[2:]
        return [(bits[i // 8] >> (i % 8)) & 1 for i in range(qty)]

    def _decode(self, row, regs: list[int]) -> float:
        typ, scale = row[5], row[4] or 1
        if typ == "u32":
            return float((regs[0] << 16) | regs[1]) / scale
        x = regs[0]
        if typ == "i16":
            if x == 0x8000 and row[0] == "input" and row[1] < 100:
                return math.nan  # invalid input signal
            if x > 32767:
                x -= 0x10000
        return x / scale

    def _plan(self, names: list[str], rows: dict | None = None) -> list:
        """Group names into contiguous requests: (table, start, qty, [(name, offset, n)])."""
        rows = self.rows if rows is None else rows
        items = []
        for n in names:
            r = rows.get(n)
            if r is None:
                raise KeyError(f"no register named {n!r} in the firmware's table")
            items.append((r[0], r[1], 2 if r[5] == "u32" else 1, n, r))
        items.sort()
        plan: list = []
        limit = {"holding": 125, "input": 125, "coil": 2000, "discrete": 2000}
        for table, addr, width, n, r in items:
            if plan and plan[-1][0] == table and addr == plan[-1][1] + plan[-1][2] \
                    and plan[-1][2] + width <= limit[table]:
                p = plan[-1]
                p[3].append((n, p[2], width, r))
                plan[-1] = (p[0], p[1], p[2] + width, p[3])
            else:
                plan.append((table, addr, width, [(n, 0, width, r)]))
        return plan

    def read(self, names: list[str], holding: bool = False) -> dict[str, float]:
        """Values by name (holding=True: settings/commands, where a name also used by an
        input register means the holding one)."""
        key = ("H:" if holding else "") + ",".join(names)
        plan = self._blocks.get(key)
        if plan is None:
            plan = self._blocks[key] = self._plan(names, self.holding if holding else None)
        out = {}
        for table, addr, qty, members in plan:
            regs = self._read_block(table, addr, qty)
            for n, off, width, r in members:
                out[n] = float(regs[off]) if r[5] == "bit" else self._decode(
                    r, regs[off:off + width])
        return out

    def write(self, name: str, value: float) -> None:
        r = self.holding.get(name) or self.rows.get(name)
        if r is None:
            raise KeyError(f"no register named {name!r} in the firmware's table")
        if r[6] != "rw":
            raise ModbusError(f"{name} is read-only")
        if r[0] == "holding" and r[1] < 500 and "service_unlock" in self.rows:
            u = self.rows["service_unlock"]
            self.pdu(struct.pack(">BHH", 6, u[1], self._R.UNLOCK_CODE))
        if r[5] == "bit":
            self.pdu(struct.pack(">BHH", 5, r[1], 0xFF00 if value else 0))
            return
        raw = int(round(value * (r[4] or 1)))
        self.pdu(struct.pack(">BHH", 6, r[1], raw & 0xFFFF))

    # -- what the runner samples each step
    def sample(self) -> dict[str, float]:
        if self.mode == "modbus":
            names = self.names("status") + self.names("counters") + [
                n for n in self.rows if n.startswith("alarm_word_")]
            return self.read(names)
        if self.mode == "direct":
            c = self.target.app.control
            d = {n: float(v) for n, v in zip(self.names("status"), c.status, strict=False)}
            cn = self.names("counters")
            d.update({n: float(v) for n, v in zip(cn, c.counters, strict=False)})
            act = c.alarms.active
            for k in range((len(act) + 15) // 16):
                d[f"alarm_word_{k}"] = float(sum(1 << (i - 16 * k)
                                                 for i in range(16 * k, min(len(act), 16 * k + 16))
                                                 if act[i]))
            return d
        return {}

    def settings(self) -> dict[str, float]:
        names = self.names("settings")
        if self.mode == "modbus":
            return self.read([n for n in names if n in self.holding], holding=True)
        if self.mode == "direct":
            s = self._direct_settings()
            return {n: float(s.get(n)) for n in names} if s is not None else {}
        return {}

    def _direct_settings(self):
        app = self.target.app
        return getattr(app, "settings", None) or getattr(app.control, "settings", None)

    def set_setting(self, name: str, value: float) -> None:
        if self.mode == "modbus":
            self.write(name, value)
        elif self.mode == "direct" and self._direct_settings() is not None:
            self._direct_settings().set(name, value)
        else:
            raise ModbusError(f"cannot change {name}: the firmware has no Modbus server")

    def poll_plan(self, names=None) -> list:
        """Requests covering every register of the map (or the named ones), as a master
        polling 'everything' would send them: contiguous blocks per table."""
        if names is not None:
            return self._plan(names)
        plan = []
        for table in ("input", "holding", "discrete", "coil"):
            rows = {f"{r[0]}:{r[1]}": r for r in self._R.rows() if r[0] == table}
            plan += self._plan(list(rows), rows)
        return plan


# -- the runner ---------------------------------------------------------------------------

def _plant_params(overrides: dict) -> PlantParams:
    pp = PlantParams()
    for k, v in overrides.items():
        cur = getattr(pp, k)
        setattr(pp, k, type(cur)(v) if isinstance(cur, (int, float)) else v)
    return pp


@dataclass
class Step:
    """What one coupled step did: the firmware's outputs and the actuators they drove."""

    outputs: list[float]
    act: Actuators
    result: StepResult | None  # the target's step; None while the board has no power


class ClosedLoop:
    """Run one scenario on one target. `run()` returns the trace (dict of columns).

    `step_once()` is the per-step coupling (terminals -> firmware -> outputs -> plant);
    run() calls it for every scenario step and rig.virtual_rig calls it paced to the
    wall clock (scenario None: a plant from plant_params, no events or profiles)."""

    def __init__(self, scenario: Scenario | None, target: Target, board: dict,
                 progress: Callable[[float, float], None] | None = None,
                 plant_params: PlantParams | None = None):
        self.sc = scenario
        self.target = target
        self.board = board
        self.progress = progress
        if plant_params is None:
            plant_params = _plant_params(scenario.plant if scenario is not None else {})
        self.plant = Plant(plant_params)
        self.simboard = SimBoard(board, self.plant)
        self.boot_ms = 0  # the board's clock restarts at each power-up
        self.stage = ""  # the part of step_once running (run() tells whose error it is)
        self.trace: dict[str, list] = {}
        self.log: list[dict] = []  # events as they fired, with results
        self.reboots = 0
        self.wall_s = 0.0
        self.settings_before_cut: dict | None = None
        self.counters_before_cut: dict | None = None
        self.settings_after_reboot: dict | None = None
        self.counters_after_reboot: dict | None = None
        # counters one storage save period before the cut: the least a reboot may
        # bring back (the firmware saves counters every COUNTERS_PERIOD_MS)
        self.counters_floor: dict | None = None
        self.modbus_poll_stats = {"requests": 0, "exceptions": 0, "registers": 0}
        self.settings_start: dict = {}
        self.error: str | None = None  # why the run stopped early (plant or firmware)
        self.settings_end: dict = {}

    @cached_property
    def fw(self) -> FirmwareView:
        # made when first used (run() starts with it), so a bare step_once() loop
        # does not probe the firmware's Modbus
        return FirmwareView(self.target)

    # one step
    def step_once(self, t_s: float, bnd: Boundary, dt_s: float = 1.0, powered: bool = True,
                  between: Callable[[Step], None] | None = None) -> Step:
        """One coupled step at t_s: the simulated board presents the plant's terminals,
        the target runs its loop at t_s (board clock: t_s - boot_ms), its outputs drive
        the actuators; between(step) then sees the plant state the firmware saw and what
        it commanded; last the plant runs dt_s with bnd (dt_s = 0: it does not move).
        powered=False: no firmware step; relays drop, 0-10 V outputs fall to 0 and the
        stepper holds. Errors propagate; self.stage says in which part."""
        sb, plant = self.simboard, self.plant
        res = None
        if powered:
            self.stage = "firmware"
            raw, ok = sb.terminals()
            res = self.target.step(int(round(t_s * 1000)) - self.boot_ms, raw, ok)
            out = res.outputs
            act = sb.apply_outputs(out)
        else:
            out = [plant.state.hpev_pos_pct, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
            act = Actuators(hpev_pct=out[0], bev_pct=0.0, hr_valve_pct=0.0, fan_pct=0.0,
                            hr_pump_pct=0.0, gc_bypass=0, comp_enable=0)
            sb.act = act
        step = Step(out, act, res)
        if between is not None:
            self.stage = "between"
            between(step)
        if dt_s:
            self.stage = "plant"
            plant.step(dt_s, act, bnd)
        self.stage = ""
        return step

    # events
    def _fire(self, ev, t_s: float) -> None:
        a = ev.args
        rec = {"t_s": t_s, "event": ev.kind, **{k: v for k, v in a.items()}}
        sb, plant = self.simboard, self.plant
        if ev.kind == "fault":
            sb.inject(a["signal"], a["kind"], **_fault_params(a["kind"], a["params"]))
        elif ev.kind == "clear":
            sb.clear(a["signal"])
        elif ev.kind == "fan_failure":
            plant.faults.fan_failed = a["failed"]
        elif ev.kind == "valve_stuck":
            setattr(plant.faults, a["valve"] + "_stuck_pct",
                    None if a["pct"] is None else float(a["pct"]))
        elif ev.kind == "power_cut_s":
            self._cut_until = t_s + a["off_s"]
            self.settings_before_cut = self.fw.settings()
            self.counters_before_cut = {k: v for k, v in self.fw.sample().items()
                                        if k in self.fw.names("counters")}
            self.counters_floor = self._counters_at(t_s - COUNTERS_PERIOD_MS / 1000.0)
        elif ev.kind == "setting":
            self.fw.set_setting(a["name"], a["value"])
        elif ev.kind == "modbus_read":
            names = a["names"]
            names = list(self.fw.rows) if names == "all" else names
            rec["values"] = self.fw.read(names)
        elif ev.kind == "modbus_write":
            for n, v in a["values"].items():
                self.fw.write(n, v)
        elif ev.kind == "modbus_poll":
            self._poll_until = a["until_s"]
            self._poll_per_step = a["requests_per_step"]
            self._poll_plan = self.fw.poll_plan(None if a["names"] == "all" else a["names"])
            self._poll_i = 0
        elif ev.kind == "di":
            sb.set_di(a["name"], a["value"])
        self.log.append(rec)

    def _poll(self) -> None:
        st = self.modbus_poll_stats
        for _ in range(self._poll_per_step):
            table, addr, qty, _m = self._poll_plan[self._poll_i % len(self._poll_plan)]
            self._poll_i += 1
            st["requests"] += 1
            try:
                self.fw._read_block(table, addr, qty)
                st["registers"] += qty
            except ModbusError:
                st["exceptions"] += 1

    def _counters_at(self, t_s: float) -> dict:
        """Counter values as traced at the first sample at or after t_s (the boot
        values when t_s lies before the run)."""
        tr = self.trace
        ts = tr.get("t_s") or []
        i = next((j for j, t in enumerate(ts) if t >= t_s), len(ts) - 1)
        out = {}
        for c in self.fw.names("counters"):
            col = tr.get("fw." + c)
            if col and i >= 0:
                vals = [v for v in col[i:] if v == v]  # first non-NaN sample from i on
                if vals:
                    out[c] = vals[0]
        return out

    def run(self) -> dict[str, list]:
        sc, target, plant, sb, fw = self.sc, self.target, self.plant, self.simboard, self.fw
        assert sc is not None, "run() needs a scenario"
        dt = sc.step_s
        n = int(round(sc.duration_s / dt))
        pcols = _plant_cols()
        fw_names: list[str] = []
        tr = self.trace
        cols = ["t_s"] + ["bnd." + k for k in sc.profiles] + ["plant." + c for c in pcols] + \
            ["out." + o for o in OUTPUTS] + ["fw.ticks", "fw.overruns", "fw.booted", "event"]
        for c in cols:
            tr[c] = []
        self._cut_until = -1.0
        self._poll_until = -1.0
        for name, v in sc.settings.items():
            fw.set_setting(name, v)
        self.settings_start = fw.settings()
        events = list(sc.events)
        ei = 0
        self.boot_ms = 0
        ticks_base = overruns_base = 0
        ticks = overruns = 0
        fw_every = max(1, int(round(sc.fw_sample_s / dt)))
        last_fw: dict[str, float] = {}
        booted = 1
        k, t_s, powered = 0, 0.0, True
        b: dict[str, float] = {}
        labels: list[str] = []

        def record(step: Step) -> None:
            """Sample the firmware and record the state it saw at t_s and what it
            commanded (before the plant moves)."""
            nonlocal ticks, overruns, last_fw, booted
            if step.result is not None:
                ticks = ticks_base + step.result.ticks
                overruns = overruns_base + step.result.overruns
                if self._poll_until >= t_s:
                    self._poll()
                if k % fw_every == 0 or booted:
                    last_fw = fw.sample()
                    if booted and self.reboots and self.counters_after_reboot is None:
                        self.counters_after_reboot = {
                            c: last_fw[c] for c in fw.names("counters") if c in last_fw}
                    for nm in last_fw:
                        if "fw." + nm not in tr:  # first seen: pad the rows before
                            tr["fw." + nm] = [math.nan] * len(tr["t_s"])
                            fw_names.append(nm)
            else:
                last_fw = {}
            st = plant.state
            tr["t_s"].append(t_s)
            for key, v in b.items():
                tr["bnd." + key].append(v)
            for c in pcols:
                v = getattr(st, c)
                tr["plant." + c].append(float(v))
            for o, v in zip(OUTPUTS, step.outputs, strict=False):
                tr["out." + o].append(float(v))
            tr["fw.ticks"].append(ticks if powered else math.nan)
            tr["fw.overruns"].append(overruns)
            tr["fw.booted"].append(booted if powered else 0)
            tr["event"].append("; ".join(labels))
            for nm in fw_names:
                tr["fw." + nm].append(last_fw.get(nm, math.nan))
            booted = 0

        wall0 = time.perf_counter()
        for k in range(n + 1):
            t_s = k * dt
            labels = []
            while ei < len(events) and events[ei].at_s <= t_s + 1e-9:
                self._fire(events[ei], t_s)
                labels.append(events[ei].label())
                ei += 1
            b = sc.boundary_at(t_s)
            sb.set_demand_v(b["demand_v"])
            bnd = Boundary(t_amb_c=b["t_amb_c"], q_load_kw=b["q_load_kw"],
                           q_heat_use_kw=b["q_heat_use_kw"], t_w_return_c=b["t_w_return_c"])
            powered = t_s >= self._cut_until
            if self._cut_until >= 0.0 and powered:  # power back: the board boots again
                target.reboot()
                self.reboots += 1
                self._cut_until = -1.0
                self.boot_ms = int(round(t_s * 1000))
                ticks_base, overruns_base = ticks, overruns
                fw.probe()
                self.settings_after_reboot = fw.settings()
                booted = 1
                labels.append("reboot")
            try:  # the last row is recorded without moving the plant
                self.step_once(t_s, bnd, 0.0 if k == n else dt, powered, record)
            except FirmwareError as e:
                if self.stage != "firmware":
                    raise
                self.error = f"firmware failed at t = {t_s:g} s: {e}"
                break
            except Exception as e:  # the plant gave up: keep the trace, say where and why
                if self.stage != "plant":
                    raise
                self.error = f"plant failed at t = {t_s:g} s: {type(e).__name__}: {e}"
                break
            if k == n:
                break
            if self.progress and k % max(60, n // 50) == 0:
                self.progress(t_s, sc.duration_s)
        self.wall_s = time.perf_counter() - wall0
        self.settings_end = fw.settings()
        if self.progress:
            self.progress(sc.duration_s, sc.duration_s)
        return tr


def _fault_params(kind: str, params: dict) -> dict:
    """Scenario fault parameters -> SimBoard.inject keywords."""
    p = dict(params)
    if kind == "drift" and "rate_per_s" in p:
        p["rate"] = p.pop("rate_per_s")
    return p


def run(scenario: Scenario, target: Target, board: dict, progress=None) -> ClosedLoop:
    loop = ClosedLoop(scenario, target, board, progress)
    loop.run()
    return loop


def run_one(path, target, board, out_dir: Path, variant=None, overrides=None,
            progress=True, plots=True) -> dict:
    """Run one scenario file into out_dir; returns {"summary", "dir", "checks", ...}."""
    from rig.hil import metrics, report, scenario

    sc = scenario.load(path, variant=variant, overrides=overrides)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    prog = text_progress() if progress else None
    loop = run(sc, target, board, progress=prog)
    summary = metrics.summarize(loop)
    checks = metrics.checks(summary)
    summary["checks"] = [{"check": n, "pass": ok, "detail": d} for n, ok, d in checks]
    report.write_trace_csv(loop.trace, out_dir / "trace.csv")
    report.write_summary(summary, out_dir / "summary.json")
    if plots:
        report.plot_all(loop.trace, summary, out_dir)
    return {"summary": summary, "dir": out_dir, "checks": checks, "description": sc.description}


def text_progress(stream=None, width: int = 40):
    """A plain-text progress bar for the terminal (carriage return, no dependency)."""
    stream = stream or sys.stderr
    t0 = time.perf_counter()

    def show(t_s: float, total_s: float) -> None:
        f = 0.0 if total_s <= 0 else min(1.0, t_s / total_s)
        bar = "#" * int(f * width) + "-" * (width - int(f * width))
        wall = time.perf_counter() - t0
        speed = t_s / wall if wall > 0 else 0.0
        stream.write(f"\r[{bar}] {f * 100:5.1f}%  {t_s:8.0f}/{total_s:.0f} s sim  "
                     f"{speed:7.0f}x real time")
        if f >= 1.0:
            stream.write("\n")
        stream.flush()

    return show
