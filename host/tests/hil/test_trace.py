"""trace.csv: what the runner recorded, back as it was written (NaN as an empty cell)."""

from __future__ import annotations

import math

from rig.hil import trace


def test_csv_round_trip_keeps_values_nan_and_events(tmp_path):
    cols = {"t_s": [0.0, 1.0, 2.0], "plant.p_gc_bar": [85.123456, math.nan, 86.0],
            "fw.ticks": [1, 2, math.nan], "event": ["", "fault(signal=p_gc_bar)", ""]}
    p = tmp_path / "trace.csv"
    trace.write_csv(cols, p)
    assert p.read_text().splitlines()[2] == "1,,2,fault(signal=p_gc_bar)"
    back = trace.read_csv(p)
    assert back["plant.p_gc_bar"][0] == 85.1235  # 6 significant digits
    assert math.isnan(back["plant.p_gc_bar"][1]) and math.isnan(back["fw.ticks"][2])
    assert back["event"] == cols["event"]


def test_firmware_columns_appear_when_first_seen_padded_before():
    tr = trace.Trace(["t_amb_c"])

    class State:
        def __getattr__(self, name):
            return 1.0

    for k in range(3):
        fw = {"mode": 3.0} if k >= 1 else {}
        tr.add(float(k), {"t_amb_c": 20.0}, State(), [0.0] * 10, (k, 0, 0), [], fw)
    assert math.isnan(tr.cols["fw.mode"][0]) and tr.cols["fw.mode"][1:] == [3.0, 3.0]
    assert len({len(v) for v in tr.cols.values()}) == 1
    assert tr.first_at(0.5, ["mode"]) == {"mode": 3.0}
