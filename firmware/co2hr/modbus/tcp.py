# Modbus TCP (Modbus Messaging on TCP/IP Implementation Guide v1.0b): MBAP header,
# up to tcp_max_clients connections at once (more are accepted and closed at once),
# an idle timeout, partial frames kept until complete, pipelined frames served one
# per connection per poll (so a busy client cannot hold the loop), transactions
# answered in order. A frame with protocol id != 0 is dropped; a length field outside
# 2..254 cannot be resynchronised and closes the connection. The unit identifier is
# echoed and not filtered (the server is addressed by its IP address; spec §4.4.2).
#
# The socket interface (co2hr.hw wraps a non-blocking socket; the simulators use
# modbus.ports.LoopTcpListener/LoopTcpConn):
#   listener: kind = "tcp", listen(port), accept() -> conn | None
#   conn:     recv_into(mv) -> n (>0 bytes, 0 nothing yet, -1 closed by the peer)
#             send(mv) -> n taken (may be partial), close()
from micropython import const

from co2hr.modbus.registers import D_BAD_FRAME, D_TCP_ACCEPTED, D_TCP_REFUSED, D_TCP_TIMEOUTS
from co2hr.settings import index as _sidx
from co2hr.ticks import ticks_diff

_ADU = const(260)  # 7-byte MBAP + 253-byte PDU
_MAX_CLIENTS = const(8)  # tcp_max_clients' maximum
_I_PORT = _sidx("tcp_port")
_I_MAXC = _sidx("tcp_max_clients")
_I_IDLE = _sidx("tcp_idle_s")


class _Slot:
    def __init__(self):
        self.conn = None
        self.rx = bytearray(_ADU)
        self.rx_mv = memoryview(self.rx)
        self.tail = self.rx_mv
        self.n = 0
        self.tx = bytearray(_ADU)
        self.tx_mv = memoryview(self.tx)
        self.tx_len = 0
        self.tx_off = 0
        self.last_ms = 0


class TcpServer:
    def __init__(self, listener, server, clock_ms):
        self.listener = listener
        self.server = server
        self.clock_ms = clock_ms
        # One slot (two 260-byte buffers) per client allowed at boot; a raised
        # tcp_max_clients adds slots when a client needs one (never in steady state).
        self.slots = [_Slot() for _ in range(int(server.settings.values[_I_MAXC]))]
        self.port = int(server.settings.values[_I_PORT])
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
        c = self.listener.accept()
        if c is not None:
            if self.clients() >= int(vals[_I_MAXC]):
                c.close()
                srv.diag[D_TCP_REFUSED] += 1
            else:
                for s in self.slots:
                    if s.conn is None:
                        break
                else:
                    s = _Slot()
                    self.slots.append(s)
                s.conn = c
                s.n = 0
                s.tail = s.rx_mv
                s.tx_len = 0
                s.last_ms = now
                srv.diag[D_TCP_ACCEPTED] += 1
        idle_ms = int(vals[_I_IDLE]) * 1000
        pending = False
        for s in self.slots:
            if s.conn is not None:
                self._serve(s, now, idle_ms)
                if s.tx_len:
                    pending = True
        port = int(vals[_I_PORT])
        if port != self.port and not pending:  # a port change takes effect once answered
            self.port = port
            self.listener.listen(port)

    def _drop(self, s):
        try:
            s.conn.close()
        except OSError:
            pass
        s.conn = None
        s.n = 0
        s.tail = s.rx_mv
        s.tx_len = 0

    def _serve(self, s, now, idle_ms):
        conn = s.conn
        if s.tx_len:
            k = conn.send(s.tx_mv[s.tx_off:s.tx_len])
            if k:
                s.tx_off += k
                if s.tx_off >= s.tx_len:
                    s.tx_len = 0
            if s.tx_len:
                return  # the client is not reading: no new work for it
        if s.n < _ADU:
            k = conn.recv_into(s.tail)
            if k < 0:
                self._drop(s)
                return
            if k:
                s.n += k
                s.tail = s.rx_mv[s.n:]
                s.last_ms = now
        if s.n >= 7:
            self._frame(s)
            return
        if idle_ms and ticks_diff(now, s.last_ms) > idle_ms:
            self.server.diag[D_TCP_TIMEOUTS] += 1
            self._drop(s)

    def _frame(self, s):
        rx = s.rx
        length = (rx[4] << 8) | rx[5]
        if length < 2 or length > 254:
            self.server.diag[D_BAD_FRAME] += 1
            self._drop(s)
            return
        total = 6 + length
        if s.n < total:
            return
        if rx[2] == 0 and rx[3] == 0:
            tx = s.tx
            k = self.server.serve(rx, 7, length - 1, tx, 7, False)
            if k:
                for i in range(4):
                    tx[i] = rx[i]
                tx[4] = (k + 1) >> 8
                tx[5] = (k + 1) & 0xFF
                tx[6] = rx[6]
                s.tx_len = 7 + k
                s.tx_off = 0
        else:
            self.server.diag[D_BAD_FRAME] += 1
        rest = s.n - total
        for i in range(rest):  # keep a pipelined next frame (no slice copy)
            rx[i] = rx[total + i]
        s.n = rest
        s.tail = s.rx_mv[rest:]
        if s.tx_len:
            k = s.conn.send(s.tx_mv[0:s.tx_len])
            s.tx_off = k
            if k >= s.tx_len:
                s.tx_len = 0
