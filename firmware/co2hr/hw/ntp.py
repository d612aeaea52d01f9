# NTP for the clock (co2hr.clock), where the board has a network (ESP32): SNTP
# (RFC 4330) on a non-blocking UDP socket, polled between ticks like the Modbus
# transports. The network code calls start(app, server) once it has an address; from
# then on the clock is set from the server at once, every RESYNC_S after that, and
# retried every RETRY_S while no valid answer comes. `clock.source == CLK_NTP` (input
# register clock_source 2) tells the firmware the time came from NTP; clock_set_age_s
# how long ago.
#
# An answer is taken only if it is the server's (mode 4), synchronised (leap indicator
# not 3, stratum 1..15), answers this request (its originate time is the nonce this
# request carried) and lands in dates.MIN_YEAR..MAX_YEAR; half the round trip is added.
# The one blocking call is the name lookup in start() (getaddrinfo: give an IP address
# to avoid it); every send and receive is non-blocking.
from micropython import const

from co2hr.clock import CLK_NTP
from co2hr.ticks import ticks_add, ticks_diff

RESYNC_S = const(21600)
RETRY_S = const(60)
TIMEOUT_MS = const(3000)
_PORT = const(123)
_NTP_TO_UNIX = 2208988800  # 1900-01-01 to 1970-01-01, s (a long int on the board)
_ERA = 4294967296  # an NTP seconds field below 2**31 is in era 1 (from 2036)


class Ntp:
    def __init__(self, clock, socket_mod, server, clock_ms):
        """clock: co2hr.clock.Clock; socket_mod: the socket module (a test's fake at
        the socket boundary); server: host name or IPv4 address; clock_ms: ms ticks."""
        self.clock = clock
        self.so = socket_mod
        self.server = server
        self.ms = clock_ms
        self.addr = None
        self.sock = None
        self.syncs = 0  # answers taken
        self.failures = 0  # timeouts, refused answers, socket errors
        self._req = bytearray(48)
        self._sent_ms = 0
        self._due_ms = clock_ms()  # the next request
        self._waiting = False
        self._nonce = 0

    def start(self):
        """Resolve the server and open the socket (both retried later if they fail)."""
        try:
            if self.addr is None:
                self.addr = self.so.getaddrinfo(self.server, _PORT)[0][-1]
            if self.sock is None:
                s = self.so.socket(self.so.AF_INET, self.so.SOCK_DGRAM)
                s.setblocking(False)
                self.sock = s
        except OSError:
            self.failures += 1
            return False
        return True

    def _send(self, now):
        r = self._req
        for i in range(48):
            r[i] = 0
        r[0] = 0x23  # leap indicator 0, version 4, mode 3 (client)
        self._nonce = (self._nonce + 0x3779B1 + now) & 0x3FFFFFFF
        n = self._nonce
        for i in range(4):  # the transmit timestamp carries the nonce
            r[40 + i] = (n >> (24 - 8 * i)) & 0xFF
        s = self.sock
        if s is not None:
            s.sendto(r, self.addr)
        self._sent_ms = now
        self._waiting = True

    def _take(self, b, now):
        """True if the datagram b is a valid answer to our request (the clock is set)."""
        if len(b) < 48 or (b[0] & 7) != 4 or (b[0] >> 6) == 3 or not 1 <= b[1] <= 15:
            return False
        for i in range(8):
            if b[24 + i] != self._req[40 + i]:
                return False  # not the answer to this request
        secs = (b[40] << 24) | (b[41] << 16) | (b[42] << 8) | b[43]
        if secs == 0:
            return False
        if secs < 0x80000000:
            secs += _ERA
        frac_ms = (((b[44] << 8) | b[45]) * 1000) >> 16
        ms = frac_ms + ticks_diff(now, self._sent_ms) // 2
        return self.clock.set_unix(secs - _NTP_TO_UNIX + ms // 1000, CLK_NTP, ms % 1000)

    def poll(self):
        now = self.ms()
        if self._waiting:
            b = None
            try:
                if self.sock is not None:
                    b = self.sock.recv(64)
            except OSError:  # EAGAIN: nothing yet
                pass
            if b:
                if self._take(b, now):
                    self._waiting = False
                    self.syncs += 1
                    self._due_ms = ticks_add(now, RESYNC_S * 1000)
                    return
            if ticks_diff(now, self._sent_ms) < TIMEOUT_MS:
                return
            self._waiting = False
            self.failures += 1
            self._due_ms = ticks_add(now, RETRY_S * 1000)
            return
        if ticks_diff(now, self._due_ms) < 0:
            return
        self._due_ms = ticks_add(now, RETRY_S * 1000)
        if self.start():
            try:
                self._send(now)
            except OSError:
                self.failures += 1
                self._waiting = False


def start(app, server="pool.ntp.org", socket_mod=None):
    """Call once the network has an address: an NTP client for app's clock, polled
    with app's comms from now on. Returns it (its syncs/failures count what it did)."""
    if socket_mod is None:
        import socket as socket_mod
    n = Ntp(app.clock, socket_mod, server, app.hw.ticks_ms)
    n.start()
    app.comms.append(n)
    return n
