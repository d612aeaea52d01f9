# Modbus TCP (MBAP) on the firmware's TCP server through loopback connections at the
# bus boundary: transaction ids echoed, partial and pipelined frames, bad headers,
# client limit, idle timeout, port change after the answer.
from modbus_fixture import UNLOCK_CODE, addr, h, make_app, mbap, req, tcp, unlock

from co2hr.modbus.registers import D_TCP_REFUSED, D_TCP_TIMEOUTS
from co2hr.settings import SCHEMA, index


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
    assert hw.bus.tcp.port == 502
    tcp(app, hw, 1, "open")
    code = "06 0258 %04x" % UNLOCK_CODE
    assert tcp(app, hw, 1, "data", mbap(8, 1, code))[0] == mbap(8, 1, code)
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


# --- connections that try to hold a slot (every one must be let go in time)

HALF = mbap(1, 1, "03 0000 0001")[:8]  # the MBAP header and 1 of 5 PDU bytes
FRAME_MS = 5 * 1000  # tcp_frame_s
IDLE_MS = 60 * 1000  # tcp_idle_s


def _diag(app, name):
    r = h(req(app, "04 %04x 0002" % addr("input", name)))
    return (r[2] << 24) | (r[3] << 16) | (r[4] << 8) | r[5]


def test_half_sent_frames_cannot_hold_the_slots():
    app, hw = make_app()
    for cid in range(1, 5):
        tcp(app, hw, cid, "open")
        assert tcp(app, hw, cid, "data", HALF) == (b"", False)
    assert tcp(app, hw, 5, "open") == (b"", True)  # all four held
    hw.now += FRAME_MS + 1
    for cid in range(1, 5):
        assert tcp(app, hw, cid, "poll") == (b"", True), cid
    assert tcp(app, hw, 6, "open") == (b"", False)
    out, _ = tcp(app, hw, 6, "data", mbap(6, 1, "03 0000 0001"))
    assert out[:2] == h("0006")
    assert _diag(app, "mb_tcp_frame_timeouts") == 4


def test_trickled_bytes_do_not_keep_a_frame_alive():
    app, hw = make_app()
    tcp(app, hw, 1, "open")
    f = mbap(1, 1, "10 0000 0001 02 0001")
    for k in range(len(f) - 1):  # one byte a second, never the last one
        assert tcp(app, hw, 1, "data", f[k:k + 1]) == (b"", k * 1000 > FRAME_MS), k
        if k * 1000 > FRAME_MS:
            break
        hw.now += 1000
    assert k * 1000 > FRAME_MS


def test_idle_timeout_applies_to_a_connection_holding_a_partial_frame():
    app, hw = make_app()
    unlock(app)
    a = addr("holding", "tcp_idle_s")
    assert req(app, "06 %04x 000a" % a) == "06%04x000a" % a  # idle 10 s
    b = addr("holding", "tcp_frame_s")
    assert req(app, "06 %04x 003c" % b) == "06%04x003c" % b  # frame 60 s
    tcp(app, hw, 1, "open")
    tcp(app, hw, 1, "data", HALF)
    hw.now += 10 * 1000
    assert tcp(app, hw, 1, "poll") == (b"", False)
    hw.now += 1
    assert tcp(app, hw, 1, "poll") == (b"", True)


def test_a_client_that_reconnects_at_once_gets_the_freed_slot():
    app, hw = make_app()
    for cid in range(1, 5):
        tcp(app, hw, cid, "open")
    hw.bus.tcp.conns[2].peer_closed = True  # its FIN and the new SYN in one poll
    assert tcp(app, hw, 5, "open") == (b"", False)
    assert app.modbus.tcp.clients() == 4 and hw.bus.tcp.conns[5].closed is False


def test_a_client_that_does_not_read_its_answers_is_let_go():
    app, hw = make_app()
    tcp(app, hw, 1, "open")
    hw.bus.tcp.conns[1].window = 0  # takes no byte of the answer
    assert tcp(app, hw, 1, "data", mbap(1, 1, "03 0000 0010")) == (b"", False)
    hw.now += FRAME_MS
    assert tcp(app, hw, 1, "poll") == (b"", False)
    hw.now += 1
    assert tcp(app, hw, 1, "poll") == (b"", True)
    assert tcp(app, hw, 2, "open") == (b"", False)


def test_a_reset_during_an_answer_drops_the_connection_only():
    app, hw = make_app()
    tcp(app, hw, 1, "open")
    tcp(app, hw, 2, "open")
    c = hw.bus.tcp.conns[1]
    c.window = 5  # part of the answer goes out, then the peer resets
    out, _ = tcp(app, hw, 1, "data", mbap(1, 1, "03 0000 0010"))
    assert out == h("0001 0000 0023")[:5]
    c.reset = True
    assert tcp(app, hw, 1, "poll") == (b"", True)
    out, _ = tcp(app, hw, 2, "data", mbap(2, 1, "03 0000 0001"))
    assert out[:2] == h("0002")
    assert app.modbus.tcp.clients() == 1


def test_idle_and_half_sent_connections_let_a_client_in_within_the_idle_timeout():
    # two idle, one half-sent, one trickling a byte every 2 s: a new client tries every
    # second and must be in no later than the idle timeout (here: the frame timeout)
    app, hw = make_app()
    for cid in range(1, 5):
        tcp(app, hw, cid, "open")
    tcp(app, hw, 3, "data", HALF)
    f = mbap(1, 1, "03 0000 0001")
    waited = 0
    k = 0
    while True:
        if waited % 2000 == 0 and k < len(f) - 1:
            tcp(app, hw, 4, "data", f[k:k + 1])
            k += 1
        out, closed = tcp(app, hw, 100 + waited, "open")
        if not closed:
            break
        waited += 1000
        hw.now += 1000
        assert waited <= IDLE_MS
    assert waited <= FRAME_MS + 1000


# --- the board's socket wrapper (co2hr.hw.tcp_socket) on a fake socket module


class _FakeSock:
    def __init__(self):
        self.pending = []  # (client socket, address) for accept()
        self.closed = False

    def setsockopt(self, *a):
        pass

    def bind(self, a):
        pass

    def listen(self, n):
        pass

    def setblocking(self, flag):
        pass

    def accept(self):
        if not self.pending:
            raise OSError(11)  # EAGAIN
        return self.pending.pop(0)

    def write(self, mv):
        raise OSError(104)  # ECONNRESET

    def close(self):
        self.closed = True


class _FakeSocketModule:
    AF_INET = 2
    SOCK_STREAM = 1
    SOL_SOCKET = 1
    SO_REUSEADDR = 4

    def __init__(self):
        self.sock = _FakeSock()

    def socket(self, af, kind):
        return self.sock

    def getaddrinfo(self, host, port):
        return [(2, 1, 0, "", (host, port))]


def test_board_sockets_give_the_peer_address_for_the_allowlist():
    from co2hr.hw.tcp_socket import SocketTcpListener
    from co2hr.modbus.tcp import allowed

    mod = _FakeSocketModule()
    lis = SocketTcpListener(mod)
    lis.listen(502)
    assert lis.accept() is None
    raw = bytes([2, 0, 0x9C, 0x40, 10, 0, 0, 7]) + bytes(8)  # a raw sockaddr_in
    for sockaddr, peer in ((("192.168.1.5", 40000), bytes([192, 168, 1, 5])),
                       (raw, bytes([10, 0, 0, 7])), (("not an address", 1), None)):
        c = _FakeSock()
        mod.sock.pending.append((c, sockaddr))
        assert lis.accept().peer == peer, sockaddr
    vals = [0] * len(SCHEMA)
    vals[index("tcp_allow_prefix")] = 8
    vals[index("tcp_allow_ip1")] = 10
    assert allowed(bytes([10, 9, 9, 9]), vals) and not allowed(bytes([11, 0, 0, 7]), vals)
    assert not allowed(None, vals)  # an address unknown is not in any network
    vals[index("tcp_allow_prefix")] = 0
    assert allowed(None, vals)
    assert index("tcp_allow_prefix") == index("tcp_allow_ip1") + 4  # tcp.py reads them so
