"""The closed-loop runner: one scenario on one target, recorded step by step.

Why: every HIL check, `rig sim`, `make hil` and the day benchmark run the rig the same
way (`run_one`). Each step (dt = the scenario's step_s, 1 s) the due events fire
(rig.hil.events), the boundary profiles are applied, and the coupling step runs
(rig.hil.coupling): the simulated board presents the plant's terminals, the target runs
its loop at that time and its outputs drive the plant for dt. Firmware-side values are
read by register name over Modbus (rig.hil.fwview); everything is recorded per step
into the trace (rig.hil.trace). A power cut stops the firmware until the power returns;
then the board boots again (target.reboot()) and its clock restarts at 0. A cut armed
inside a flash write (`power_cut_s` with `after_flash_bytes`) comes in the step whose
write reaches that byte; the event log read before it and at the end of the run is
kept for the event_log_power_cut check.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from co2hr.storage import COUNTERS_PERIOD_MS
from rig.hil import checks, events
from rig.hil.coupling import Coupling, Step
from rig.hil.fwview import COUNTER_NAMES, FirmwareView
from rig.hil.quiet import QuietGate
from rig.hil.scenario import Scenario, ScenarioError
from rig.hil.trace import Trace
from rig.plant import Boundary, PlantParams
from rig.regs import events as evlog
from rig.regs.master import ModbusError
from rig.regs.order import OrderError
from rig.targets.base import FirmwareError, PowerLost, Target


def plant_params(overrides: dict) -> PlantParams:
    """PlantParams with a scenario's `plant` table applied."""
    pp = PlantParams()
    for k, v in overrides.items():
        cur = getattr(pp, k)
        setattr(pp, k, type(cur)(v) if isinstance(cur, (int, float)) else v)
    return pp


@dataclass
class RebootRecord:
    """What a power cut did to the firmware's settings and counters."""

    settings_before: dict | None = None
    settings_after: dict | None = None
    counters_before: dict | None = None
    # the counters one storage save period before the cut: the least a reboot may bring
    # back (the firmware saves them every COUNTERS_PERIOD_MS)
    counters_floor: dict | None = None
    counters_after: dict | None = None
    # with the clock set by a `clock` event: the controller's clock after the boot and
    # the time it should read (the time set plus the simulated time since)
    clock_after: dict | None = None


class ClosedLoop:
    """Run one scenario on one target: `run()` fills `trace` (a dict of columns), `log`
    (the events as they fired) and the figures metrics.summarize() reads."""

    def __init__(self, scenario: Scenario, target: Target, board: dict,
                 progress: Callable[[float, float], None] | None = None) -> None:
        self.sc = scenario
        self.target = target
        self.rig = Coupling(target, board, plant_params(scenario.plant))
        # the site's heat meter has the pulse value the firmware is set to (else the
        # simulated board's default: pulses the firmware is not told to count)
        wpp = scenario.settings.get("hr_meter_wh_per_pulse")
        if wpp:
            self.rig.simboard.heat_wh_per_pulse = float(wpp)
        self.fw = FirmwareView(target)
        self.progress = progress
        self._adaptive = scenario.quiet_step_s is not None or scenario.record_s is not None
        self._trace = Trace(scenario.profiles, weighted=self._adaptive)
        self.trace = self._trace.cols
        self.log: list[dict] = []
        self.reboots = 0
        self.reboot = RebootRecord()
        self.modbus_poll_stats = {"requests": 0, "exceptions": 0, "registers": 0}
        self.settings_start: dict = {}
        self.settings_end: dict = {}
        self.error: str | None = None  # why the run stopped early (plant or firmware)
        self.wall_s = 0.0
        self._cut_until = -1.0  # the power returns at this time (-1: not cut)
        self._rtc_backup = False  # this cut: the board's RTC runs on (its backup cell)
        self._poll_plan: list = []
        self._poll_until = -1.0
        self._poll_per_step = 0
        self._poll_i = 0
        self._ticks_base = self._overruns_base = 0  # the loop counters before the reboot
        self._ticks = self._overruns = 0
        self._fw_every = max(1, int(round(scenario.fw_sample_s / scenario.step_s)))
        self._last_fw: dict[str, float] = {}
        self._booted = 1  # the next row is the first after a boot
        self.evlog_cut: dict = {}  # a cut inside a flash write: the log before and after
        self.clock_set: tuple | None = None  # (t_s, Unix s) of a `clock` event
        self.calendar: dict | None = None  # the calendar counters at the end (clock set)
        self._armed_off_s = -1.0
        self.gate = QuietGate()
        self._skipped = 0  # control slots a long step passed over (not overruns)
        self._next_sample_s = 0.0
        self._next_row_s = 0.0
        self._row_enable = -1  # out.comp_enable in the last trace row (a change opens a row)

    # -- what events start (rig.hil.events)
    def _before_cut(self, t_s: float) -> None:
        rb = self.reboot
        rb.settings_before = self.fw.settings()
        rb.counters_before = self.fw.counters(self.fw.sample())
        rb.counters_floor = self._trace.first_at(t_s - COUNTERS_PERIOD_MS / 1000.0,
                                                 COUNTER_NAMES)

    def cut_power(self, t_s: float, off_s: float, rtc_backup: bool = False) -> None:
        self._before_cut(t_s)
        self._cut_until = t_s + off_s
        self._rtc_backup = rtc_backup

    def arm_power_cut(self, t_s: float, off_s: float, after_bytes: int, name_part: str) -> None:
        """The power fails once the firmware has written after_bytes more bytes to files
        whose name holds name_part, for off_s."""
        self._before_cut(t_s)
        entries = evlog.read_events(self.fw.master)
        pending = int(self.fw.read(["ev_pending"])["ev_pending"])
        self.evlog_cut = {"armed_s": t_s, "after_bytes": after_bytes, "file": name_part,
                          "cut_s": None, "on_flash_before": len(entries) - pending,
                          "before": [asdict(e) for e in entries], "after": []}
        self._armed_off_s = off_s
        self.target.arm_power_cut(after_bytes, name_part)

    def _power_lost(self, t_s: float) -> None:
        """The armed cut came in this step's flash write: the counters at the cut are the
        last sample (the board cannot be asked any more)."""
        self.evlog_cut["cut_s"] = t_s
        if self._last_fw:
            self.reboot.counters_before = self.fw.counters(self._last_fw)
        self._cut_until = t_s + self._armed_off_s
        self._armed_off_s = -1.0

    def start_poll(self, names, until_s: float, per_step: int) -> None:
        self._poll_plan = self.fw.poll_plan(names)
        self._poll_until = until_s
        self._poll_per_step = per_step
        self._poll_i = 0

    # -- one step
    def _power(self, t_s: float, labels: list[str]) -> bool:
        """Whether the board has power at t_s; at the power's return it boots again."""
        powered = t_s >= self._cut_until
        if self._cut_until >= 0.0 and powered:
            self.rig.power_up(t_s, self._rtc_backup)
            self.reboots += 1
            self._cut_until = -1.0
            self._ticks_base, self._overruns_base = self._ticks, self._overruns
            self._skipped = 0
            self.fw.connect()
            self.reboot.settings_after = self.fw.settings()
            self._booted = 1
            labels.append("reboot")
        return powered

    def _poll(self) -> None:
        st = self.modbus_poll_stats
        for _ in range(self._poll_per_step):
            request = self._poll_plan[self._poll_i % len(self._poll_plan)]
            self._poll_i += 1
            st["requests"] += 1
            if self.fw.poll(request):
                st["registers"] += request[2]
            else:
                st["exceptions"] += 1

    def _sample(self, k: int, t_s: float, step: Step) -> None:
        """The firmware's loop counters, the poll traffic due and its values (every
        fw_sample_s, and right after a boot)."""
        if step.result is None:
            self._last_fw = {}
            return
        self._ticks = self._ticks_base + step.result.ticks
        self._overruns = self._overruns_base + step.result.overruns - self._skipped
        if self._poll_until >= t_s:
            self._poll()
        if self._adaptive:
            due = t_s >= self._next_sample_s - 1e-9
            if due:
                self._next_sample_s = t_s + self.sc.fw_sample_s
        else:
            due = k % self._fw_every == 0
        if due or self._booted:
            self._last_fw = self.fw.sample()
            if self._booted and self.reboots and self.reboot.counters_after is None:
                self.reboot.counters_after = self.fw.counters(self._last_fw)
                if self.clock_set is not None:
                    c = self.fw.read(["clock_set", "clock_source", "clock_unix_s"])
                    c["expected_unix_s"] = self.clock_set[1] + t_s - self.clock_set[0]
                    c["t_s"] = t_s
                    self.reboot.clock_after = c

    def _step(self, k: int, t_s: float, b: dict, dt_s: float, powered: bool,
              labels: list[str], inner_s: float = 0.0) -> Step:
        def record(step: Step) -> None:
            """The state the firmware saw at t_s and what it commanded (before the plant
            moves)."""
            self._sample(k, t_s, step)
            counts = (self._ticks if powered else math.nan, self._overruns,
                      self._booted if powered else 0)
            tr = self._trace
            # a row at each change of the compressor enable too: the start checks read the
            # valve as the enable found it, not as it was record_s later
            enable = step.act.comp_enable
            if not self._adaptive or labels or self._booted or dt_s == 0.0 \
                    or t_s >= self._next_row_s - 1e-9 or enable != self._row_enable:
                self._row_enable = enable
                tr.close_row()
                tr.add(t_s, b, self.rig.plant.state, step.outputs, counts, labels,
                       self._last_fw)
                self._next_row_s = t_s + (self.sc.record_s or 0.0)
            if self._adaptive:
                tr.accumulate(b, self.rig.plant.state, dt_s)
            self._booted = 0

        bnd = Boundary(t_amb_c=b["t_amb_c"], q_load_kw=b["q_load_kw"],
                       q_heat_use_kw=b["q_heat_use_kw"], t_w_return_c=b["t_w_return_c"])
        return self.rig.step(t_s, bnd, dt_s, powered, record, inner_s)

    # -- the run
    def _stopped(self, t_s: float, e: Exception) -> bool:
        """Whether e ends the run with the trace kept: the firmware or the plant failed
        (anything else is the host's own error and propagates)."""
        stage = self.rig.stage
        if isinstance(e, FirmwareError) and stage == "firmware":
            self.error = f"firmware failed at t = {t_s:g} s: {e}"
        elif not isinstance(e, FirmwareError) and stage == "plant":
            self.error = f"plant failed at t = {t_s:g} s: {type(e).__name__}: {e}"
        return self.error is not None

    def _start(self) -> None:
        sc = self.sc
        self.fw.connect()
        if sc.settings:  # one block write: the firmware checks the orders between them
            try:
                self.fw.write_settings(sc.settings)
            except (ModbusError, OrderError) as e:  # (the table accepted each value)
                raise ScenarioError(f"{sc.source}: settings: {e}") from None
        self.settings_start = self.fw.settings()

    def run(self) -> dict[str, list]:
        self._start()
        wall0 = time.perf_counter()
        if self._adaptive:
            self._run_adaptive()
        else:
            self._run_fixed()
        self._trace.close_row()
        self.wall_s = time.perf_counter() - wall0
        self.settings_end = self.fw.settings()
        if self.evlog_cut and self.error is None:
            self.evlog_cut["after"] = [asdict(e) for e in evlog.read_events(self.fw.master)]
        if self.clock_set is not None and self.error is None:
            from rig.regs import energy

            seasons, months = energy.read_calendar(self.fw.master)
            self.calendar = {"clock_set": list(self.clock_set),
                             "seasons": [asdict(p) for p in seasons],
                             "months": [asdict(p) for p in months]}
        if self.progress:
            self.progress(self.sc.duration_s, self.sc.duration_s)
        return self.trace

    def _enter(self, t_s: float, due: list) -> tuple:
        """At t_s: fire the events that are due (popped from due), set the boundary's
        demand on the board and the power; -> (boundary, event labels, powered)."""
        labels = []
        while due and due[0].at_s <= t_s + 1e-9:
            ev = due.pop(0)
            self.log.append(events.fire(self, ev, t_s))
            labels.append(ev.label())
        b = self.sc.boundary_at(t_s)
        self.rig.simboard.set_demand_v(b["demand_v"])
        return b, labels, self._power(t_s, labels)

    def _run_fixed(self) -> None:
        """Every step dt = step_s, at t = k * dt."""
        sc = self.sc
        dt = sc.step_s
        n = int(round(sc.duration_s / dt))
        due = list(sc.events)
        for k in range(n + 1):
            t_s = k * dt
            b, labels, powered = self._enter(t_s, due)
            try:  # the last row is recorded without moving the plant
                try:
                    self._step(k, t_s, b, 0.0 if k == n else dt, powered, labels)
                except PowerLost:
                    if self._armed_off_s < 0:
                        raise
                    self._power_lost(t_s)
                    labels.append("power cut mid-write")
                    self._step(k, t_s, b, 0.0 if k == n else dt, False, labels)
            except Exception as e:
                if self._stopped(t_s, e):
                    break
                raise
            if k < n and self.progress and k % max(60, n // 50) == 0:
                self.progress(t_s, sc.duration_s)

    def _run_adaptive(self) -> None:
        """Steps of step_s, or quiet_step_s where the rig is quiet (rig.hil.quiet); one
        trace row per record_s (and at every event and boot)."""
        sc = self.sc
        dt, quiet = sc.step_s, sc.quiet_step_s or 0.0
        due = list(sc.events)
        stops = sc.breakpoints() + [sc.duration_s]
        period_s = getattr(getattr(self.target, "app", None), "period_ms", 1000) / 1000.0
        t_s, k, next_progress = 0.0, 0, 0.0
        while True:
            b, labels, powered = self._enter(t_s, due)
            last = t_s >= sc.duration_s - 1e-9
            long = (quiet > dt and powered and not labels and self._cut_until < 0
                    and self._armed_off_s < 0 and self._poll_until < t_s and self.gate.ok())
            h = quiet if long else dt
            while stops and stops[0] <= t_s + 1e-9:
                stops.pop(0)
            if stops and t_s + h > stops[0] - 1e-9:
                h = max(stops[0] - t_s, 0.0)
                long = long and h > dt
                h = h if long or h <= dt else dt
            h = 0.0 if last else h
            try:
                try:
                    step = self._step(k, t_s, b, h, powered, labels, dt if long else 0.0)
                except PowerLost:
                    if self._armed_off_s < 0:
                        raise
                    self._power_lost(t_s)
                    labels.append("power cut mid-write")
                    step = self._step(k, t_s, b, h, False, labels)
            except Exception as e:
                if self._stopped(t_s, e):
                    break
                raise
            if last:
                break
            if long:
                self.gate.long_steps += 1
                self._skipped += max(0, int(round(h / period_s)) - 1)
            else:
                self.gate.short_steps += 1
            self.gate.observe(h, self.rig.plant, step.outputs, self._last_fw,
                              bool(labels) or not powered)
            t_s += h
            k += 1
            if self.progress and t_s >= next_progress:
                self.progress(t_s, sc.duration_s)
                next_progress = t_s + max(60.0, sc.duration_s / 200)

    def reboot_summary(self) -> dict:
        return asdict(self.reboot)


def run(scenario: Scenario, target: Target, board: dict, progress=None) -> ClosedLoop:
    loop = ClosedLoop(scenario, target, board, progress)
    loop.run()
    return loop


def _companion(path, target: Target, board: dict, variant, overrides, pair: dict):
    """The companion run of a paired check: the same scenario with `pair` merged over
    the overrides, on a fresh firmware of the same kind (sil and mpy: a new target; a
    real board: rebooted)."""
    from rig.hil import scenario
    from rig.targets import open_target

    sc = scenario.load(path, variant=variant, overrides=scenario.merge(overrides or {}, pair))
    if target.name in ("sil", "mpy"):
        with open_target(target.name, board) as fresh:
            return run(sc, fresh, board)
    target.reboot()
    return run(sc, target, board)


def run_one(path, target: Target, board: dict, out_dir: Path, variant: str | None = None,
            overrides: dict | None = None,
            progress: Callable[[float, float], None] | None = None,
            plots: bool = True, paired: bool = True) -> dict:
    """Run one scenario file into out_dir (trace.csv, summary.json with its checks, and
    the plots); returns {"summary", "dir", "checks", "description"}. A scenario naming
    a paired check (rig.hil.checks) is run a second time as that check's companion
    (companion_trace.csv); paired=False skips it and those checks."""
    from rig.hil import metrics, report, scenario, trace

    sc = scenario.load(path, variant=variant, overrides=overrides)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    loop = run(sc, target, board, progress=progress)
    summary = metrics.summarize(loop)
    declared = sc.checks
    pair = checks.companion(declared)
    if pair is not None and not paired:
        declared = [(n, p) for n, p in declared if checks.TABLE[n].paired is None]
    elif pair is not None:
        other = _companion(path, target, board, variant, overrides, pair)
        summary["paired"] = metrics.paired(loop.trace, other.trace, sc.step_s)
        summary["paired"]["wall_s"] = other.wall_s
        trace.write_csv(other.trace, out_dir / "companion_trace.csv")
    results = checks.evaluate(summary, declared)
    summary["checks"] = [{"check": n, "pass": ok, "detail": d} for n, ok, d in results]
    trace.write_csv(loop.trace, out_dir / "trace.csv")
    report.write_summary(summary, out_dir / "summary.json")
    if plots:
        report.plot_all(loop.trace, summary, out_dir)
    return {"summary": summary, "dir": out_dir, "checks": results,
            "description": sc.description}
