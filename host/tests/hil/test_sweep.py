"""rig sweep: a small study on a 2-worker Dask LocalCluster gives the serial table, a
killed worker costs only its task, a stopped study resumes where it stopped."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pandas as pd
import pytest

from rig.hil import sweep
from rig.hil.scenario import shipped_dir

pytest.importorskip("distributed")


def _spec(tmp_path: Path, values) -> dict:
    """Tiny runs (2 min of HR demand at a constant point), plant variants on a grid."""
    scen = shipped_dir() / "hr_demand_ramp.json"
    spec = {"name": "tiny", "scenario": str(scen),
            "overrides": {"duration_s": 60, "record_s": 10, "fw_sample_s": 10,
                          "profiles": {"demand_v": 8}},
            "grid": {"plant.t_amb0_c": values, "plant.ua_hrhx_w_k": [5000, 9000]}}
    p = tmp_path / "spec.json"
    p.write_text(json.dumps(spec))
    return sweep.load_spec(p)


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serial")
    spec = _spec(tmp, [6, 14])
    r = sweep.run_sweep(spec, tmp / "out")
    return spec, r, pd.read_parquet(tmp / "out" / "results.parquet")


def test_serial_table_holds_one_row_per_variant(serial):
    spec, r, df = serial
    assert r["runs"] == r["ran"] == 4 and len(df) == 4
    assert df["complete"].all()
    # the variants differ where the physics says: a warmer start costs compressor work
    by = df.groupby("plant.t_amb0_c")["w_comp_kwh"].mean()
    assert by[14] != by[6]


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as lc, Client(lc) as client:
        yield client


def test_dask_sweep_matches_the_serial_table_and_resumes(serial, cluster, tmp_path):
    spec_s, _r, df_serial = serial
    spec = _spec(tmp_path, [6, 14])
    out = tmp_path / "out"
    r = sweep.run_sweep(spec, out, cluster)
    assert r["ran"] == 4
    df = pd.read_parquet(out / "results.parquet")
    pd.testing.assert_frame_equal(df, df_serial)
    assert "Pareto" in (out / "summary.html").read_text()
    # a stopped study: one run's record lost -> only that run again, same table
    victim = sorted((out / "runs").glob("*.json"))[1]
    victim.unlink()
    r2 = sweep.run_sweep(spec, out, cluster)
    assert (r2["ran"], r2["skipped"]) == (1, 3)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "results.parquet"), df_serial)


def test_a_killed_worker_costs_only_its_task(serial, cluster, tmp_path):
    _spec_s, _r, df_serial = serial
    spec = _spec(tmp_path, [6, 14])
    pids = list(cluster.run(os.getpid).values())
    killed = []

    def progress(done, total):
        if done == 1 and not killed:  # one run in: kill a worker in the middle of the next
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

    r = sweep.run_sweep(spec, tmp_path / "out", cluster, progress)
    assert killed and r["ran"] == 4
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "out" / "results.parquet"),
                                  df_serial)
