"""The year's seasons are the firmware's tax seasons: for every month the study books in
its heating season, the firmware's own clock (co2hr.clock, set to UTC noon on the 15th of
that month, no time zone) says heating; and the year's figures add up over the seasons."""

from __future__ import annotations

import numpy as np

from co2hr.clock import CLK_MODBUS, Clock
from co2hr.hil_link import LinkHardware
from co2hr.settings import Settings
from rig.hil import seasonal


def _firmware_heating(month: int) -> int:
    s = Settings()
    s.set("tz_offset_min", 0)
    s.set("tz_summer_time", 0)
    hw = LinkHardware()
    c = Clock(hw.ticks_ms, s, hw)
    c.set_civil(2026, month, 15, 12, 0, 0, CLK_MODBUS)
    return c.heating


def test_the_heating_season_is_the_firmware_s():
    for m in range(1, 13):
        assert (m - 1 in seasonal.HEATING_MONTHS) == bool(_firmware_heating(m)), m


def test_the_seasons_add_up_to_the_year():
    hours = 8760
    t = np.arange(hours) * 3600.0
    tr = {"t_s": t, "w_s": np.full(hours, 3600.0),
          "plant.q_evap_kw": np.full(hours, 60.0), "plant.w_comp_kw": np.full(hours, 20.0),
          "plant.q_hr_kw": np.where((t // 3600) % 24 < 12, 30.0, 10.0),
          "plant.q_gc_kw": np.full(hours, 80.0), "fw.op_state": np.full(hours, 2.0)}
    fig = seasonal.figures(tr, 3600.0, {})
    heating, rest = fig["by_season"]["heating_oct_mar"], fig["by_season"]["summer_apr_sep"]
    assert heating["hours"] == 24 * (31 + 30 + 31 + 31 + 28 + 31)
    assert heating["hours"] + rest["hours"] == hours
    assert heating["q_hr_kwh"] + rest["q_hr_kwh"] == 20.0 * hours
