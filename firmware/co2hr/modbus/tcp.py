# Modbus TCP (Modbus Messaging on TCP/IP Implementation Guide v1.0b): MBAP header,
# up to tcp_max_clients connections at once (more are accepted and closed at once),
# partial frames kept until complete, pipelined frames served one per connection per
# poll (so a busy client cannot hold the loop), transactions answered in order. A
# frame with protocol id != 0 is dropped; a length field outside 2..254 cannot be
# resynchronised and closes the connection. The unit identifier is echoed and not
# filtered (the server is addressed by its IP address; spec §4.4.2).
#
# No client can hold a slot it does not use: every connection is closed once it has
# sent no complete request for tcp_idle_s, whatever it holds, and once a request it
# began, or an answer it does not read, is older than tcp_frame_s. Slots are served
# (and closed ones freed) before the next connection is accepted, so a client that
# reconnects at once finds its old slot free. A client outside the allowlist
# (tcp_allow_ip1..4 / tcp_allow_prefix) is refused at connect, and closed when a
# settings change leaves it outside. Each connection is its own unlock session
# (co2hr.modbus.unlock), ended with the connection; all of them share one guard.
#
# The socket interface (co2hr.hw wraps a non-blocking socket; the simulators use
# modbus.ports.LoopTcpListener/LoopTcpConn):
#   listener: kind = "tcp", listen(port), accept() -> conn | None
#   conn:     recv_into(mv) -> n (>0 bytes, 0 nothing yet, -1 closed by the peer)
#             send(mv) -> n taken (may be partial; raises OSError when reset)
#             close() (never raises)
#             peer: the client's IPv4 address (4 bytes), None when unknown
from micropython import const

from co2hr.modbus.registers import (
    D_BAD_FRAME,
    D_TCP_ACCEPTED,
    D_TCP_FRAME_TIMEOUTS,
    D_TCP_NOT_ALLOWED,
    D_TCP_REFUSED,
    D_TCP_TIMEOUTS,
)
from co2hr.modbus.unlock import Guard, Unlock
from co2hr.settings import index as _sidx
from co2hr.ticks import ticks_diff

_ADU = const(260)  # 7-byte MBAP + 253-byte PDU
_MBAP = const(7)
_I_PORT = _sidx("tcp_port")  # build: constant
_I_MAXC = _sidx("tcp_max_clients")  # build: constant
_I_IDLE = _sidx("tcp_idle_s")  # build: constant
_I_FRAME = _sidx("tcp_frame_s")  # build: constant
_I_ALLOW = _sidx("tcp_allow_ip1")  # ..ip4, then tcp_allow_prefix  # build: constant
_I_READ_ONLY = _sidx("tcp_read_only")  # build: constant


def allowed(peer, vals):
    """peer (4 bytes or None) inside the allowlist network of the settings vals."""
    bits = int(vals[_I_ALLOW + 4])
    if bits == 0:
        return True
    if peer is None:
        return False
    for k in range(4):
        if bits <= 0:
            break
        mask = 0xFF if bits >= 8 else (0xFF << (8 - bits)) & 0xFF
        if (peer[k] ^ int(vals[_I_ALLOW + k])) & mask:
            return False
        bits -= 8
    return True


class _Slot(Unlock):
    """One client connection: its buffers and timers, and (as an Unlock) its session."""

    def __init__(self, guard, settings):
        Unlock.__init__(self, guard, settings)
        self.conn = None
        self.rx = bytearray(_ADU)
        self.rx_mv = memoryview(self.rx)
        self.tail = self.rx_mv
        self.n = 0
        self.tx = bytearray(_ADU)
        self.tx_mv = memoryview(self.tx)
        self.tx_len = 0
        self.tx_off = 0
        self.last_ms = 0  # the last complete request (or the connect)
        self.frame_ms = 0  # the first byte of the unfinished request, or the unsent answer

    def read_only(self):
        return self.settings.values[_I_READ_ONLY] != 0


class TcpServer:
    def __init__(self, listener, server, clock_ms):
        self.listener = listener
        self.server = server
        self.clock_ms = clock_ms
        self.guard = Guard(clock_ms)
        # One slot (two 260-byte buffers) per client allowed at boot; a raised
        # tcp_max_clients adds slots when a client needs one (never in steady state).
        self.slots = [_Slot(self.guard, server.settings)
                      for _ in range(int(server.settings.values[_I_MAXC]))]
        self.port = int(server.settings.values[_I_PORT])
        self.cfg_version = server.settings.version  # the allowlist last checked against
        listener.listen(self.port)

    def clients(self):
        k = 0
        for s in self.slots:
            if s.conn is not None:
                k += 1
        return k

    def poll(self):
        srv = self.server
        vals = srv.settings.values
        now = self.clock_ms()
        self.guard.expire(now)
        recheck = srv.settings.version != self.cfg_version
        self.cfg_version = srv.settings.version
        idle_ms = int(vals[_I_IDLE]) * 1000
        frame_ms = int(vals[_I_FRAME]) * 1000
        pending = False
        for s in self.slots:
            if s.conn is None:
                continue
            if recheck and not allowed(s.conn.peer, vals):
                srv.diag[D_TCP_NOT_ALLOWED] += 1
                self._drop(s)
                continue
            self._serve(s, now, idle_ms, frame_ms)
            if s.tx_len:
                pending = True
        c = self.listener.accept()  # after the slots: a closed one is free again
        if c is not None:
            self._accept(c, now, vals)
        port = int(vals[_I_PORT])
        if port != self.port and not pending:  # a port change takes effect once answered
            self.port = port
            self.listener.listen(port)

    def _accept(self, c, now, vals):
        srv = self.server
        if not allowed(c.peer, vals):
            c.close()
            srv.diag[D_TCP_NOT_ALLOWED] += 1
            return
        if self.clients() >= int(vals[_I_MAXC]):
            c.close()
            srv.diag[D_TCP_REFUSED] += 1
            return
        for s in self.slots:
            if s.conn is None:
                break
        else:
            s = _Slot(self.guard, srv.settings)
            self.slots.append(s)
        s.conn = c
        s.last_ms = now
        s.frame_ms = now
        srv.diag[D_TCP_ACCEPTED] += 1

    def _drop(self, s):
        s.conn.close()
        s.conn = None
        s.n = 0
        s.tail = s.rx_mv
        s.tx_len = 0
        s.close()  # the connection's unlock ends with it

    def _serve(self, s, now, idle_ms, frame_ms):
        s.expire(now)
        diag = self.server.diag
        if ticks_diff(now, s.last_ms) > idle_ms:
            diag[D_TCP_TIMEOUTS] += 1
            self._drop(s)
            return
        if (s.n or s.tx_len) and ticks_diff(now, s.frame_ms) > frame_ms:
            diag[D_TCP_FRAME_TIMEOUTS] += 1
            self._drop(s)
            return
        if s.tx_len and (not self._send(s) or s.tx_len):
            return  # gone, or the client is not reading: no new work for it
        if s.n < _ADU:
            k = s.conn.recv_into(s.tail)
            if k < 0:
                self._drop(s)
                return
            if k:
                if s.n == 0:
                    s.frame_ms = now
                s.n += k
                s.tail = s.rx_mv[s.n:]
        if s.n >= _MBAP:
            self._frame(s, now)

    def _send(self, s):
        """Send what is left of the answer. False when the connection is gone."""
        try:
            k = s.conn.send(s.tx_mv[s.tx_off:s.tx_len])
        except OSError:  # reset by the peer
            self._drop(s)
            return False
        s.tx_off += k
        if s.tx_off >= s.tx_len:
            s.tx_len = 0
        return True

    def _frame(self, s, now):
        rx = s.rx
        length = (rx[4] << 8) | rx[5]
        if length < 2 or length > 254:
            self.server.diag[D_BAD_FRAME] += 1
            self._drop(s)
            return
        total = 6 + length
        if s.n < total:
            return
        s.last_ms = now
        if rx[2] == 0 and rx[3] == 0:
            tx = s.tx
            k = self.server.serve(rx, _MBAP, length - 1, tx, _MBAP, s, False)
            if k:
                for i in range(4):
                    tx[i] = rx[i]
                tx[4] = (k + 1) >> 8
                tx[5] = (k + 1) & 0xFF
                tx[6] = rx[6]
                s.tx_len = _MBAP + k
                s.tx_off = 0
        else:
            self.server.diag[D_BAD_FRAME] += 1
        rest = s.n - total
        for i in range(rest):  # keep a pipelined next frame (no slice copy)
            rx[i] = rx[total + i]
        s.n = rest
        s.tail = s.rx_mv[rest:]
        s.frame_ms = now  # the next frame, or the answer, starts its time now
        if s.tx_len:
            self._send(s)
