"""A board loads only its own application's settings (co2hr.APP, co2hr.settings): the
board build, in the real MicroPython, after the boot has read its board file first (as
co2hr.start does). A supermarket board holds the supermarket's rows and order only, and
the heat pump's rows are neither served nor imported; a heat pump board holds both; on
neither do the row tables stay imported (the build packed them: co2hr.settings_table).
The supermarket's rows read the same on both (the register addresses stay put)."""

import shutil

import pytest

from co2hr.settings import HP_FIRST, ORDER, SCHEMA
from co2hr.settings_control import ORDER as ORDER_SUPERMARKET
from rig.boards import load_board
from rig.targets.vm import FROM_FS, MicroPythonVM, prepare_root

_PROBE = """
def probe():
    from co2hr import read_board
    read_board('/fw/board.json')
    import co2hr
    from co2hr import settings as S
    s = S.Settings()
    rows = [m for m in ('co2hr.settings_control', 'co2hr.settings_comm', 'co2hr.settings_hp')
            if m in sys.modules]
    sys.stdout.write('APP %s N %d V %d ORDER %d ROWS %s\\n' % (co2hr.APP, len(S.SCHEMA),
                     len(s.values), len(S.ORDER), ','.join(rows) or '-'))
    sys.stdout.write('LAST %r\\n' % (S.SCHEMA[len(S.SCHEMA) - 1],))
    sys.stdout.write('FIND %d\\n' % S.SCHEMA.find('hp_supply_sp_c'))
probe()
"""


def _probe(board_name):
    root = prepare_root(load_board(board_name))
    try:
        vm = MicroPythonVM(root, "import sys, gc\n" + FROM_FS + _PROBE)
        try:
            return [vm.readline(120).decode().split(" ", 1)[1] for _ in range(3)]
        finally:
            vm.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("board,app,n,order,last,hp_at", [
    ("esp32_devkitc", "supermarket", HP_FIRST, len(ORDER_SUPERMARKET), SCHEMA[HP_FIRST - 1], -1),
    ("esp32_heatpump", "heatpump", len(SCHEMA), len(ORDER), SCHEMA[len(SCHEMA) - 1], HP_FIRST),
])
def test_a_board_holds_only_its_own_applications_settings(board, app, n, order, last, hp_at):
    assert n < len(SCHEMA) or app == "heatpump"
    head, row, found = _probe(board)
    assert head == f"{app} N {n} V {n} ORDER {order} ROWS -"
    assert eval(row) == last  # noqa: S307 (a repr the firmware printed)
    assert int(found) == hp_at
