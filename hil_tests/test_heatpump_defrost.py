"""The heat pump's defrost on a target (sil, mpy): a cold humid night on a frosting coil.

The coil frosts as it runs and melts under hot gas (rig.plant.air_coil through
rig.hil.hp_rig, frost=True); the weather is rig.hil.defrost_day's Danish January day
from midnight (-2..-4.5 degC, 93-97 % humidity). The truths are the plant's: a defrost
is the bypass valve open, its cost the compressor's work meanwhile, the frost the coil's,
and the capacity lost to frost 1 - q_evap / q_evap of a clean twin of the coil at the
same air, fans, compressor speed and high side (HpPlant.clean_balance). The same night
is run twice: on demand (every sensor good), and with the evaporating pressure failed
(the demand cannot be read: the timed fallback). docs/heatpump.md ("Defrost") states the
rule the demand keeps: the capacity lost to frost below 10 %, the evaporating
temperature within 3 K of the clean coil's.
"""

from __future__ import annotations

import pytest
from test_heatpump import Watch, _alarm, _rig, _u32

from co2hr.alarms import A_DF_TIMEOUT
from co2hr.defrost import WHY_DEMAND, WHY_TIMED
from co2hr.io import AO_BEV, DO_COMP_ENABLE
from co2hr.status import HC_DEFROST_S, HC_DEFROST_WH, HC_DEFROSTS, HS_DF_FALLBACK, HS_DF_WHY
from rig.boards import load_board
from rig.hil.defrost_day import HOT_GAS_W, cold_humid_day
from rig.targets import open_target

NIGHT_S = 4 * 3600
DRIP_S = 120.0  # df_drip_s's default
LOSS_MAX = 0.10  # the rule (docs/heatpump.md "Defrost")
DTE_MAX_K = 3.0
SAMPLE_S = 30  # the clean twin's balance is a bisection: every SAMPLE_S steps


class Coil(Watch):
    """Watch, the weather of the next step, and the coil's truth."""

    def __init__(self):
        super().__init__()
        self.defrosts = 0
        self.hot_gas_s = 0.0  # the bypass open with the compressor running
        self.left_kg = 0.0  # the most frost a defrost left
        self.loss_max = self.dte_max_k = 0.0
        self._hot = False

    def __call__(self, rig, st):
        super().__call__(rig, st)
        t_s = rig.t_ms // 1000
        hot = rig.out[AO_BEV] > 0.0
        if hot and not self._hot:
            self.defrosts += 1
        if self._hot and not hot:
            self.left_kg = max(self.left_kg, rig.plant.coil.frost_kg)
        self._hot = hot
        if hot and rig.out[DO_COMP_ENABLE] >= 0.5:
            self.hot_gas_s += rig.dt_s
        elif not hot and st.m_co2_kg_s > 0.0 and t_s % SAMPLE_S == 0:
            ref = rig.plant.clean_balance()
            if ref.q_evap_w > 0.0:
                self.loss_max = max(self.loss_max, 1.0 - st.q_evap_w / ref.q_evap_w)
                self.dte_max_k = max(self.dte_max_k, ref.t_evap_c - st.t_evap_c)
        rig.world.t_air_c, rig.world.rh = cold_humid_day(t_s)


def _night(target_name, invalid=()):
    t = open_target(target_name, load_board("esp32_heatpump"))
    try:
        t_air_c, rh = cold_humid_day(0.0)
        rig = _rig(t, t_air_c=t_air_c, rh=rh, t_return_c=40.0, demand_v=6.0, frost=True)
        rig.invalid = set(invalid)
        c = Coil()
        rig.run(NIGHT_S, c)
        fw = {k: _u32(rig.read_input(340 + 2 * i, 2)) for k, i in (
            ("n", HC_DEFROSTS), ("s", HC_DEFROST_S), ("wh", HC_DEFROST_WH))}
        fw["why"], fw["fallback"] = (rig.read_input(240 + i)[0]
                                     for i in (HS_DF_WHY, HS_DF_FALLBACK))
        fw["timeout"] = _alarm(rig, A_DF_TIMEOUT)
        return c, fw
    finally:
        t.close()


_NIGHTS: dict = {}  # target -> the two nights (each test reads both: run them once)


@pytest.fixture
def nights(target_name):
    if target_name == "serial":
        pytest.skip("serial target: the heat pump board is not on the bench")
    if target_name not in _NIGHTS:
        _NIGHTS[target_name] = (_night(target_name),
                                _night(target_name, invalid={"p_suc_bar"}))
    return _NIGHTS[target_name]


def _counted(c, fw):
    """The firmware's counters against the plant: each defrost, its hot gas and drip
    time, and the compressor's work meanwhile (the energy meter at 1 Wh a pulse)."""
    assert fw["n"] == c.defrosts
    assert c.hot_gas_s <= fw["s"] <= c.hot_gas_s + c.defrosts * (DRIP_S + 15.0)
    plant_wh = HOT_GAS_W * c.hot_gas_s / 3600.0
    assert abs(fw["wh"] - plant_wh) <= 0.01 * plant_wh + 2.0 * c.defrosts


def test_a_cold_humid_night_defrosts_on_demand_less_often_than_the_timed_fallback(nights):
    (demand, fw), (timed, fw_t) = nights
    assert fw["why"] == WHY_DEMAND and fw["fallback"] == 0
    assert 2 <= demand.defrosts < timed.defrosts
    # every defrost clears the coil and ends on its temperature, not at df_max_s
    assert demand.left_kg == 0.0 and fw["timeout"] == 0
    # the rule: between defrosts the frost costs less than 10 % of the clean coil's duty
    assert 0.02 < demand.loss_max < LOSS_MAX and demand.dte_max_k < DTE_MAX_K
    assert demand.p_max <= 110.0
    _counted(demand, fw)


def test_a_failed_evaporating_pressure_falls_back_to_the_timed_defrost(nights):
    _, (timed, fw) = nights
    assert fw["why"] == WHY_TIMED and fw["fallback"] == 1
    # hourly over frosting run time: the night's 4 h, less the defrosts' own time
    assert timed.defrosts == 3
    assert timed.left_kg == 0.0 and fw["timeout"] == 0
    assert timed.p_max <= 110.0
    _counted(timed, fw)
