# Boot: build the application from a board description. Every target (board,
# simulator, HIL link) comes through here, so they all run the same assembly.
from co2hr.app import App
from co2hr.controller import Controller
from co2hr.settings import Settings


def load_board(path):
    import json

    with open(path) as f:
        return json.load(f)


def build(hw, board):
    control = Controller(board, Settings())
    app = App(hw, control, period_ms=int(board.get("tick_ms", 1000)))
    from co2hr.modbus.server import ModbusServer

    server = ModbusServer(app, hw.comm_ports(), board.get("name", "?"))
    app.comms.extend(server.transports)
    app.modbus = server  # type: ignore[attr-defined]  # the HIL link's handle_pdu()
    return app
