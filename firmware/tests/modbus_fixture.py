# Shared by the dual Modbus test modules (CPython and MicroPython): the real firmware
# built through boot.build on a hardware whose only fake is the bus boundary (loopback
# byte ports), and helpers that put raw frames on those ports: PDUs through the HIL
# link's entry, RTU frames (address, PDU, CRC) on the line, MBAP frames on a TCP
# connection.
from co2hr.boot import build
from co2hr.hil_link import LinkHardware
from co2hr.modbus.crc import crc16
from co2hr.modbus.registers import UNLOCK_CODE, rows

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
T35 = 2005  # RTU silence at 19200 baud, 8E1 (11 bits per character)
RTU_GAP_US = 300000  # between two requests: longer than the longest answer on the line


class BusHw(LinkHardware):
    """The HIL link's hardware (terminals and clock set by the test) with its
    loopback byte ports created up front, so tests can feed them directly."""

    def __init__(self):
        super().__init__()
        self.loop_bus()
        self.t_us = 0  # the RTU line's clock as last fed


class FlashHw(BusHw):
    """BusHw with its flash on a fake filesystem (fakefs.FakeFs): the store and the
    event log on the flash boundary's fake."""

    def __init__(self, fs):
        super().__init__()
        self.fs_fake = fs

    def flash_fs(self):
        return self.fs_fake


def make_app():
    hw = BusHw()
    app = build(hw, BOARD)
    return app, hw


def h(s):
    return bytes.fromhex(s.replace(" ", ""))


def req(app, pdu_hex, unit=1):
    """A PDU through the HIL link's entry (its own unlock session); the reply PDU as
    hex, None when nothing is answered."""
    r = app.modbus.handle_pdu(unit, h(pdu_hex))
    return r.hex() if r is not None else None


def with_crc(b):
    c = crc16(b, 0, len(b))
    return bytes(b) + bytes([c & 0xFF, c >> 8])


def u16(v):
    return "%04x" % (v & 0xFFFF)


def unlock(app, code=UNLOCK_CODE):
    assert req(app, "06 0258" + u16(code)) == "060258" + u16(code)


_ADDR = {}


def addr(table, name):
    """The address of a register by name, from the documented map (rows())."""
    if not _ADDR:
        for r in rows():
            _ADDR[r[0] + ":" + r[2]] = r[1]
    return _ADDR[table + ":" + name]


# --- RTU: raw frames on the loopback line, on the port's own microsecond clock


def rtu(app, hw, t, data=b""):
    return hw.bus.rtu_exchange(t, data, app.modbus.poll)


def rtu_req(app, hw, pdu_hex, unit=1):
    """One request on the RTU line (address + PDU + CRC, then t3.5 of silence). The
    reply's PDU as hex (its address and CRC checked), None when nothing came back."""
    hw.t_us = (hw.t_us + RTU_GAP_US) & 0x3FFFFFFF
    t = hw.t_us
    out = rtu(app, hw, t, with_crc(bytes([unit]) + h(pdu_hex)))
    out += rtu(app, hw, (t + app.modbus.rtu.t35_us) & 0x3FFFFFFF)
    if not out:
        return None
    assert crc16(out, 0, len(out)) == 0 and out[0] == unit, out
    return out[1:-2].hex()


# --- TCP: MBAP frames on loopback connections


def tcp(app, hw, cid, op, data=b"", peer=None):
    return hw.bus.tcp_exchange(cid, op, data, app.modbus.poll, peer)


def mbap(tid, unit, pdu_hex, proto=0):
    pdu = h(pdu_hex)
    n = len(pdu) + 1
    return bytes([tid >> 8, tid & 0xFF, proto >> 8, proto & 0xFF, n >> 8, n & 0xFF, unit]) + pdu


def tcp_req(app, hw, cid, pdu_hex, tid=1):
    """One request on TCP connection cid; the reply's PDU as hex (its MBAP header
    checked), None when the connection got nothing back."""
    out, closed = tcp(app, hw, cid, "data", mbap(tid, 1, pdu_hex))
    if not out:
        return None
    assert out[:4] == bytes([tid >> 8, tid & 0xFF, 0, 0]), out
    assert (out[4] << 8 | out[5]) == len(out) - 6 and out[6] == 1, out
    return out[7:].hex()
