# co2hr: controller firmware for a transcritical CO2 heat-recovery rig.
VERSION = "0.1.0"

# The application this board runs ("supermarket" or "heatpump", co2hr.boot), once a
# board's boot has read its board file before anything else of the package was
# imported (read_board): the settings table then holds only that application's rows
# (co2hr.settings), so a supermarket board does not carry the heat pump's. None (the
# host, the unit tests, a board file read later): every application's rows.
APP = None


def read_board(path):
    """The board file at path, as a dict. Read by a board's boot before the tables are
    imported, it names the board's application (APP)."""
    import json
    import sys

    global APP
    with open(path) as f:
        board = json.load(f)
    if "co2hr.settings" not in sys.modules:
        APP = board.get("app", "supermarket")
    return board


def unload(name):
    """Drop the module co2hr.<...> name from sys.modules and its package, so that its
    code and globals are collected once nothing else holds them (boot-only modules)."""
    import sys

    sys.modules.pop(name, None)
    pkg, _, attr = name.rpartition(".")
    p = sys.modules.get(pkg)
    if p is not None and hasattr(p, attr):
        delattr(p, attr)
