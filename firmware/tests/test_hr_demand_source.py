# Where the HR demand comes from (hr_demand_src), through the composed controller: the
# tank temperature through a PI on the 0-10 V scale, or a BMS writing it over Modbus
# (command bms_demand_v) with a timeout back to no heat recovery.
from ctlkit import Rig

from co2hr import status as S
from co2hr.io import AI_DEMAND, AI_T_TANK

_BMS = 12  # COMMANDS bms_demand_v


def test_tank_temperature_makes_the_demand():
    r = Rig()
    r.set("mode_cmd", 3)
    r.set("hr_demand_src", 1)
    r.set("t_tank_sp_c", 55)
    r.eng[AI_DEMAND] = 0.0  # the 0-10 V input is not the source
    r.eng[AI_T_TANK] = 45.0  # 10 K below the setpoint: the PI's integral winds up
    r.step(600)
    assert r.c.hr.demand_v > 8.0 and r.c.status[S.ST_HR_STAGE] >= 2
    assert not (int(r.c.status[S.ST_OVERRIDES]) & S.OV_DEMAND_FB)
    t = 45.0
    while t < 60.0:  # the tank warms past its setpoint (0.5 K/s: no rate fault)
        t += 0.5
        r.eng[AI_T_TANK] = t
        r.step()
    r.step(900)
    assert r.c.hr.demand_v < 0.3 and r.c.status[S.ST_HR_STAGE] == 0
    r.ok[AI_T_TANK] = 0  # the tank sensor fails: no demand, flagged
    r.step(5)
    assert r.c.status[S.ST_HR_STAGE] == 0
    assert int(r.c.status[S.ST_OVERRIDES]) & S.OV_DEMAND_FB


def test_bms_demand_holds_until_its_timeout():
    r = Rig()
    r.set("mode_cmd", 3)
    r.set("hr_demand_src", 2)
    r.set("hr_bms_timeout_s", 60)
    r.eng[AI_DEMAND] = 9.9  # ignored
    r.step(10)
    assert r.c.status[S.ST_HR_STAGE] == 0  # never written: invalid
    assert int(r.c.status[S.ST_OVERRIDES]) & S.OV_DEMAND_FB
    r.c.command(_BMS, 5.0)
    assert r.c.command_value(_BMS) == 5.0
    r.step(50)
    assert r.c.status[S.ST_HR_STAGE] == 2 and abs(r.c.hr.demand_v - 5.0) < 1e-9
    r.c.command(_BMS, 5.0)  # written again within the timeout
    r.step(50)
    assert r.c.status[S.ST_HR_STAGE] == 2
    r.step(15)  # 65 s since the last write
    assert r.c.status[S.ST_HR_STAGE] == 0
    assert int(r.c.status[S.ST_OVERRIDES]) & S.OV_DEMAND_FB
    try:
        r.c.command(_BMS, 10.5)
        raise AssertionError("accepted 10.5 V")
    except ValueError:
        pass
