# Boot: build the application from a board description. Every target (board,
# simulator, HIL link) comes through here, so they all run the same assembly.
# The board file's "app" chooses the application: "supermarket" (the default: the
# refrigeration plant with heat recovery, co2hr.controller) or "heatpump" (the
# air-source heat pump, co2hr.hp_controller); only its controller's modules are loaded.
from co2hr.app import App
from co2hr.clock import Clock
from co2hr.eventlog import EventLog
from co2hr.evstore import EvStore
from co2hr.settings import Settings
from co2hr.storage import OsFs, Store

APPS = ("supermarket", "heatpump")


def controller(board, settings):
    """The application's controller (ValueError for an app this firmware has not)."""
    app = board.get("app", APPS[0])
    if app == APPS[1]:
        from co2hr.hp_controller import HpController

        settings.n_kept = len(settings.values)  # its own settings too
        return HpController(board, settings)
    if app != APPS[0]:
        raise ValueError("unknown app %r: one of %s" % (app, ", ".join(APPS)))
    from co2hr.controller import Controller

    return Controller(board, settings)


def build(hw, board, flash_dir=None):
    settings = Settings()
    control = controller(board, settings)
    hw.use_settings(settings)
    app = App(hw, control, period_ms=int(board.get("tick_ms", 1000)))
    # Stored settings and counters, loaded before the Modbus ports take their
    # comm settings. flash_dir None: the hw's (BoardHardware: "flash"; None: RAM only).
    if flash_dir is None:
        flash_dir = hw.flash_dir
    fs = hw.flash_fs()
    store = None
    if flash_dir:
        store = Store(fs, dirpath=flash_dir)
        store.attach(control.settings, control, hw.ticks_ms)
        app.comms.append(store)  # debounced saves, polled between ticks
        app.store = store  # .fault/.reason: the storage alarm
        app.boot_count = store.boot_count  # this boot included, kept on flash
        control.store = store  # the controller raises storage_fault from store.fault
    net = hw.net
    if net is not None:
        app.comms.append(net)  # watched and reconnected between ticks
    events = _clock_and_log(app, hw, settings, fs, flash_dir)
    from co2hr.modbus.registers import setting_address
    from co2hr.modbus.server import ModbusServer

    server = ModbusServer(app, hw.comm_ports(), board.get("name", "?"))
    app.comms.extend(server.transports)
    app.modbus = server
    events.setting_address = setting_address
    events.boot(app.boot_count, server.map.reset_code, store)
    events.clock.adopt_rtc()  # after the boot entry: a set clock is logged after it
    app.comms.append(events)  # appends due, after the Modbus requests of the pass
    return app


def _clock_and_log(app, hw, settings, fs, flash_dir):
    """The clock (polled first in app.comms) and the event log, hooked into the alarms,
    the settings and the controller's tick."""
    clock = Clock(hw.ticks_ms, settings, hw)
    ring = None
    if flash_dir:
        ring = EvStore(fs if fs is not None else OsFs(), flash_dir)
        ring.open()
    events = EventLog(ring, clock)
    clock.floor_unix = events.newest_clock_unix()
    clock.on_set = events.clock_set
    control = app.control
    control.alarms.events = events
    settings.on_set = events.setting
    control.clock = clock
    control.events = events
    app.clock = clock
    app.events = events
    app.comms.insert(0, clock)
    return events
