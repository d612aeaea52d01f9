# Shared by the dual Modbus test modules (CPython and MicroPython): the real firmware
# built through boot.build on a hardware whose only fake is the bus boundary (loopback
# byte ports), and helpers that build raw frames from hex.
from co2hr.boot import build
from co2hr.hil_link import LinkHardware
from co2hr.modbus.crc import crc16
from co2hr.modbus.registers import UNLOCK_CODE

BOARD = {
    "name": "testboard",
    "tick_ms": 1000,
    "inputs": {
        "p_gc_bar": {"kind": "ma420", "lo": 0, "hi": 160},
        "p_rec_bar": {"kind": "ma420", "lo": 0, "hi": 100},
        "t_gc_out_c": {"kind": "pt1000"},
        "t_amb_c": {"kind": "pt1000"},
        "demand_v": {"kind": "v010"},
        "comp_run": {"kind": "di"},
    },
}


class BusHw(LinkHardware):
    """The HIL link's hardware (terminals and clock set by the test) with its
    loopback byte ports created up front, so tests can feed them directly."""

    def __init__(self):
        super().__init__()
        self.loop_bus()


def make_app():
    hw = BusHw()
    app = build(hw, BOARD)
    return app, hw


def h(s):
    return bytes.fromhex(s.replace(" ", ""))


def req(app, pdu_hex, unit=1):
    r = app.modbus.handle_pdu(unit, h(pdu_hex))
    return r.hex() if r is not None else None


def with_crc(b):
    c = crc16(b, 0, len(b))
    return bytes(b) + bytes([c & 0xFF, c >> 8])


def u16(v):
    return "%04x" % (v & 0xFFFF)


def unlock(app):
    assert req(app, "06 0258" + u16(UNLOCK_CODE)) is not None
