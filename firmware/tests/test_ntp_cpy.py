"""co2hr.hw.ntp against a real UDP server on 127.0.0.1 (CPython's socket module is the
boundary; the WASI interpreter has no sockets): an answer to our request sets the clock
(source NTP, the server's fraction and half the round trip added); answers that are not
the server's, not synchronised, not to this request or out of range are refused and
retried after RETRY_S; a good sync is repeated every RESYNC_S."""

from __future__ import annotations

import socket
import struct
import threading
import time

import pytest

from co2hr.clock import CLK_NTP, Clock
from co2hr.hw import ntp
from co2hr.settings import Settings

NTP_UNIX = 2208988800


class Ms:
    def __init__(self):
        self.t = 0

    def __call__(self):
        return self.t & 0x3FFFFFFF


class Server:
    """One UDP socket answering each request as `mode` says."""

    def __init__(self, unix_s: float):
        self.unix_s = unix_s
        self.mode = "good"
        self.requests = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.addr = self.sock.getsockname()
        self.stop = False
        self.t = threading.Thread(target=self._serve, daemon=True)
        self.t.start()

    def _serve(self):
        while not self.stop:
            try:
                req, peer = self.sock.recvfrom(512)
            except (TimeoutError, OSError):
                continue
            self.requests += 1
            if self.mode == "silent":
                continue
            li, mode, stratum, origin = 0, 4, 2, req[40:48]
            if self.mode == "unsynchronised":
                li = 3
            elif self.mode == "client":
                mode = 3
            elif self.mode == "stratum0":
                stratum = 0
            elif self.mode == "other_request":
                origin = b"\x01" * 8
            t = self.unix_s + NTP_UNIX
            if self.mode == "year_1990":
                t = 631152000 + NTP_UNIX
            sec = int(t) & 0xFFFFFFFF
            frac = int((t - int(t)) * 2**32)
            pkt = struct.pack(">BBbb11I", (li << 6) | (4 << 3) | mode, stratum, 6, -20,
                              *([0] * 11))
            pkt = bytearray(pkt)
            pkt[24:32] = origin
            pkt[40:48] = struct.pack(">II", sec, frac)
            self.sock.sendto(bytes(pkt), peer)

    def close(self):
        self.stop = True
        self.t.join(timeout=2)
        self.sock.close()


@pytest.fixture
def server():
    s = Server(1767225600.25)  # 2026-01-01 00:00:00.25 UTC
    yield s
    s.close()


def _client(server):
    ms = Ms()
    c = Clock(ms, Settings())
    n = ntp.Ntp(c, socket, "%s" % server.addr[0], ms)
    n.addr = server.addr  # (the test server's port, not 123)
    return n, c, ms


def _poll_until(n, ms, cond, wall_s=3.0):
    end = time.monotonic() + wall_s
    while not cond() and time.monotonic() < end:
        n.poll()
        ms.t += 1
        time.sleep(0.001)


def test_an_answer_sets_the_clock(server):
    n, c, ms = _client(server)
    _poll_until(n, ms, lambda: c.valid)
    assert c.valid and c.source == CLK_NTP and n.syncs == 1
    unix = (c.unix_word(0) << 16) | c.unix_word(1)
    assert unix == 1767225600 and 250 <= c._ms_rest < 1000  # the fraction carried over
    assert server.requests == 1


@pytest.mark.parametrize("mode", ["unsynchronised", "client", "stratum0", "other_request",
                                  "year_1990", "silent"])
def test_a_bad_or_missing_answer_is_refused_and_retried(server, mode):
    server.mode = mode
    n, c, ms = _client(server)
    _poll_until(n, ms, lambda: server.requests >= 1)
    time.sleep(0.05)
    n.poll()
    ms.t += ntp.TIMEOUT_MS
    n.poll()  # timed out (a refused answer is waited out like none)
    assert not c.valid and n.failures == 1 and n.syncs == 0
    ms.t += ntp.RETRY_S * 1000 - 10
    n.poll()
    assert server.requests == 1  # not before RETRY_S
    server.mode = "good"
    ms.t += 20
    _poll_until(n, ms, lambda: c.valid)
    assert c.valid and server.requests == 2


def test_resync_after_resync_s(server):
    n, c, ms = _client(server)
    _poll_until(n, ms, lambda: c.valid)
    server.unix_s += 3.0  # the controller's clock drifted 3 s behind
    ms.t += ntp.RESYNC_S * 1000 - 5
    n.poll()
    assert server.requests == 1
    ms.t += 10
    v0 = c.version
    _poll_until(n, ms, lambda: c.version > v0)
    assert server.requests == 2 and n.syncs == 2


def test_start_adds_the_client_to_the_app_comms(server):
    from co2hr.boot import build
    from co2hr.hil_link import LinkHardware

    app = build(LinkHardware(), {"name": "t", "inputs": {}})
    n = ntp.start(app, server.addr[0], socket)
    assert n in app.comms and n.clock is app.clock and n.sock is not None
