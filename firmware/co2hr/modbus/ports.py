# Loopback byte ports: the bus boundary of the simulators. The HIL link and the sil
# target put bytes "on the wire" here and take back what the firmware sent; the
# firmware's RTU and TCP servers see the same interface as the board's UART and
# sockets (see rtu.py and tcp.py). Time on the RTU line is the port's own clock,
# set by whoever feeds it (virtual on the link), never the wall clock.
# These fakes allocate when fed; that is the host's side of the wire.
from co2hr.ticks import ticks_diff


class LoopRtuPort:
    kind = "rtu"

    def __init__(self):
        self.rxq = bytearray()
        self.held = bytearray()
        self.txq = bytearray()
        self.now_us = 0
        self.char_us = 573
        self.baud = 19200
        self.parity = 2
        self.stop_bits = 1
        self.de_level = 0
        self.tx_end_us = 0
        self.transmitting = False
        self.de_errors = 0  # bytes written with DE low, or DE dropped mid-frame
        self.de_rise_us = -1
        self.de_fall_us = -1
        self.first_tx_us = -1  # when the last response's first byte was written
        self.last_rx_us = 0

    # --- the interface the RTU server uses
    def configure(self, baud, parity, stop_bits):
        self.baud = baud
        self.parity = parity
        self.stop_bits = stop_bits
        self.char_us = (9 + (1 if parity else 0) + stop_bits) * 1000000 // baud

    def ticks_us(self):
        return self.now_us & 0x3FFFFFFF

    def any(self):
        if self.held and self.tx_done():
            self.rxq.extend(self.held)
            self.held = bytearray()
        return len(self.rxq)

    def readinto(self, mv):
        k = min(len(mv), len(self.rxq))
        for i in range(k):
            mv[i] = self.rxq[i]
        self.rxq = self.rxq[k:]
        return k

    def write(self, mv):
        if not self.de_level:
            self.de_errors += 1
        now = self.ticks_us()
        start = now if self.tx_done() else self.tx_end_us
        self.transmitting = True
        if not self.txq:
            self.first_tx_us = now
        self.tx_end_us = (start + len(mv) * self.char_us) & 0x3FFFFFFF
        self.txq.extend(mv)
        return len(mv)

    def tx_done(self):
        # (a flag, not only the clock: an old tx_end_us would look like the future
        # once the clock is half a wrap away from it)
        if self.transmitting and ticks_diff(self.ticks_us(), self.tx_end_us) >= 0:
            self.transmitting = False
        return not self.transmitting

    def de(self, level):
        if level and not self.de_level:
            self.de_rise_us = self.ticks_us()
        if not level and self.de_level:
            self.de_fall_us = self.ticks_us()
            if not self.tx_done():
                self.de_errors += 1
        self.de_level = level

    # --- the host's side of the wire
    def feed(self, t_us, data):
        """Bytes whose last stop bit ended at t_us (and the clock moves to t_us)."""
        self.now_us = t_us & 0x3FFFFFFF
        if data and self.de_level and not self.tx_done():
            # A master behind a pty sees our answer at once and may reply before our
            # last stop bit would have left a real line: on a wire its bytes could not
            # arrive before then, so they arrive then.
            self.held.extend(data)
        elif data:
            if self.held:  # bytes held during our transmission came first on the line
                self.rxq.extend(self.held)
                self.held = bytearray()
            self.rxq.extend(data)
            self.last_rx_us = self.now_us

    def take(self):
        out = bytes(self.txq)
        self.txq = bytearray()
        return out


LOCALHOST = b"\x7f\x00\x00\x01"


class LoopTcpConn:
    def __init__(self, peer=LOCALHOST):
        self.peer = peer  # the client's IPv4 address, 4 bytes
        self.inq = bytearray()
        self.outq = bytearray()
        self.peer_closed = False
        self.closed = False
        self.reset = False  # the peer reset the connection: send raises
        self.window = -1  # bytes the peer still takes (-1: no limit): a client not reading

    def recv_into(self, mv):
        if self.inq:
            k = min(len(mv), len(self.inq))
            for i in range(k):
                mv[i] = self.inq[i]
            self.inq = self.inq[k:]
            return k
        return -1 if self.peer_closed else 0

    def send(self, mv):
        if self.closed:
            raise OSError(32)  # EPIPE
        if self.reset:
            raise OSError(104)  # ECONNRESET
        k = len(mv) if self.window < 0 else min(len(mv), self.window)
        self.outq.extend(mv[:k])
        if self.window >= 0:
            self.window -= k
        return k

    def close(self):
        self.closed = True


class LoopTcpListener:
    kind = "tcp"

    def __init__(self):
        self.port = 0
        self.pending = []
        self.conns = {}

    def listen(self, port):
        self.port = port

    def accept(self):
        if self.pending:
            return self.pending.pop(0)
        return None

    def open(self, cid, peer=LOCALHOST):
        c = LoopTcpConn(peer)
        self.conns[cid] = c
        self.pending.append(c)
        return c


class LoopBus:
    """Both loopback ports, and the exchanges the HIL link and the sil target offer
    the host. poll() runs the firmware's Modbus transports once."""

    def __init__(self):
        self.rtu = LoopRtuPort()
        self.tcp = LoopTcpListener()

    def ports(self):
        return [self.rtu, self.tcp]

    def rtu_exchange(self, t_us, data, poll):
        self.rtu.feed(t_us, data)
        poll()
        return self.rtu.take()

    def tcp_exchange(self, cid, op, data, poll, peer=None):
        """op: "open" (from peer: 4 bytes, default 127.0.0.1), "close", "data" (data:
        bytes) or "poll". Returns (bytes the server sent on cid, True when the server
        has closed cid)."""
        if op == "open":
            c = self.tcp.open(cid, peer or LOCALHOST)
        else:
            c = self.tcp.conns.get(cid)
            if c is None:
                return b"", True
        if op == "close":
            c.peer_closed = True
        elif op == "data":
            c.inq.extend(data)
        poll()
        for _ in range(32):  # pipelined requests are served one per poll
            k_in = len(c.inq)
            k_out = len(c.outq)
            poll()
            if len(c.inq) == k_in and len(c.outq) == k_out:
                break
        out = bytes(c.outq)
        c.outq = bytearray()
        closed = c.closed
        if closed or op == "close":
            self.tcp.conns.pop(cid, None)
        return out, closed
