"""boot.build with a flash folder (CPython, real files): a first boot is no fault
and writes the defaults; a setting changed at run time is on flash within
SAVE_WITHIN_MS and is back after a reboot; no folder, no store."""

import json

from modbus_fixture import addr

from co2hr import boot
from co2hr.hil_link import LinkHardware
from co2hr.settings import SCHEMA
from co2hr.storage import SAVE_WITHIN_MS


def _board():
    from rig.boards import load_board

    return load_board("esp32_devkitc")


def _pick():
    for i, row in enumerate(SCHEMA):
        if row[3] > row[2] and row[1] + 1 <= row[3] and isinstance(row[1], int):
            return i
    raise AssertionError


def test_setting_survives_reboot_through_boot_build(tmp_path):
    board = _board()
    hw = LinkHardware()
    app = boot.build(hw, board, str(tmp_path))
    assert app.store.fault == 0 and app.store.first_boot  # first boot: defaults, no fault
    assert app.store.boot_count == 1 and app.boot_count == 1  # health register source
    i = _pick()
    new = SCHEMA[i][1] + 1
    app.control.settings.set_index(i, new)
    for t in range(0, SAVE_WITHIN_MS + 500, 500):
        hw.now = t
        app.service()
    assert app.store.saves >= 1
    stored = json.loads((tmp_path / "store_a.dat").read_bytes().split(b"\n", 1)[1])
    assert stored["settings"][SCHEMA[i][0]] == new
    app2 = boot.build(LinkHardware(), board, str(tmp_path))
    assert app2.store.fault == 0 and not app2.store.first_boot and app2.store.boot_count == 2
    assert app2.boot_count == 2
    a = addr("input", "boot_count")
    assert app2.modbus.handle_pdu(1, bytes([4, a >> 8, a & 0xFF, 0, 2])) == b"\x04\x04" + bytes(
        [0, 0, 0, 2])  # FC 4: the health register reads the stored count
    assert app2.control.settings.values[i] == new


def test_no_flash_dir_no_store():
    app = boot.build(LinkHardware(), _board())
    assert app.store is None
