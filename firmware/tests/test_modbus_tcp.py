# Modbus TCP (MBAP) on the firmware's TCP server through loopback connections at the
# bus boundary: transaction ids echoed, partial and pipelined frames, bad headers,
# client limit, idle timeout, port change after the answer.
from modbus_fixture import h, make_app, req, unlock

from co2hr.modbus.registers import D_TCP_REFUSED, D_TCP_TIMEOUTS


def tcp(app, hw, cid, op, data=b""):
    return hw.bus.tcp_exchange(cid, op, data, app.modbus.poll)


def mbap(tid, unit, pdu_hex, proto=0):
    pdu = h(pdu_hex)
    n = len(pdu) + 1
    return bytes([tid >> 8, tid & 0xFF, proto >> 8, proto & 0xFF, n >> 8, n & 0xFF, unit]) + pdu


def test_request_answered_with_mbap_echo():
    app, hw = make_app()
    assert tcp(app, hw, 1, "open") == (b"", False)
    out, closed = tcp(app, hw, 1, "data", mbap(0x1234, 0xFF, "04 0384 0001"))
    assert not closed
    assert out[:9] == h("1234 0000 0005 ff 04 02")


def test_exception_over_tcp():
    app, hw = make_app()
    tcp(app, hw, 1, "open")
    out, _ = tcp(app, hw, 1, "data", mbap(7, 1, "03 0000 0000"))
    assert out == h("0007 0000 0003 01 83 03")


def test_partial_frame_waits_for_the_rest():
    app, hw = make_app()
    tcp(app, hw, 1, "open")
    m = mbap(1, 1, "03 0000 0001")
    assert tcp(app, hw, 1, "data", m[:3]) == (b"", False)
    assert tcp(app, hw, 1, "data", m[3:9]) == (b"", False)
    out, _ = tcp(app, hw, 1, "data", m[9:])
    assert out[:9] == h("0001 0000 0005 01 03 02")


def test_pipelined_frames_answered_in_order():
    app, hw = make_app()
    tcp(app, hw, 1, "open")
    data = mbap(1, 1, "03 0000 0001") + mbap(2, 1, "04 0384 0002") + mbap(3, 1, "03 0000 0000")
    out, _ = tcp(app, hw, 1, "data", data)
    assert out[:2] == h("0001") and out[11:13] == h("0002")
    assert out[24:] == h("0003 0000 0003 01 83 03")


def test_bad_protocol_id_dropped_connection_kept():
    app, hw = make_app()
    tcp(app, hw, 1, "open")
    assert tcp(app, hw, 1, "data", mbap(1, 1, "03 0000 0001", proto=1)) == (b"", False)
    out, closed = tcp(app, hw, 1, "data", mbap(2, 1, "03 0000 0001"))
    assert out[:2] == h("0002") and not closed


def test_bad_length_closes_connection():
    app, hw = make_app()
    tcp(app, hw, 1, "open")
    out, closed = tcp(app, hw, 1, "data", h("0001 0000 0000 01"))
    assert out == b"" and closed
    tcp(app, hw, 2, "open")
    out, closed = tcp(app, hw, 2, "data", h("0001 0000 0100 01") + bytes(300))
    assert closed


def test_several_clients_up_to_the_limit():
    app, hw = make_app()
    for cid in range(1, 5):
        assert tcp(app, hw, cid, "open") == (b"", False)
    assert tcp(app, hw, 5, "open") == (b"", True)  # tcp_max_clients = 4
    assert h(req(app, "04 %04x 0002" % (400 + 2 * D_TCP_REFUSED)))[5] == 1
    for cid in range(1, 5):
        out, _ = tcp(app, hw, cid, "data", mbap(cid, 1, "03 0000 0001"))
        assert out[:2] == bytes([0, cid])
    tcp(app, hw, 2, "close")
    assert tcp(app, hw, 6, "open") == (b"", False)  # the slot is free again
    assert app.modbus.tcp.clients() == 4


def test_idle_timeout_closes():
    app, hw = make_app()
    tcp(app, hw, 1, "open")
    tcp(app, hw, 2, "open")
    hw.now = 59000
    tcp(app, hw, 2, "data", mbap(1, 1, "03 0000 0001"))
    hw.now = 60001
    assert tcp(app, hw, 1, "poll") == (b"", True)
    assert tcp(app, hw, 2, "poll") == (b"", False)
    assert h(req(app, "04 %04x 0002" % (400 + 2 * D_TCP_TIMEOUTS)))[5] == 1


def test_port_change_after_the_answer():
    app, hw = make_app()
    unlock(app)
    assert hw.bus.tcp.port == 502
    tcp(app, hw, 1, "open")
    out, _ = tcp(app, hw, 1, "data", mbap(9, 1, "06 0194 1388"))
    assert out == mbap(9, 1, "06 0194 1388")
    assert hw.bus.tcp.port == 5000


def test_raised_client_limit_takes_effect_without_reboot():
    # slots for the boot-time limit (4) are preallocated; raising tcp_max_clients to 6
    # lets two more clients in, lowering it to 2 refuses new ones again
    app, hw = make_app()
    unlock(app)
    assert len(app.modbus.tcp.slots) == 4
    assert req(app, "06 0195 0006") == "0601950006"  # holding 405 = tcp_max_clients
    for cid in range(1, 7):
        assert tcp(app, hw, cid, "open") == (b"", False)
    assert tcp(app, hw, 7, "open") == (b"", True)
    for cid in range(1, 7):
        out, _ = tcp(app, hw, cid, "data", mbap(cid, 1, "03 0000 0001"))
        assert out[:2] == bytes([0, cid])
    assert app.modbus.tcp.clients() == 6
    req(app, "06 0195 0002")
    for cid in range(1, 7):
        tcp(app, hw, cid, "close")
    assert tcp(app, hw, 8, "open") == (b"", False)
    assert tcp(app, hw, 9, "open") == (b"", False)
    assert tcp(app, hw, 10, "open") == (b"", True)
