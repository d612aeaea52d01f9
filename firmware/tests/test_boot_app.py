# The application chosen at boot (co2hr.boot.controller): the board file's "app" picks
# the controller, only that one's modules are imported, and the store keeps the heat
# pump's settings only on a heat pump. Its register map: test_modbus_pdu.py.
import sys

from ctlkit import BOARD

from co2hr import boot
from co2hr.settings import HP_FIRST, Settings

HP_MODULES = ("co2hr.hp_controller", "co2hr.hp_gc", "co2hr.hp_capacity", "co2hr.hp_fans",
              "co2hr.hp_meters", "co2hr.hp_schedule", "co2hr.hp_supply", "co2hr.defrost")


def board(**over):
    b = dict(BOARD)
    b.update(over)
    return b


def hp_board():
    b = board(app="heatpump")
    ins = dict(BOARD["inputs"])
    del ins["p_rec_bar"]
    ins["t_coil_c"] = {"kind": "pt1000"}
    ins["boiler_on"] = {"kind": "di"}
    b["inputs"] = ins
    return b


def _forget_hp():
    for m in HP_MODULES:
        if m in sys.modules:
            del sys.modules[m]


def test_the_supermarket_is_the_default_and_imports_none_of_the_heat_pump():
    _forget_hp()
    s = Settings()
    c = boot.controller(board(), s)
    assert not getattr(c, "HEATPUMP", 0)
    assert [m for m in HP_MODULES if m in sys.modules] == []
    assert s.n_kept == HP_FIRST  # the store keeps the supermarket's settings only


def test_a_heat_pump_board_boots_the_heat_pump():
    s = Settings()
    c = boot.controller(hp_board(), s)
    assert c.HEATPUMP == 1 and "co2hr.hp_controller" in sys.modules
    assert s.n_kept == len(s.values)


def test_an_unknown_app_is_refused():
    try:
        boot.controller(board(app="chiller"), Settings())
    except ValueError as e:
        assert "chiller" in str(e) and "heatpump" in str(e)
    else:
        raise AssertionError("an unknown app booted")
