"""rig scop: the EN 14825 bin method's arithmetic against a hand calculation, the part-load
line's ends, the closed loop holding each bin's supply with a COP the calculator at the
same conditions confirms, and the same bins on a 2-worker LocalCluster as in process."""

from __future__ import annotations

import pytest

from rig.hil import scop
from rig.plant.year import EN14825_AVERAGE_BINS

TEMPS = (-10.0, 2.0, 12.0)


@pytest.fixture(scope="module")
def res():
    return scop.run(TEMPS)


def test_the_bin_method_by_hand():
    pts = [{"hours": 100, "part_load": 0.5, "calculator": 2.0},
           {"hours": 300, "part_load": 0.25, "calculator": 4.0}]
    heat = 100 * 0.5 + 300 * 0.25  # 125
    elec = 100 * 0.5 / 2.0 + 300 * 0.25 / 4.0  # 25 + 18.75
    assert scop.scop(pts, "calculator") == pytest.approx(heat / elec)


def test_the_part_load_line_and_the_weather_curve():
    assert scop.part_load(-10.0) == 1.0 and scop.part_load(16.0) == 0.0
    assert scop.supply_c(-12.0) == 70.0 and scop.supply_c(15.0) == 60.0
    assert scop.speed_hz(-10.0) == scop.SPEED_MAX_HZ
    assert scop.speed_hz(15.0) == scop.SPEED_MIN_HZ
    assert sum(EN14825_AVERAGE_BINS.values()) == 4910


# The loop's HPEV reference sits 0.6-1.7 bar above the calculator's optimum (its supply
# margin), so its COP is 0.5 % (design) to 2.4 % (15 degC, 30 Hz) below the calculator at
# the same conditions: docs/studies.md ("rig scop"). Per bin it must stay within 3 %,
# over the season within 2 %.
BIN_SHARE = 0.97
SEASON_SHARE = 0.98


def test_each_bin_holds_its_supply_and_the_calculator_confirms_its_cop(res):
    for p in res["bins"]:
        assert not p["short"] and p["supply_err_k"] <= 1.0, p
        assert p["closed_loop"] >= BIN_SHARE * p["calculator_same"], p
        assert p["p_gc_bar"] <= scop.P_MAX_BAR
    assert res["scop"]["closed_loop"] >= SEASON_SHARE * res["scop"]["calculator_same"]
    cops = [p["closed_loop"] for p in res["bins"]]
    assert cops == sorted(cops)  # milder air, lower supply: a better COP


def test_the_cluster_gives_the_same_bins():
    from distributed import Client

    from rig.cli.study import local_cluster

    with local_cluster(2) as cluster, Client(cluster) as client:
        par = scop.run(TEMPS[:2], client=client)
    assert par["bins"] == scop.run(TEMPS[:2])["bins"]
