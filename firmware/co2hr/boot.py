# Boot: build the application from a board description. Every target (board,
# simulator, HIL link) comes through here, so they all run the same assembly.
from co2hr.app import App
from co2hr.controller import Controller
from co2hr.settings import Settings
from co2hr.storage import Store


def load_board(path):
    import json

    with open(path) as f:
        return json.load(f)


def build(hw, board, flash_dir=None):
    settings = Settings()
    control = Controller(board, settings)
    hw.use_settings(settings)
    app = App(hw, control, period_ms=int(board.get("tick_ms", 1000)))
    # Stored settings and counters, loaded before the Modbus ports take their
    # comm settings. flash_dir None: the hw's (BoardHardware: "flash"; None: RAM only).
    if flash_dir is None:
        flash_dir = hw.flash_dir
    if flash_dir:
        store = Store(dirpath=flash_dir)
        store.attach(control.settings, control, hw.ticks_ms)
        app.comms.append(store)  # debounced saves, polled between ticks
        app.store = store  # .fault/.reason: the storage alarm
        app.boot_count = store.boot_count  # this boot included, kept on flash
        control.store = store  # the controller raises storage_fault from store.fault
    net = hw.net
    if net is not None:
        app.comms.append(net)  # watched and reconnected between ticks
    from co2hr.modbus.server import ModbusServer

    server = ModbusServer(app, hw.comm_ports(), board.get("name", "?"))
    app.comms.extend(server.transports)
    app.modbus = server
    return app
