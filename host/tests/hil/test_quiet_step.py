"""Runs with record_s and quiet_step_s against the plant's own counters and a paired
fixed-step run; scenario files naming the reference year."""

from __future__ import annotations

import pytest

from rig.hil import metrics, runner, scenario
from rig.hil.fields import ScenarioError
from rig.plant import year
from rig.targets import open_target

BASE = {"name": "quiet_const", "duration_s": 1800,
        "profiles": {"t_amb_c": 18, "q_load_kw": 80, "q_heat_use_kw": 30, "demand_v": 0},
        "plant": {"t_amb0_c": 18}}


def _run(board, **extra):
    sc = scenario.parse({**BASE, **extra})
    with open_target("sil", board) as t:
        loop = runner.run(sc, t, board)
    return loop, metrics.summarize(loop)


@pytest.fixture(scope="module")
def board():
    from rig.boards import load_board

    return load_board("esp32_devkitc")


@pytest.fixture(scope="module")
def fixed(board):
    return _run(board)


def test_recorded_rows_integrate_to_the_plants_counters(board, fixed):
    loop, s = _run(board, record_s=60, fw_sample_s=60)
    tr = loop.trace
    assert "w_s" in tr and "w_s" not in fixed[0].trace
    assert len(tr["t_s"]) < len(fixed[0].trace["t_s"]) / 30
    assert sum(tr["w_s"]) == pytest.approx(BASE["duration_s"])
    st = loop.rig.plant.state
    assert s["heat"]["w_comp_kwh"] == pytest.approx(st.energy_kwh, rel=2e-3)
    # without quiet steps the loop is the fixed-step one: the same plant at the end
    assert st.energy_kwh == pytest.approx(fixed[0].rig.plant.state.energy_kwh, rel=1e-9)


def test_quiet_steps_are_taken_and_keep_the_energy(board, fixed):
    loop, s = _run(board, quiet_step_s=10, record_s=60, fw_sample_s=60)
    assert s["steps"]["quiet"] > 0
    assert s["overruns"] == 0  # the slots a long step passes over are not overruns
    assert s["ticks"] < fixed[1]["ticks"]
    e_fixed = fixed[0].rig.plant.state.energy_kwh
    assert loop.rig.plant.state.energy_kwh == pytest.approx(e_fixed, rel=0.03)
    assert loop.rig.plant.state.t_s == pytest.approx(BASE["duration_s"])


def test_a_scenario_names_the_year():
    sc = scenario.parse({"name": "y", "duration_s": 7200, "profiles": {
        "t_amb_c": {"year": "dk_synthetic", "start_h": 4344}}})
    y = year.reference_year()
    assert sc.profiles["t_amb_c"](0.0) == pytest.approx(y.t_amb_c[4344])
    assert sc.profiles["t_amb_c"](5400.0) == pytest.approx(
        0.5 * (y.t_amb_c[4345] + y.t_amb_c[4346]))
    with pytest.raises(ScenarioError, match="unknown year"):
        scenario.parse({"name": "y", "duration_s": 60,
                        "profiles": {"t_amb_c": {"year": "sahara"}}})
    with pytest.raises(ScenarioError, match="quiet_step_s"):
        scenario.parse({"name": "y", "duration_s": 60, "quiet_step_s": 30})


def test_a_coarse_record_still_sees_each_compressor_start_as_it_was(board, fixed):
    """Rows every 600 s: the compressor enable's rise still gets its own row, so the start
    check reads the HPEV as the enable found it (in a row 600 s later the valve would
    be regulating at whatever the load needs), as in the fixed-step run."""
    loop, s = _run(board, quiet_step_s=10, record_s=600, fw_sample_s=60)
    want = fixed[1]["starts"]
    assert len(want) >= 1 and len(s["starts"]) == len(want)
    for got, ref in zip(s["starts"], want, strict=True):
        assert abs(got["t_s"] - ref["t_s"]) <= 10.0
        assert got["hpev_pos_pct"] == pytest.approx(ref["hpev_pos_pct"], abs=1.0)
    assert len(loop.trace["t_s"]) < 12


def test_a_coarse_record_keeps_the_highest_p_gc_between_its_rows(board):
    """The limit checks read p_gc's peak: with rows every 600 s it is each row's highest
    p_gc over its interval, not the state at the row's start, so a warm spell between
    two rows peaks in the summary where the fixed-step run's does."""
    warm = {"profiles": {**BASE["profiles"], "t_amb_c": {"points": [
        [0, 18], [700, 18], [850, 33], [1000, 33], [1150, 18], [1800, 18]]}}}
    want = _run(board, **warm)[1]["limits"]["p_gc_max_bar"]
    loop, s = _run(board, quiet_step_s=10, record_s=600, fw_sample_s=60, **warm)
    assert want > max(loop.trace["plant.p_gc_bar"]) + 1.0  # a peak the rows miss
    assert s["limits"]["p_gc_max_bar"] == pytest.approx(want, abs=0.3)
