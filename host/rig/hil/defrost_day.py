"""A day of the heat pump's outdoor coil under the firmware's defrost (co2hr.defrost).

The coil frosts as it runs (air_coil.py, hp_evaporator.py); the firmware reads the air
temperature at the coil, the evaporating pressure and the coil temperature and decides
when to defrost, how, and when to stop. A clean twin of the coil, run at the same
compressor speed, fans and air, is the truth the frost is measured against: the
capacity lost to frost is 1 - q_evap / q_evap(clean coil), never the firmware's own
indicator. docs/heatpump.md ("Defrost") has the figures this gives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from co2hr.defrost import DRIP, END_TIME, FANS_ONLY, HOT_GAS, RUN, Defrost
from co2hr.settings import Settings
from rig.plant.air_coil import AirCoil
from rig.plant.hp_evaporator import HpEvaporator

DT_S = 10.0
DAY_S = 86400.0
HOT_GAS_W = 300e3  # hot gas into the coil during a defrost (~30 % of the duty)
FAN_PCT = 100.0

# The firmware's defaults (co2hr.settings_hp)
_DEFAULTS = Settings()
SETTINGS = {n: _DEFAULTS.get(n) for n in (
    "df_mode", "df_t_air_max_c", "df_rise_pct", "df_interval_s", "df_min_s",
    "df_backstop_s", "df_t_end_c", "df_max_s", "df_drip_s", "df_fans_t_air_c",
    "df_settle_s")}


def cold_humid_day(t_s: float) -> tuple[float, float]:
    """Air (degC) and relative humidity: a Danish January day, -4.5 to +0.5 degC,
    88-97 % humidity, coldest and most humid before dawn."""
    x = math.sin(2.0 * math.pi * (t_s / 3600.0 - 9.0) / 24.0)
    return -2.0 + 2.5 * x, 0.925 - 0.045 * x


def speed_hz(t_air_c: float) -> float:
    """The compressor follows the heat demand: faster in colder air."""
    return max(30.0, min(70.0, 50.0 - 4.0 * t_air_c))


@dataclass
class DayResult:
    defrosts: int
    hot_gas: int
    fans_only: int
    ended_on_time: int
    defrost_h: float  # defrosting and dripping
    q_evap_kwh: float
    q_clean_kwh: float  # the clean twin over the same running time
    loss_mean: float  # 1 - q_evap / q_clean over the running time
    loss_max: float
    frost_max_kg: float
    dte_mean_k: float  # the clean coil's evaporating temperature minus this one's
    dte_max_k: float
    defrost_kwh: float  # hot gas given to the coil
    frost_left_kg: float  # the most frost a defrost left on the coil
    fallback_s: float  # time the firmware ran its timed fallback


class _Tally:
    """What the day did, in SI units as it runs."""

    def __init__(self):
        self.q_j = self.q_clean_j = self.dte_ks = self.run_s = self.hot_gas_j = 0.0
        self.loss_max = self.dte_max_k = self.frost_max_kg = self.left_kg = 0.0
        self.fallback_s = 0.0
        self.hot_gas = self.fans_only = self.ended_on_time = 0

    def change(self, state: int, fw: Defrost, coil: AirCoil) -> None:
        if state == HOT_GAS:
            self.hot_gas += 1
        elif state == FANS_ONLY:
            self.fans_only += 1
        elif state == DRIP:
            self.ended_on_time += fw.end == END_TIME
            self.left_kg = max(self.left_kg, coil.frost_kg)

    def running(self, res, ref) -> None:
        """A step of evaporation (res) beside the clean twin's (ref)."""
        self.q_j += res.q_evap_w * DT_S
        self.q_clean_j += ref.q_evap_w * DT_S
        self.loss_max = max(self.loss_max, 1.0 - res.q_evap_w / ref.q_evap_w)
        dte = ref.t_evap_c - res.t_evap_c
        self.dte_ks += dte * DT_S
        self.dte_max_k = max(self.dte_max_k, dte)
        self.run_s += DT_S

    def result(self, fw: Defrost) -> DayResult:
        return DayResult(fw.count, self.hot_gas, self.fans_only, self.ended_on_time,
                         fw.defrost_s / 3600.0, self.q_j / 3.6e6, self.q_clean_j / 3.6e6,
                         1.0 - self.q_j / self.q_clean_j, self.loss_max, self.frost_max_kg,
                         self.dte_ks / max(self.run_s, DT_S), self.dte_max_k,
                         self.hot_gas_j / 3.6e6, self.left_kg, self.fallback_s)


def run_day(settings: dict | None = None, weather=cold_humid_day, seconds: float = DAY_S,
            air_ok=lambda t: True, p_ok=lambda t: True, coil_ok=lambda t: True,
            evap: HpEvaporator | None = None) -> DayResult:
    """One day at DT_S steps; air_ok/p_ok/coil_ok(t_s) say when each sensor works."""
    evap = evap or HpEvaporator()
    t_air, rh = weather(0.0)
    coil, clean = AirCoil(t_metal_c=t_air), AirCoil()
    fw = Defrost()
    fw.configure({**SETTINGS, **(settings or {})})
    tally = _Tally()
    p_evap = evap.balance(coil, t_air, rh, FAN_PCT, speed_hz(t_air)).p_evap_bar
    t, last = 0.0, RUN
    while t < seconds:
        t_air, rh = weather(t)
        hz = speed_hz(t_air)
        state = fw.step(DT_S, t_air, air_ok(t), p_evap, p_ok(t), coil.t_metal_c,
                        coil_ok(t), 100.0 * hz / evap.p.compressor.speed_max_hz,
                        fw.fans_pct(FAN_PCT))
        if state != last:
            tally.change(state, fw, coil)
        last = state
        p_evap = _step_plant(tally, evap, coil, clean, state, t_air, rh, hz, p_evap)
        tally.fallback_s += DT_S if fw.fallback else 0.0
        tally.frost_max_kg = max(tally.frost_max_kg, coil.frost_kg)
        t += DT_S
    return tally.result(fw)


def _step_plant(tally, evap, coil, clean, state, t_air, rh, hz, p_evap) -> float:
    """DT_S of the coil in the firmware's state; the evaporating pressure it reads."""
    if state == RUN:
        res = evap.run(coil, DT_S, t_air, rh, FAN_PCT, hz)
        tally.running(res, evap.balance(clean, t_air, rh, FAN_PCT, hz))
        return res.p_evap_bar
    hot_w = HOT_GAS_W if state == HOT_GAS else 0.0
    coil.idle(DT_S, t_air, rh, 100.0 if state == FANS_ONLY else 0.0, hot_w)
    tally.hot_gas_j += hot_w * DT_S
    return p_evap  # the suction side is not evaporating: the last reading stands
