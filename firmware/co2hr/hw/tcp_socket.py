# Modbus TCP's byte ports on a real board, where it has a network (interface: see
# co2hr/modbus/tcp.py; the simulators' twins are in modbus/ports.py). Imported by
# BoardHardware only when the board brings a network up (co2hr/hw/net.py).
# * SocketTcpListener: a non-blocking listening socket. A failed listen (no network
#   yet) is retried on the next accept().
# * SocketConn: one accepted connection, non-blocking, with the client's IPv4 address
#   for the TCP server's allowlist.


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
