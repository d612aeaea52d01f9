"""The plots and the HTML report as a controls engineer reads them, checked on the figures
of a real closed-loop run (sil, a load step and a fan failure): an axis per unit (COP not
on the kW axis), every limit and band named in its legend and drawn apart from the traces
(the 95 degC limit is not the water trace's colour), load steps and events marked, every
figure's axes on the same left and right edges; the report's plots full width, its
numbers at their resolution; `rig plot` with the on/off signals, the enumerations in
words and the alarm words as alarms."""

from __future__ import annotations

import csv
import re

import matplotlib.colors as mcolors
import pytest

from rig.boards import load_board
from rig.hil import metrics, report, runner
from rig.hil.checks import W_BOIL_LIMIT_C
from rig.hil.scenario import parse
from rig.targets import open_target

STEP_S, EVENT_S = 90.0, 40.0


@pytest.fixture(scope="module")
def run():
    board = load_board("esp32_devkitc")
    sc = parse({"duration_s": 150, "profiles": {"q_load_kw": {"points": [[0, 70], [STEP_S, 90]],
                                                              "interp": "step"}},
                "events": [{"at_s": EVENT_S, "fan_failure": True}],
                "metrics": {"warmup_s": 20}}, "report.json")
    with open_target("sil", board) as t:
        loop = runner.run(sc, t, board)
    summary = metrics.summarize(loop)
    figs = report.figures(loop.trace, summary)
    yield loop, summary, figs
    import matplotlib.pyplot as plt

    for f in figs.values():
        plt.close(f)


def _labels(ax) -> dict[str, object]:
    return {h.get_label(): h for h in ax.get_legend_handles_labels()[0]}


def test_every_figure_has_an_axis_per_unit_and_cop_on_its_own(run):
    _loop, _s, figs = run
    assert set(figs) == set(report.PLOTS)
    for name, fig in figs.items():
        units = [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()]
        assert len(units) == len(set(units)), (name, units)
        assert not any("/" in u for u in units), (name, units)  # one unit an axis
    hr = figs["heat_recovery"]
    by_unit = {ax.get_ylabel(): ax for ax in hr.axes}
    assert "COP (cooling)" in _labels(by_unit["COP"])
    assert "COP (cooling)" not in _labels(by_unit["kW"])
    assert {"recovered heat", "cooling", "compressor power"} <= set(_labels(by_unit["kW"]))


def test_limits_are_in_the_legend_and_not_in_a_trace_colour(run):
    _loop, _s, figs = run
    ax = figs["temperatures"].axes[0]
    lab = _labels(ax)
    limit = lab[f"HR water limit {W_BOIL_LIMIT_C:g} degC"]
    assert limit.get_linestyle() == "--"
    traces = [h for k, h in lab.items() if k in ("HR water out", "HR water in", "tank",
                                                 "discharge", "ambient", "T3 GC out")]
    assert len(traces) == 6
    for h in traces:
        assert mcolors.to_rgb(h.get_color()) != mcolors.to_rgb(limit.get_color())
    p_gc, p_rec = figs["pressures"].axes
    assert {"absolute limit 110 bar"} <= set(_labels(p_gc))
    assert any(k.startswith("p_gc_max_bar ") for k in _labels(p_gc))
    assert any(k.startswith("p_rec setpoint ") for k in _labels(p_rec))
    assert any(k.startswith("settling band +-") for k in _labels(p_rec))


def test_load_steps_and_events_are_marked_on_every_axis(run):
    _loop, _s, figs = run
    for fig in figs.values():
        for ax in fig.axes:
            xs = {round(float(ln.get_xdata()[0]), 3) for ln in ax.get_lines()
                  if len(ln.get_xdata()) == 2 and ln.get_xdata()[0] == ln.get_xdata()[1]}
            assert STEP_S in xs and EVENT_S in xs, (fig, xs)
    top = figs["pressures"].axes[0]
    assert {"load step", "event"} <= set(_labels(top))
    assert any("fan_failure" in t.get_text() for t in top.texts)


def test_all_axes_share_one_left_and_right_edge(run):
    _loop, _s, figs = run
    edges = {(round(ax.get_position().x0, 4), round(ax.get_position().x1, 4))
             for fig in figs.values() for ax in fig.axes}
    assert len(edges) == 1, edges


def test_alarm_bars_show_the_fan_failure(run):
    _loop, summary, figs = run
    assert any(a["alarm"] == "fan_fail" for a in summary["alarms"])
    ticks = [t.get_text() for t in figs["alarms"].axes[0].get_yticklabels()]
    assert any(t.endswith(" fan_fail") for t in ticks), ticks


def test_html_report_full_width_plots_and_sensible_decimals(run, tmp_path):
    loop, summary, _figs = run
    d = tmp_path / "sc"
    d.mkdir()
    report.plot_all(loop.trace, summary, d)
    report.write_summary(summary, d / "summary.json")
    out = tmp_path / "report.html"
    report.write_html([{"summary": summary, "dir": d, "checks": []}], out)
    html = out.read_text()
    assert ".plots img{display:block;width:100%" in html
    assert html.count("<img ") == len(report.PLOTS)
    rows = dict(report.headline(summary))
    assert re.fullmatch(r"\d+\.\d / \d+\.\d / 110", rows[
        "p_gc max (bar) / configured max / absolute limit"]), rows
    assert re.fullmatch(r"\d+\.\d\d / \d+\.\d\d", rows["COP mean / total COP mean"]), rows
    for k, v in rows.items():  # no number with more decimals than it is measured to
        assert not re.search(r"\d\.\d{4,}", v), (k, v)


def test_rig_plot_draws_digital_signals_enumerations_and_alarms(tmp_path):
    from rig.cli import logplot, main

    f = tmp_path / "log.csv"
    with f.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["time", "t_s", "p_gc_bar", "comp_run", "overrides", "mode", "alarm_word_0",
                    "alarm_word_1"])
        for k in range(20):
            w.writerow(["-", k, 80 + k, k % 2, 16 if k > 5 else 0, 2 if k < 10 else 3,
                        1 if 5 <= k < 12 else 0, 0])
    fig, n, rows = logplot.figure(str(f))
    assert (n, rows) == (6, 20)
    ticks = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
    assert "comp_run" in ticks and "overrides: fan safety" in ticks  # a logic trace
    assert "Max-COP" in ticks and "Heat recovery" in ticks  # mode in words
    assert "1 hp_high" in ticks  # alarm word 0 bit 0: an alarm bar
    assert main(["plot", str(f)]) == 0
    assert (tmp_path / "log.png").read_bytes()[:4] == b"\x89PNG"
