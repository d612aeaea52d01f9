# The byte ports the Modbus transports poll on a real board (interface: see
# co2hr/modbus/rtu.py and tcp.py; the simulators' twins are in modbus/ports.py).
# * UartRtuPort: a machine.UART with an RS-485 transceiver's DE pin. DE is raised
#   and dropped by the RTU server; tx_done() is true only when the UART says so
#   *and* the bytes' airtime has passed, so DE is held until the last stop bit.
# * SocketTcpListener: a non-blocking listening socket, where networking exists.
#   A failed listen (no network yet) is retried on the next accept().
_PARITY = (None, 1, 0)  # Modbus 0 none, 1 odd, 2 even -> machine.UART parity


class UartRtuPort:
    kind = "rtu"

    def __init__(self, uart, de_pin, ticks_us, baud=19200, parity=2, stop_bits=1):
        """uart: machine.UART; de_pin: Pin (1 = driver on); ticks_us: time.ticks_us."""
        self.uart = uart
        self.de_pin = de_pin
        self.ticks_us = ticks_us
        self.tx_end_us = 0
        self.baud = 0
        self.char_us = 573
        de_pin(0)
        self.configure(baud, parity, stop_bits)

    def configure(self, baud, parity, stop_bits):
        self.uart.init(baudrate=baud, bits=8, parity=_PARITY[parity], stop=stop_bits,
                       timeout=0, timeout_char=0)
        self.baud = baud
        self.char_us = (9 + (1 if parity else 0) + stop_bits) * 1000000 // baud

    def any(self):
        return self.uart.any()

    def readinto(self, mv):
        n = self.uart.readinto(mv)
        return n or 0

    def write(self, mv):
        now = self.ticks_us()
        start = self.tx_end_us
        if ((start - now) & 0x3FFFFFFF) > 0x1FFFFFFF:  # previous frame already gone
            start = now
        self.tx_end_us = (start + len(mv) * self.char_us) & 0x3FFFFFFF
        return self.uart.write(mv) or 0

    def tx_done(self):
        if ((self.ticks_us() - self.tx_end_us) & 0x3FFFFFFF) > 0x1FFFFFFF:
            return False  # bytes still on the wire by the clock
        txdone = getattr(self.uart, "txdone", None)
        return txdone() if txdone is not None else True

    def de(self, level):
        self.de_pin(1 if level else 0)


class SocketConn:
    def __init__(self, sock, peer=None):
        self.sock = sock
        self.peer = peer  # IPv4, 4 bytes (the TCP server's allowlist)

    def recv_into(self, mv):
        try:
            n = self.sock.readinto(mv)
        except OSError as e:
            return 0 if e.args[0] == 11 else -1  # EAGAIN: nothing yet
        if n is None:
            return 0
        return n if n > 0 else -1

    def send(self, mv):
        try:
            return self.sock.write(mv) or 0
        except OSError as e:
            if e.args[0] == 11:
                return 0
            raise

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class SocketTcpListener:
    kind = "tcp"

    def __init__(self, socket_mod):
        self.socket = socket_mod
        self.port = 0
        self.sock = None
        self._retry = 0

    def listen(self, port):
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        self.port = port
        s = self.socket
        try:
            sock = s.socket(s.AF_INET, s.SOCK_STREAM)
            sock.setsockopt(s.SOL_SOCKET, s.SO_REUSEADDR, 1)
            sock.bind(s.getaddrinfo("0.0.0.0", port)[0][-1])
            sock.listen(4)
            sock.setblocking(False)
            self.sock = sock
        except OSError:
            self.sock = None  # no network yet: accept() tries again

    def accept(self):
        if self.sock is None:
            self._retry -= 1
            if self.port and self._retry <= 0:
                self._retry = 5000  # polls between attempts while the network is down
                self.listen(self.port)
            if self.sock is None:
                return None
        try:
            c, addr = self.sock.accept()
        except OSError:
            return None
        c.setblocking(False)
        # the client's IPv4 address as 4 bytes: accept() gives ("a.b.c.d", port) on the
        # lwIP ports, a raw sockaddr_in elsewhere (None: the allowlist refuses it)
        peer = None
        try:
            if isinstance(addr, tuple):
                peer = bytes([int(x) for x in addr[0].split(".")])
            elif len(addr) >= 8:
                peer = bytes(addr[4:8])
        except (ValueError, TypeError, IndexError):
            pass
        return SocketConn(c, peer)
