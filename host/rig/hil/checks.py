"""Pass/fail checks of a closed-loop run: one table, each check a function of the run's
summary (rig.hil.metrics) and its parameters.

The checks marked `always` hold on every run and are not listed in a scenario file: the
run completed, the pressure and water limits, no tick overruns. A scenario file names
the others in its `checks` list, with their parameters (docs/scenarios.md):

    "checks": ["cooling_delivered", {"check": "cop_near_optimum", "min_ratio": 0.98}]

so a scenario keeps its acceptance criteria whatever its file is called. The same
results mark the HTML report of `make hil`, `rig sim`'s exit status and hil_tests.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from rig.hil.fields import err, num

P_GC_ABS_LIMIT_BAR = 110.0  # never above this, whatever p_gc_max_bar is set to
W_BOIL_LIMIT_C = 95.0  # HR water outlet: well below boiling at the loop's pressure
# The HR staging thresholds of the 0-10 V demand signal (docs/control.md).
STAGE_THRESHOLDS_V = {"pump_on": 0.5, "pump_off": 0.3, "raise_on": 1.0, "fan_red_on": 8.0,
                      "bypass_on": 9.6, "bypass_off": 9.3}

Result = tuple[str, bool, str]  # (name, passed, detail)


@dataclass(frozen=True)
class Check:
    run: Callable[..., list[Result]]  # (summary, **params) -> results
    params: dict[str, tuple[float, float, float]]  # name -> (default, lo, hi)
    always: bool = False
    # a check that compares the run with a companion run: the scenario overrides that
    # make the companion (rig.hil.runner runs it and puts metrics.paired() in the
    # summary as "paired")
    paired: dict | None = None


TABLE: dict[str, Check] = {}


def check(name: str, always: bool = False, paired: dict | None = None,
          **params: tuple[float, float, float]):
    """Register the decorated function as check `name`; params: (default, lo, hi)."""
    def register(fn):
        TABLE[name] = Check(fn, params, always, paired)
        return fn
    return register


def companion(declared: list[tuple[str, dict]]) -> dict | None:
    """The overrides of the companion run the declared checks need (None: none)."""
    for name, _p in declared:
        if TABLE[name].paired is not None:
            return TABLE[name].paired
    return None


def _result(name: str, ok, detail: str) -> Result:
    return (name, bool(ok), detail)


# -- on every run -----------------------------------------------------------------------------

@check("run_complete", always=True)
def _run_complete(s):
    return [_result("run complete", s.get("complete"),
                    s.get("error") or f"{s.get('duration_s')} s")]


@check("p_gc_below_max", always=True)
def _p_gc_below_max(s):
    lim = s["limits"]
    if lim.get("p_gc_limit_bar") is None:
        return []
    margin = lim.get("p_gc_limit_margin_bar")  # against the p_gc_max_bar in force then
    ok = margin >= 0.0 if margin is not None else lim["p_gc_max_bar"] <= lim["p_gc_limit_bar"]
    return [_result("p_gc never above the configured maximum", ok,
                    f"max {lim['p_gc_max_bar']} bar at {lim['p_gc_max_t_s']} s, configured "
                    f"{lim['p_gc_limit_bar']} bar" + ("" if margin is None else
                                                      f", closest {margin:.3g} bar below"))]


@check("p_gc_below_abs_limit", always=True)
def _p_gc_below_abs_limit(s):
    lim = s["limits"]
    return [_result(f"p_gc never above {P_GC_ABS_LIMIT_BAR:g} bar",
                    lim["p_gc_max_bar"] <= P_GC_ABS_LIMIT_BAR, f"max {lim['p_gc_max_bar']} bar")]


@check("nothing_vents", always=True)
def _nothing_vents(s):
    """No relief valve opened (high side at 120 bar, receiver at its design pressure):
    the protections, not the plant's last line, hold the pressures."""
    lim = s["limits"]
    kg = lim.get("vented_kg") or 0.0
    open_s = lim.get("relief_open_s") or 0.0
    return [_result("nothing vented", kg == 0.0 and open_s == 0.0,
                    f"{kg:.3g} kg vented, a relief valve open {open_s:.0f} s")]


@check("water_below_limit", always=True)
def _water_below_limit(s):
    w = s["water"]
    return [_result(f"HR water never above {W_BOIL_LIMIT_C:g} degC",
                    w["t_w_out_max_c"] <= W_BOIL_LIMIT_C,
                    f"max {w['t_w_out_max_c']} degC at {w['t_w_out_max_t_s']} s")]


@check("no_overruns", always=True)
def _no_overruns(s):
    return [_result("no tick overruns", s["overruns"] == 0,
                    f"{s['overruns']} overruns in {s['ticks']} ticks")]


# -- named by scenarios -------------------------------------------------------------------------

@check("cooling_delivered", min_share=(0.95, 0.0, 1.0))
def _cooling_delivered(s, min_share):
    """The cases get their cooling: a stopped or short-cycling pack fails them."""
    h = s["heat"]
    share = (h["q_evap_kwh"] or 0.0) / h["q_load_kwh"] if h.get("q_load_kwh") else 0.0
    return [_result(f"cooling delivered >= {min_share * 100:g} % of the cases' load",
                    share >= min_share,
                    f"{h['q_evap_kwh']} of {h.get('q_load_kwh')} kWh ({share:.1%})")]


@check("cop_near_optimum", min_ratio=(0.98, 0.0, 1.0))
def _cop_near_optimum(s, min_ratio):
    """In every steady window, the plant's COP against the calculator's optimum."""
    out = []
    for c in s["cop"]:
        r = c.get("cop_ratio")
        out.append(_result(
            f"COP >= {min_ratio:g} optimum at {c.get('t_amb_c')} degC",
            r is not None and r >= min_ratio,
            c.get("error") or f"COP {c.get('cop')} / optimum {c.get('cop_opt')} = {r} "
            f"(p_gc {c.get('p_gc_bar')} vs optimum {c.get('p_opt_bar')} bar"
            f"{' = the configured maximum' if c.get('opt_limited') else ''}; "
            f"calculator-only ratio {c.get('cop_ratio_cycle')}; against the optimum "
            f"without the pressure limit {c.get('cop_ratio_free')})"))
    return out


@check("p_rec_settles", max_settling_s=(120.0, 1.0, 86400.0))
def _p_rec_settles(s, max_settling_s):
    """After every cooling-load step the receiver pressure is back in its settling band
    (metrics.settle_band_bar) within max_settling_s."""
    out = []
    for st in s["p_rec_tracking"]["steps"]:
        ok = st["settling_s"] is not None and st["settling_s"] <= max_settling_s
        out.append(_result(f"p_rec within {st['band_bar']:g} bar within {max_settling_s:g} s "
                           f"of the load step at {st['t_s']} s", ok,
                           f"settled after {st['settling_s']} s, peak error "
                           f"{st['peak_error_bar']} bar"))
    return out


@check("hr_stages", tol_v=(0.15, 0.0, 1.0))
def _hr_stages(s, tol_v):
    """Order and thresholds of the HR stages on a rising then falling demand ramp."""
    out = []
    sw = s["switching"]
    th = STAGE_THRESHOLDS_V

    def first(lst, on):
        x = [e for e in lst if e["on"] == on]
        return x[0] if x else None

    def near(name, ev, v):
        if ev is None:
            out.append((name, False, "never switched"))
        else:
            out.append((name, abs(ev["demand_v"] - v) <= tol_v,
                        f"at {ev['demand_v']} V (t = {ev['t_s']} s), threshold {v} V"))

    near("HR pump starts rising past 0.5 V", first(sw["hr_pump"], True), th["pump_on"])
    off = next((c for c in s["hr_stages"] if c["to"] == 0), None)
    near("HR staging switches off falling past 0.3 V", off, th["pump_off"])
    out.extend(_pump_sequence(sw, s["settings"].get("hr_pump_post_s", 0.0)))
    near("pressure raise begins at 1 V", first(sw["hr_raise"], True), th["raise_on"])
    near("fan reduction begins at 8 V", first(sw["fan_reduction"], True), th["fan_red_on"])
    near("GC bypass opens rising past 9.6 V", first(sw["gc_bypass"], True), th["bypass_on"])
    near("GC bypass closes falling past 9.3 V", first(sw["gc_bypass"], False), th["bypass_off"])
    seq = [(c["from"], c["to"]) for c in s["hr_stages"]]
    up = [(0, 1), (1, 2), (2, 3), (3, 4)]
    down = [(4, 3), (3, 2), (2, 1), (1, 0)]
    out.append(("HR stages in order up then down", seq == up + down, f"stage changes {seq}"))
    return out


def _pump_sequence(sw: dict, post_s: float, ramp_s: float = 11.0) -> list[Result]:
    """The pump runs before the 3-way valve (the plant's) opens; it stops only once the
    valve is shut, post_s after the controller's valve output reached 0 (the post-run
    also covers a valve motor slower than the output's rate limit), plus the pump
    output's own ramp down (10 %/s: at most ramp_s)."""
    pump, valve, cmd = sw["hr_pump"], sw.get("hr_valve", []), sw.get("hr_valve_cmd", [])
    ons = [e["t_s"] for e in pump if e["on"]]
    offs = [e["t_s"] for e in pump if not e["on"]]
    opens = [e["t_s"] for e in valve if e["on"]]
    closes = [e["t_s"] for e in valve if not e["on"]]
    shut_cmd = [e["t_s"] for e in cmd if not e["on"]]
    early = [t for t in opens if not any(p < t for p in ons)]
    out = [_result("HR pump runs before the 3-way valve opens", opens and not early,
                   f"valve opened at {opens} s, pump on at {ons} s")]
    wet = [t for t in offs if not any(c <= t for c in closes)
           or any(o <= t for o in opens if o > max([c for c in closes if c <= t],
                                                   default=-1.0))]
    off_time = [t for t in offs if not any(0.0 <= t - c - post_s <= ramp_s for c in shut_cmd)]
    out.append(_result(f"HR pump stops once the 3-way valve is shut, {post_s:g} s after "
                       "the valve output reached 0", offs and not wet and not off_time,
                       f"valve output 0 at {shut_cmd} s, valve shut at {closes} s, pump off "
                       f"at {offs} s"))
    return out


@check("sensor_fallbacks", tol=(1.0, 0.0, 100.0), min_flag_share=(0.99, 0.0, 1.0))
def _sensor_fallbacks(s, tol, min_flag_share):
    """Each faulted input raises its alarm, flags its fallback and drives its loop's
    outputs to the declared fallback values (within tol, engineering units)."""
    out = []
    for f in s.get("sensor_faults", []):
        out.append(_result(f"{f['signal']} {f['kind']}: alarm {f['alarm']} raised",
                           f["alarm_raised_s"] is not None,
                           f"raised at {f['alarm_raised_s']} s (fault at {f['t_s']} s)"))
        if f.get("fallback_flag_share") is not None:
            out.append(_result(f"{f['signal']}: fallback flagged",
                               f["fallback_flag_share"] >= min_flag_share,
                               f"flag set in {f['fallback_flag_share']} of the last samples "
                               "of the fault"))
        for fb in f["fallback"]:
            t = fb.get("tol") or tol
            ok = fb["min"] is not None and fb["expected"] is not None
            if ok and fb.get("at_least"):
                ok = fb["min"] >= fb["expected"] - t
            elif ok:
                ok = (abs(fb["min"] - fb["expected"]) <= t
                      and abs(fb["max"] - fb["expected"]) <= t)
            least = " or more" if fb.get("at_least") else ""
            out.append(_result(f"{f['signal']}: {fb['signal']} at its fallback", ok,
                               f"{fb['min']}..{fb['max']}, declared {fb['expected']}{least}"))
    return out


@check("fan_fail_alarm")
def _fan_fail_alarm(s):
    ff = [a for a in s["alarms"] if a["alarm"] == "fan_fail"]
    return [_result("fan failure raises fan_fail", ff, f"{ff[:1]}")]


@check("power_cut_recovery")
def _power_cut_recovery(s):
    """Settings intact and counters restored after a power cut, and the board booted."""
    rb = s.get("reboot") or {}
    sb, sa = rb.get("settings_before") or {}, rb.get("settings_after") or {}
    diff = {k: (v, sa.get(k)) for k, v in sb.items() if sa.get(k) != v}
    out = [_result("settings intact after the reboot", sb and not diff,
                   f"changed: {diff}" if diff else f"{len(sb)} settings equal")]
    # Counters are saved every storage period: a cut may lose what accrued since the
    # last save, never more, and never brings back more than there was.
    cb, ca = rb.get("counters_before") or {}, rb.get("counters_after") or {}
    floor = rb.get("counters_floor") or {}
    lost = {k: (floor.get(k), ca.get(k), v) for k, v in cb.items()
            if k != "uptime_s" and (ca.get(k) is None or ca[k] < floor.get(k, v) or ca[k] > v)}
    out.append(_result("counters restored from the last save after the reboot",
                       cb and not lost,
                       f"outside [one save period before the cut, at the cut]: {lost}" if lost
                       else f"{len(cb) - 1} counters within one save period of the cut"))
    out.append(_result("the board booted again", s.get("reboots", 0) >= 1,
                       f"{s.get('reboots')} reboots"))
    return out


_ENTRY_FIELDS = ("time_s", "on_clock", "boot", "kind", "flags", "key", "a", "b")


def _same(e: dict, f: dict) -> bool:
    return all(e[k] == f[k] for k in _ENTRY_FIELDS)


@check("event_log_power_cut")
def _event_log_power_cut(s):
    """A power cut inside an event-log append (power_cut_s with after_flash_bytes): every
    entry on flash before it is read back unchanged after the reboot, an entry the cut
    append held is there whole or not at all (a torn slot reads as no entry), and the
    boot after the cut is logged after them (docs/eventlog.md)."""
    c = s.get("event_log_cut") or {}
    before, after = c.get("before") or [], c.get("after") or []
    n_flash = c.get("on_flash_before", 0)
    out = [_result("the power failed inside the armed flash write", c.get("cut_s") is not None,
                   f"cut at {c.get('cut_s')} s, byte {c.get('after_bytes')} of a write to "
                   f"{c.get('file')!r} files (armed at {c.get('armed_s')} s)")]
    by_seq = {e["seq"]: e for e in after}
    lost = [e["seq"] for e in before[:n_flash] if not (e["seq"] in by_seq
                                                       and _same(e, by_seq[e["seq"]]))]
    out.append(_result("every entry on flash before the cut is unchanged after it",
                       bool(before) and not lost,
                       f"missing or changed: {lost}" if lost else f"{n_flash} entries intact"))
    waiting = {e["seq"]: e for e in before[n_flash:]}
    garbled = [q for q, e in by_seq.items() if q in waiting and e["kind"] and e["kind"]
               != waiting[q]["kind"]]
    kept = sum(1 for q in waiting if q in by_seq and by_seq[q]["kind"])
    out.append(_result("entries of the cut append are whole or absent", not garbled,
                       f"garbled: {garbled}" if garbled else
                       f"{kept} of {len(waiting)} waiting entries made it to flash whole"))
    last_boot = max((e["boot"] for e in before), default=0)
    boots = [e for e in after if e["kind"] == 1 and e["boot"] > last_boot]
    newest_before = max((e["seq"] for e in before), default=0)
    out.append(_result("the boot after the cut is logged after every older entry",
                       bool(boots) and boots[0]["seq"] > newest_before,
                       f"boot {boots[0]['boot']} at seq {boots[0]['seq']}" if boots else
                       "no boot entry after the cut"))
    return out


@check("low_ambient_receiver", max_backflow_kg=(1.0, 0.0, 1000.0))
def _low_ambient_receiver(s, max_backflow_kg):
    """At very low ambient the GC bypass holds the receiver pressure, and no CO2 drains
    from the receiver back through the HPEV while the pack stands (docs/scenarios.md)."""
    la = s["low_ambient"]
    lo, hi = la["p_rec_lo_bar"], la["p_rec_hi_bar"]
    n_open, n_close = la["gcb_rec_openings"], la["gcb_rec_closings"]
    return [
        _result("p_rec within its low/high limits after warm-up",
                lo is not None and hi is not None and la["p_rec_min_bar"] >= lo
                and la["p_rec_max_bar"] <= hi,
                f"{la['p_rec_min_bar']}..{la['p_rec_max_bar']} bar after "
                f"{la['warmup_s']} s, limits {lo}..{hi} bar"),
        _result("no p_rec_low alarm after warm-up", la["p_rec_low_alarm_s"] == 0.0,
                f"{la['p_rec_low_alarm_s']} s of p_rec_low after {la['warmup_s']} s"),
        _result("GC bypass opens for the receiver pressure and closes again",
                n_open >= 1 and n_close == n_open and not la["gcb_rec_open_at_end"]
                and la["gcb_rec_open_share"] < 0.5,
                f"{n_open} openings, {n_close} closings, open "
                f"{la['gcb_rec_open_share']:.1%} of the time, open at the end: "
                f"{la['gcb_rec_open_at_end']}"),
        _result("no backflow drains the receiver while the pack stands",
                la["standstills"] >= 1
                and la["backflow_max_per_standstill_kg"] <= max_backflow_kg,
                f"{la['standstills']} standstills, at most "
                f"{la['backflow_max_per_standstill_kg']} kg back through the HPEV in one "
                f"(limit {max_backflow_kg} kg), {la['backflow_kg']} kg in all, peak "
                f"{la['backflow_max_kg_s']} kg/s"),
    ]


@check("forced_accounting", paired={"profiles": {"demand_v": 0}},
       time_rel=(0.10, 0.0, 1.0), time_abs_s=(60.0, 0.0, 86400.0),
       energy_rel=(0.15, 0.0, 1.0), energy_abs_kwh=(0.05, 0.0, 1000.0),
       max_forced_s=(1e9, 0.0, 1e9), max_extra_kwh=(1e9, 0.0, 1e9))
def _forced_accounting(s, time_rel, time_abs_s, energy_rel, energy_abs_kwh, max_forced_s,
                       max_extra_kwh):
    """The counters book the forcing the plant saw: against a companion run without
    heat-recovery demand (everything else the same), the time where this run's p_gc
    was more than 1 bar above the companion's is what run_forced_s booked (within
    time_rel or time_abs_s, whichever is wider), and the integral of the compressor-power
    difference is what comp_extra_wh booked (within energy_rel or energy_abs_kwh);
    optionally at most max_forced_s and max_extra_kwh booked."""
    pr, bk = s.get("paired"), s.get("accounting") or {}
    if not pr:
        return [_result("forcing booked as the plant forced", False,
                        "no companion run (the runner was told not to pair)")]
    f_b, x_b = bk.get("run_forced_s"), bk.get("comp_extra_wh")
    if f_b is None or x_b is None:
        return [_result("forcing booked as the plant forced", False,
                        "the counters run_forced_s / comp_extra_wh were not read")]
    x_b /= 1000.0
    f_p, x_p = pr["forced_s"], pr["extra_kwh"]
    tol_t = max(time_rel * abs(f_p), time_abs_s)
    tol_x = max(energy_rel * abs(x_p), energy_abs_kwh)
    out = [_result("forced time booked as the plant forced", abs(f_b - f_p) <= tol_t,
                   f"run_forced_s {f_b:g} s, plant {f_p:g} s above the run without demand "
                   f"by > {pr['dp_bar']:g} bar (tolerance {tol_t:.0f} s)"),
           _result("extra compressor energy booked as the plant used", abs(x_b - x_p) <= tol_x,
                   f"comp_extra_wh {x_b:.3f} kWh, plant {x_p:.3f} kWh more than without "
                   f"demand (tolerance {tol_x:.3f} kWh)")]
    if max_forced_s < 1e9:
        out.append(_result(f"forced time booked < {max_forced_s:g} s", f_b < max_forced_s,
                           f"{f_b:g} s"))
    if max_extra_kwh < 1e9:
        out.append(_result(f"extra compressor energy booked < {max_extra_kwh:g} kWh",
                           x_b < max_extra_kwh, f"{x_b:.3f} kWh"))
    return out


@check("modbus_poll_answered")
def _modbus_poll_answered(s):
    mb = s["modbus"]["poll"]
    return [_result("every polled request answered", mb["requests"] > 0 and mb["exceptions"] == 0,
                    f"{mb['requests']} requests, {mb['registers']} registers, "
                    f"{mb['exceptions']} exceptions")]


@check("modbus_writes_as_declared")
def _modbus_writes_as_declared(s):
    """Each modbus_write event: one the file declares `refused` was refused and changed
    nothing (read back before and after); any other took every value it wrote."""
    out = []
    for ev in s.get("events", []):
        if ev["event"] != "modbus_write":
            continue
        vals, before, after = ev["values"], ev["before"], ev["after"]
        why = ev.get("refused_by", "")
        names = ", ".join(f"{n} {v:g}" for n, v in vals.items())
        if ev.get("refused"):
            same = all(after.get(n) == before.get(n) for n in vals)
            out.append(_result(f"refused at {ev['t_s']:g} s: {names}", why and same,
                               (why or "accepted") + ("" if same else "; values changed")))
        else:
            took = all(abs(after.get(n, math.nan) - v) < 1e-6 for n, v in vals.items())
            out.append(_result(f"accepted at {ev['t_s']:g} s: {names}", not why and took,
                               why or ("read back as written" if took else
                                       f"read back {after}")))
    return out or [_result("modbus writes as declared", False, "no modbus_write event")]


# -- heat meter and the booked heat (the heat meter, its failure) ------------------------------

def _heat_ok(iv: dict | None, rel: float, abs_kwh: float) -> tuple[bool, str]:
    """Booked heat of an interval (rig.hil.heatbook) within rel of the plant's or abs_kwh,
    whichever is wider."""
    if not iv or iv.get("booked_kwh") is None:
        return False, "no booked heat read"
    b, p = iv["booked_kwh"], iv["plant_kwh"]
    tol = max(rel * abs(p), abs_kwh)
    return abs(b - p) <= tol, (f"booked {b:.3f} kWh, plant {p:.3f} kWh to the HR water "
                               f"({iv['t0_s']:g}-{iv['t1_s']:g} s; tolerance {tol:.3f} kWh)")


@check("heat_booked", rel=(0.02, 0.0, 1.0), abs_kwh=(0.05, 0.0, 1000.0))
def _heat_booked(s, rel, abs_kwh):
    """The heat booked over the run after warm-up (hr_refrig_wh + hr_forced_wh) is the
    plant's heat to the HR water while its compressors ran (within rel or abs_kwh)."""
    ok, d = _heat_ok((s.get("heat_book") or {}).get("run"), rel, abs_kwh)
    return [_result("booked heat is the plant's recovered heat", ok, d)]


@check("heat_meter_fallback", max_detect_s=(120.0, 1.0, 7200.0), meter_rel=(0.02, 0.0, 1.0),
       est_rel=(0.25, 0.0, 1.0), abs_kwh=(0.03, 0.0, 1000.0))
def _heat_meter_fallback(s, max_detect_s, meter_rel, est_rel, abs_kwh):
    """A fault on the heat meter's pulse input (a `fault` event on heat_pulses): before
    it the metered heat is booked (within meter_rel of the plant's); within max_detect_s
    the meter counts as failed (status hr_meter 2) and heat_meter is raised; while it
    lasts the estimate is booked (the firmware's own q_hr_kw integral, within meter_rel;
    and within est_rel of the plant's: the estimate's error), with nothing left out
    around the detection (from 60 s before the fault to 60 s after the detection: the
    plant's heat until the fault plus the estimate from it, within meter_rel); after the
    fault is cleared the meter counts and is booked again and the alarm clears."""
    hb = (s.get("heat_book") or {}).get("fault")
    if not hb:
        return [_result("heat meter fault in the run", False, "no fault on heat_pulses")]
    t_f, t_d, t_c = hb["t_s"], hb["detected_s"], hb["cleared_s"]
    ok, d = _heat_ok(hb["before"], meter_rel, abs_kwh)
    out = [_result("before the fault the meter's heat is booked", ok, d)]
    out.append(_result(f"the meter is found failed within {max_detect_s:g} s",
                       t_d is not None and t_d - t_f <= max_detect_s,
                       f"fault at {t_f:g} s, status hr_meter 2 at {t_d} s; 2 in "
                       f"{hb['failed_share']} of the samples until the clear"))
    al = [a for a in s.get("alarms", []) if a["alarm"] == "heat_meter"
          and a["raised_s"] >= t_f and a["raised_s"] <= t_f + max_detect_s + 1.0]
    out.append(_result("heat_meter raised", bool(al), f"{al[:1]}"))
    dur = hb["during"]
    ok, d = _heat_ok({**dur, "plant_kwh": dur["estimate_kwh"]}, meter_rel, abs_kwh)
    out.append(_result("while it has failed the estimate is booked", ok,
                       d.replace("plant", "estimated")))
    ok, d = _heat_ok(dur, est_rel, abs_kwh)
    out.append(_result(f"the estimate booked meanwhile within {est_rel:g} of the plant's",
                       ok, d))
    ok, d = _heat_ok(hb["around"], meter_rel, abs_kwh)
    out.append(_result("nothing left out around the failure (the estimate since the last "
                       "pulse booked at the detection)", ok,
                       d + f"; without it {hb['around']['without_since_kwh']:.3f} kWh"))
    if t_c is not None:
        out.append(_meter_back("after the clear the meter counts again and the alarm clears",
                               t_c, hb["back_s"], al, max_detect_s))
        if hb["after"] is not None:
            ok, d = _heat_ok(hb["after"], meter_rel, abs_kwh)
            out.append(_result("after the clear the meter's heat is booked", ok, d))
    return out


def _meter_back(name, t_c, back_s, alarms, max_detect_s) -> Result:
    """After a heat-meter fault is cleared at t_c: status hr_meter back to 1 (at back_s)
    within max_detect_s, and the heat_meter alarm (of `alarms`) cleared after t_c."""
    cleared = [a for a in alarms if a["cleared_s"] is not None and a["cleared_s"] >= t_c]
    return _result(name, back_s is not None and back_s - t_c <= max_detect_s and cleared,
                   f"cleared at {t_c:g} s, hr_meter 1 at {back_s} s, alarm {cleared[:1]}")


@check("heat_meter_implausible", max_detect_s=(600.0, 1.0, 14400.0),
       meter_rel=(0.03, 0.0, 1.0), est_rel=(0.25, 0.0, 1.0), abs_kwh=(0.05, 0.0, 1000.0))
def _heat_meter_implausible(s, max_detect_s, meter_rel, est_rel, abs_kwh):
    """A heat meter that counts `factor` of the heat (a `scale` fault on heat_pulses):
    before it the meter's heat is booked (the plant's, within meter_rel); within
    max_detect_s status hr_meter says implausible (3), never before the fault, never
    failed (2: it still counts), and heat_meter is raised; meanwhile the meter is still
    booked (docs/control.md "Heat accounting": it is the instrument; the alarm says to
    look), i.e. factor x the plant's heat within meter_rel, while the firmware's own
    estimate stays within est_rel of the plant's; after the clear it is plausible again
    and the alarm clears."""
    hb = (s.get("heat_book") or {}).get("fault")
    if not hb or "implausible" not in hb:
        return [_result("heat meter counting wrong in the run", False,
                        "no scale fault on heat_pulses")]
    im, t_f, t_c, k = hb["implausible"], hb["t_s"], hb["cleared_s"], hb["factor"]
    ok, d = _heat_ok(hb["before"], meter_rel, abs_kwh)
    out = [_result("before the fault the meter's heat is booked", ok, d)]
    t_d = im["detected_s"]
    out.append(_result(f"implausible within {max_detect_s:g} s, not before, never failed",
                       t_d is not None and t_d - t_f <= max_detect_s and not im["before"]
                       and not im["failed"],
                       f"meter x{k:g} from {t_f:g} s, status hr_meter 3 at {t_d} s; 3 before "
                       f"the fault: {im['before']}; 2 meanwhile: {im['failed']}"))
    al = [a for a in s.get("alarms", []) if a["alarm"] == "heat_meter"
          and t_f <= a["raised_s"] <= t_f + max_detect_s + 1.0]
    out.append(_result("heat_meter raised", bool(al), f"{al[:1]}"))
    dur = hb["during"]
    ok, d = _heat_ok({**dur, "plant_kwh": k * dur["plant_kwh"]}, meter_rel, abs_kwh)
    out.append(_result(f"meanwhile the meter is booked ({k:g} x the plant's heat)", ok,
                       d.replace("plant", f"{k:g} x plant")))
    ok, d = _heat_ok({**dur, "booked_kwh": dur["estimate_kwh"]}, est_rel, abs_kwh)
    out.append(_result(f"the estimate meanwhile within {est_rel:g} of the plant's", ok,
                       d.replace("booked", "estimated")))
    if t_c is not None:
        out.append(_meter_back("after the clear it is plausible again and the alarm clears",
                               t_c, im["back_s"], al, max_detect_s))
    return out


@check("tank_demand", band_k=(1.5, 0.0, 20.0))
def _tank_demand(s, band_k):
    """A demand from the tank temperature (hr_demand_src 1) with the 0-10 V terminal at
    0 V: heat recovery runs, the plant's tank comes to t_tank_sp_c and stays within
    band_k of it from then on."""
    tk = s.get("tank") or {}
    if not tk:
        return [_result("tank demand", False, "no t_tank_sp_c in the settings")]
    sp = tk["sp_c"]
    out = [_result("the demand comes from the tank (hr_demand_src 1, 0-10 V at 0 V) and "
                   "heat recovery runs", tk["src"] == 1 and tk["demand_v_max"] == 0.0
                   and tk["pump_share"] > 0.5,
                   f"hr_demand_src {tk['src']}, demand_v at most {tk['demand_v_max']} V, HR "
                   f"pump on {tk['pump_share']:.0%} of the run")]
    lo, hi = tk["t_tank_min_after_c"], tk["t_tank_max_after_c"]
    out.append(_result(f"the tank reaches {sp:g} degC and stays within {band_k:g} K",
                       tk["reached_s"] is not None and lo >= sp - band_k and hi <= sp + band_k,
                       f"from {tk['t_tank_start_c']} degC, within 0.5 K at {tk['reached_s']} "
                       f"s, then {lo}..{hi} degC, {tk['t_tank_end_c']} at the end"))
    return out


@check("calendar_split", rel=(0.02, 0.0, 1.0), abs_s=(5.0, 0.0, 86400.0),
       abs_kwh=(0.03, 0.0, 1000.0), min_periods=(2.0, 1.0, 13.0))
def _calendar_split(s, rel, abs_s, abs_kwh, min_periods):
    """With the clock set over Modbus (a `clock` event): the calendar counters read at
    the end hold per local month and heating season what the plant did in it (its
    running time, compressor energy, heat to the HR water while running; the local time
    worked out here from the time set and the tz settings), at least min_periods of
    each, and no other period."""
    cal = s.get("calendar")
    if not cal:
        return [_result("calendar counters per period", False, "no clock event in the run")]
    out = []
    for ring in ("months", "seasons"):
        plant = cal["plant"][ring]
        fw = {p["label"]: p["v"] for p in cal[ring]}
        extra = sorted(set(fw) - set(plant))
        out.append(_result(f"the {ring} are the plant's local {ring}",
                           len(plant) >= min_periods and not extra and set(plant) <= set(fw),
                           f"plant {sorted(plant)}, controller {sorted(fw)}"))
        for label, pv in sorted(plant.items()):
            v = fw.get(label)
            if v is None:
                continue
            run = v["run_refrig_s"] + v["run_forced_s"]
            comp = (v["comp_refrig_wh"] + v["comp_forced_wh"]) / 1000.0
            heat = (v["hr_refrig_wh"] + v["hr_forced_wh"]) / 1000.0
            tol_c = max(rel * pv["comp_kwh"], abs_kwh)
            tol_h = max(rel * pv["heat_kwh"], abs_kwh)
            ok = (abs(run - pv["run_s"]) <= abs_s and abs(comp - pv["comp_kwh"]) <= tol_c
                  and abs(heat - pv["heat_kwh"]) <= tol_h)
            out.append(_result(f"{label}: running time, compressor energy and heat as the "
                               "plant's", ok,
                               f"run {run:g} s / plant {pv['run_s']:.0f} s; compressor "
                               f"{comp:.3f} / {pv['comp_kwh']:.3f} kWh; heat {heat:.3f} / "
                               f"{pv['heat_kwh']:.3f} kWh (tolerance {abs_s:g} s, "
                               f"{tol_c:.3f}, {tol_h:.3f} kWh)"))
    return out


@check("clock_kept", max_off_s=(2.0, 0.0, 3600.0), rel=(0.02, 0.0, 1.0),
       abs_s=(5.0, 0.0, 86400.0), abs_kwh=(0.03, 0.0, 1000.0))
def _clock_kept(s, max_off_s, rel, abs_s, abs_kwh):
    """A power cut with the board's RTC on its backup cell (`rtc_backup = true`) after
    the clock was set over Modbus: at the first tick after the boot the controller's
    clock is set and reads the time set plus the simulated time since (within
    max_off_s), clock_not_set is never raised, the calendar opened no period twice, and
    the periods that began after the reboot hold what the plant did in them (as
    calendar_split)."""
    ca = (s.get("reboot") or {}).get("clock_after")
    cal = s.get("calendar")
    if not ca or not cal:
        return [_result("clock kept through the reboot", False,
                        "no reboot after a clock event")]
    off = ca["clock_unix_s"] - ca["expected_unix_s"]
    out = [_result("the clock runs on through the power cut", ca["clock_set"] == 1
                   and abs(off) <= max_off_s,
                   f"at {ca['t_s']:g} s: clock_set {ca['clock_set']:g}, source "
                   f"{ca['clock_source']:g}, {off:+g} s from the time set plus the run")]
    ns = [a for a in s.get("alarms", []) if a["alarm"] == "clock_not_set"]
    out.append(_result("clock_not_set never raised", not ns, f"{ns[:1]}"))
    t_boot = ca["t_s"]
    for ring in ("months", "seasons"):
        labels = [p["label"] for p in cal[ring]]
        out.append(_result(f"no period of the {ring} opened twice",
                           len(labels) == len(set(labels)), f"{labels}"))
        fw = {p["label"]: p["v"] for p in cal[ring]}
        for label, pv in sorted(cal["plant"][ring].items()):
            v = fw.get(label)
            if pv["t0_s"] < t_boot:
                continue  # (it lost what accrued since the last save before the cut)
            ok = v is not None
            d = "not in the controller's calendar"
            if ok:
                run = v["run_refrig_s"] + v["run_forced_s"]
                heat = (v["hr_refrig_wh"] + v["hr_forced_wh"]) / 1000.0
                tol_h = max(rel * pv["heat_kwh"], abs_kwh)
                ok = abs(run - pv["run_s"]) <= abs_s and abs(heat - pv["heat_kwh"]) <= tol_h
                d = (f"run {run:g} s / plant {pv['run_s']:.0f} s; heat {heat:.3f} / "
                     f"{pv['heat_kwh']:.3f} kWh (tolerance {abs_s:g} s, {tol_h:.3f} kWh)")
            out.append(_result(f"{label}, begun after the reboot, as the plant's", ok, d))
    return out


# -- start and restart sequence, sensor substitution ------------------------------------------

@check("comp_enable_needs_hpev_open", always=True)
def _comp_enable_needs_hpev_open(s):
    """Every time the compressor enable came on, the plant's true HPEV opening was at
    least hpev_start_pct (the setting at the start of the run; 0.5 % for the travel of
    one tick). A start while an HPEV valve_stuck fault holds the valve is listed but not
    counted: no controller moves a stuck valve."""
    want = float((s.get("settings") or {}).get("hpev_start_pct", 40.0))
    starts = s.get("starts") or []
    bad = [x for x in starts if not x["hpev_stuck"] and x["hpev_pos_pct"] < want - 0.5]
    stuck = [x for x in starts if x["hpev_stuck"]]
    low = min((x["hpev_pos_pct"] for x in starts if not x["hpev_stuck"]), default=None)
    detail = (f"{len(starts)} enable(s), lowest true HPEV {low} % (start opening {want:g} %)"
              + (f"; below at {[x['t_s'] for x in bad]} s" if bad else "")
              + (f"; {len(stuck)} with the HPEV stuck, not counted" if stuck else ""))
    return [_result("no compressor enable before the HPEV's start opening", not bad, detail)]


def _hpev_stuck(e: dict) -> bool:
    """Event log record e is a valve_stuck fault of the HPEV."""
    return e.get("event") == "valve_stuck" and e.get("valve") == "hpev"


@check("hpev_lockout_only_on_a_fault", always=True)
def _hpev_lockout_only_on_a_fault(s):
    """The HPEV flow test's lockout (alarm hpev_blocked, co2hr.hpev_test) is raised only
    after an HPEV valve_stuck or a p_gc/p_rec fault: a healthy plant, however hot,
    restarts after every HP stop."""
    causes = [e["t_s"] for e in s.get("events", []) if _hpev_stuck(e)
              or (e.get("event") == "fault" and e.get("signal") in ("p_gc_bar", "p_rec_bar"))]
    t0 = min(causes, default=None)
    raised = [a["raised_s"] for a in s.get("alarms", []) if a["alarm"] == "hpev_blocked"]
    bad = [t for t in raised if t0 is None or t < t0]
    detail = (f"hpev_blocked raised at {raised} s" if raised else "hpev_blocked never raised") + (
        f"; first HPEV or pressure fault at {t0:g} s" if t0 is not None else "; no such fault")
    return [_result("no HPEV lockout without an HPEV or pressure fault", not bad, detail)]


# A plant fault a loop cannot correct: a transmitter fault, a failed fan, a stuck valve.
_PLANT_FAULTS = ("fault", "fan_failure", "valve_stuck")


@check("deviation_alarms_only_on_a_fault", always=True)
def _deviation_alarms_only_on_a_fault(s):
    """The deviation alarms (dev_p_gc, dev_p_rec, dev_t_w_out: co2hr.deviation) are raised
    only after a plant fault (a transmitter fault, a fan failure, a stuck valve): a healthy
    plant's starts, thermostat cycles, HR starts and capacity limits raise none."""
    t0 = min((e["t_s"] for e in s.get("events", []) if e.get("event") in _PLANT_FAULTS),
             default=None)
    raised = [(a["raised_s"], a["alarm"]) for a in s.get("alarms", [])
              if a["alarm"].startswith("dev_")]
    bad = [r for r in raised if t0 is None or r[0] < t0]
    detail = (f"raised {raised}" if raised else "none raised") + (
        f"; first plant fault at {t0:g} s" if t0 is not None else "; no plant fault")
    return [_result("no deviation alarm without a plant fault", not bad, detail)]


@check("inj_stop_during_hp_stops", always=True)
def _inj_stop_during_hp_stops(s):
    """The injection-stop relay (out.inj_stop, as the simulated board received it) is on
    through every HP stop until the compressor enable returns, and while the plant's HP
    switch is open; it is never on while the compressors are enabled."""
    x = s.get("inj_stop")
    if x is None:
        return [_result("injection stop on through every HP stop", True, "no trace")]
    bad_on = x["on_while_enabled_t_s"]
    ok = not x["uncovered_t_s"] and not x["switch_uncovered_t_s"] and not bad_on
    held = [st["held_s"] for st in x["hp_stops"]]
    detail = (f"{len(held)} HP stop(s), held {held} s; {x['switch_open_rows']} row(s) with "
              f"the plant's HP switch open"
              + (f"; relay off at {x['uncovered_t_s']} s" if x["uncovered_t_s"] else "")
              + (f"; off with the switch open at {x['switch_uncovered_t_s']} s"
                 if x["switch_uncovered_t_s"] else "")
              + (f"; on with the compressors enabled at {bad_on} s" if bad_on else ""))
    return [_result("injection stop on through every HP stop", ok, detail)]


@check("no_storage_alarm_at_boot", always=True)
def _no_storage_alarm_at_boot(s):
    """A fresh board (and every boot of the run) raises no storage_fault: the alarm is for
    a corrupt copy, a refused value or a failed write only. Raised within 30 s of the
    start or of a reboot counts as raised at boot."""
    boots = [0.0] + [e["t_s"] + e.get("off_s", 0.0) for e in s.get("events", [])
                     if e.get("event") == "power_cut_s"]
    hits = [a["raised_s"] for a in s.get("alarms", []) if a["alarm"] == "storage_fault"
            and any(b <= a["raised_s"] <= b + 30.0 for b in boots)]
    return [_result("no storage alarm at boot", not hits,
                    f"raised at {hits} s" if hits else f"{len(boots)} boot(s), none raised it")]


@check("t3_substitute_power", paired={"events": []}, after_s=(600.0, 0.0, 86400.0),
       max_ratio=(1.10, 0.0, 10.0))
def _t3_substitute_power(s, after_s, max_ratio):
    """With T3 failed, the compressors use at most max_ratio times the energy of a
    companion run with no sensor fault (everything else the same), from after_s on."""
    pr = s.get("paired")
    if not pr:
        return [_result("T3 substitute costs little power", False, "no companion run")]
    k = int(after_s // pr["bin_s"])
    a = sum(x or 0.0 for x in pr["w_comp_kwh_bins"][k:])
    b = sum(x or 0.0 for x in pr["w_comp_kwh_bins_companion"][k:])
    ratio = a / b if b > 0 else math.inf
    return [_result(f"compressor energy with T3 failed < {max_ratio:g} x healthy",
                    ratio < max_ratio, f"{a:.3f} kWh vs {b:.3f} kWh healthy from "
                    f"{after_s:g} s: ratio {ratio:.3f}")]


@check("hpev_deviation_alarm")
def _hpev_deviation_alarm(s):
    """The deviation alarm dev_p_gc is raised after the first HPEV valve_stuck fault (and
    not before it), and which HP protection acted first is shown."""
    t0 = min((e["t_s"] for e in s.get("events", []) if _hpev_stuck(e)), default=None)
    if t0 is None:
        return [_result("deviation alarm after the HPEV stuck", False, "no HPEV valve_stuck")]
    al = s.get("alarms", [])
    dev = [a["raised_s"] for a in al if a["alarm"] == "dev_p_gc"]
    hp = sorted((a["raised_s"], a["alarm"]) for a in al
                if a["alarm"] in ("hp_high", "hp_override", "hp_stop") and a["raised_s"] >= t0)
    ok = bool(dev) and min(dev) >= t0
    return [_result("deviation alarm dev_p_gc after the HPEV stuck", ok,
                    f"stuck at {t0:g} s, dev_p_gc raised at {dev} s; HP protections first "
                    f"at {hp[:3]}")]


# -- a scenario file's list, and the verdict ---------------------------------------------------

def parse(src: str, items) -> list[tuple[str, dict]]:
    """A scenario's `checks` list -> [(check name, parameters with defaults filled)]."""
    if not isinstance(items, list):
        raise err(src, "checks", "expected a list of check names or {check = NAME, ...}")
    declared = [n for n, c in TABLE.items() if not c.always]
    out: list[tuple[str, dict]] = []
    for i, item in enumerate(items):
        where = f"checks[{i}]"
        spec = {"check": item} if isinstance(item, str) else item
        if not isinstance(spec, dict) or not isinstance(spec.get("check"), str):
            raise err(src, where, "expected a check name or a table {check = NAME, ...}")
        name = spec["check"]
        c = TABLE.get(name)
        if c is None:
            raise err(src, where, f"unknown check {name!r}: one of {tuple(declared)}")
        if c.always:
            raise err(src, where, f"{name} is checked on every run: leave it out")
        if any(name == n for n, _p in out):
            raise err(src, where, f"{name} is listed twice")
        extra = set(spec) - {"check", *c.params}
        if extra:
            raise err(src, where, f"unknown parameter(s) {sorted(extra)} for {name} "
                      f"(it takes: {', '.join(c.params) or 'none'})")
        params = {k: num(src, f"{where}.{k}", spec.get(k, d), lo, hi)
                  for k, (d, lo, hi) in c.params.items()}
        out.append((name, params))
    return out


def run_check(summary: dict, name: str, **params: float) -> list[Result]:
    """One check of the table on a summary, its parameters' defaults where not given."""
    c = TABLE[name]
    return c.run(summary, **{k: params.get(k, d) for k, (d, _lo, _hi) in c.params.items()})


def evaluate(summary: dict, declared: list[tuple[str, dict]]) -> list[Result]:
    """[(name, passed, detail)]: the checks of every run, then the scenario's own."""
    out: list[Result] = []
    for c in TABLE.values():
        if c.always:
            out += c.run(summary)
    for name, params in declared:
        out += TABLE[name].run(summary, **params)
    return out
