# A fake of MicroPython's `network` module at the driver boundary of co2hr/hw/net.py,
# for the tests (CPython and MicroPython): a WLAN station whose status() moves with the
# test clock through connecting to got-ip, or to the failure the access point gives
# (not found, wrong key), numbered as the ESP32 port or the RP2 (Pico W) port numbers
# them; a LAN (Ethernet PHY) whose link comes and goes with its cable. Access points
# can be switched off, moved or re-keyed while the board runs. Every driver call is
# logged with the clock's time, and may take time (cost_us), so a test can see how
# often the board asks and that nothing waits in a call.
ESP32 = {"STAT_IDLE": 1000, "STAT_CONNECTING": 1001, "STAT_GOT_IP": 1010,
         "STAT_NO_AP_FOUND": 201, "STAT_WRONG_PASSWORD": 202, "STAT_BEACON_TIMEOUT": 200,
         "STAT_ASSOC_FAIL": 203, "STAT_HANDSHAKE_TIMEOUT": 204}
RP2 = {"STAT_IDLE": 0, "STAT_CONNECTING": 1, "STAT_GOT_IP": 3, "STAT_CONNECT_FAIL": -1,
       "STAT_NO_AP_FOUND": -2, "STAT_WRONG_PASSWORD": -3}
ZERO = "0.0.0.0"


class FakeAP:
    """An access point with a DHCP server behind it."""

    def __init__(self, ssid, key, ip="192.168.1.50", netmask="255.255.255.0",
                 gateway="192.168.1.1", dns="192.168.1.1", rssi=-61):
        self.ssid = ssid
        self.key = key
        self.on = True
        self.ip = ip
        self.netmask = netmask
        self.gateway = gateway
        self.dns = dns
        self.rssi = rssi
        self.assoc_ms = 1500  # scan + association + 4-way handshake
        self.dhcp_ms = 800


class _Iface:
    def __init__(self, net):
        self.net = net
        self.on = False
        self.static = None  # (ip, mask, gw, dns) set by ifconfig(tuple)

    def _call(self, what):
        n = self.net
        n.calls.append((what, n.clock()))
        if n.cost_us:
            n.clock.t_us += n.cost_us
        if n.raise_next is not None:
            e = n.raise_next
            n.raise_next = None
            raise e

    def active(self, on=None):
        self._call("active")
        if on is None:
            return self.on
        self.on = bool(on)
        return None

    def ifconfig(self, cfg=None):
        self._call("ifconfig")
        if cfg is not None:
            self.static = tuple(cfg)
            return None
        return self._address()


class FakeWLAN(_Iface):
    def __init__(self, net):
        _Iface.__init__(self, net)
        self.reconnects = None  # what config(reconnects=) set
        self.target = None  # (ssid, key) of the running connect()
        self.t0 = 0
        self.ap = None  # the AP it is associated with (None: not yet / failed)

    def config(self, **kw):
        self._call("config")
        if "reconnects" in kw:
            self.reconnects = kw["reconnects"]

    def connect(self, ssid, key):
        self._call("connect")
        if not self.on:
            raise OSError(1)  # "Wifi Not Started"
        self.target = (ssid, key)
        self.t0 = self.net.clock()

    def disconnect(self):
        self._call("disconnect")
        self.target = None
        self.ap = None

    def _status(self):
        s = self.net.stat
        if not self.on or self.target is None:
            return s["STAT_IDLE"]
        ssid, key = self.target
        dt = self.net.clock() - self.t0
        ap = None
        for a in self.net.aps:
            if a.on and a.ssid == ssid:
                ap = a
        if self.ap is not None and ap is not self.ap:  # was up: the AP went away
            return s.get("STAT_BEACON_TIMEOUT", s["STAT_IDLE"])
        if ap is None:
            return s["STAT_NO_AP_FOUND"] if dt >= 2000 else s["STAT_CONNECTING"]
        if dt < ap.assoc_ms:
            return s["STAT_CONNECTING"]
        if ap.key != key:
            return s["STAT_WRONG_PASSWORD"]
        if dt < ap.assoc_ms + ap.dhcp_ms and self.static is None:
            return s["STAT_CONNECTING"]
        self.ap = ap
        return s["STAT_GOT_IP"]

    def status(self, param=None):
        self._call("status" if param is None else "status " + param)
        st = self._status()
        if param == "rssi":
            if st != self.net.stat["STAT_GOT_IP"]:
                raise OSError(-1)
            return self.ap.rssi
        return st

    def isconnected(self):
        self._call("isconnected")
        return self._status() == self.net.stat["STAT_GOT_IP"]

    def _address(self):
        if self._status() != self.net.stat["STAT_GOT_IP"]:
            return (ZERO, ZERO, ZERO, ZERO)
        if self.static is not None:
            return self.static
        a = self.ap
        return (a.ip, a.netmask, a.gateway, a.dns)


class FakeLAN(_Iface):
    """An Ethernet PHY: link up while the cable is in (net.cable), then DHCP."""

    def __init__(self, net, kw):
        _Iface.__init__(self, net)
        self.kw = kw
        self.link_ms = None  # when the link (cable in, PHY running) began

    def active(self, on=None):
        r = _Iface.active(self, on)
        if on:
            self.link_ms = self.net.clock() if self.net.cable else None
        return r

    def _up(self):
        n = self.net
        if not self.on or not n.cable:
            self.link_ms = None
            return False
        if self.link_ms is None:
            self.link_ms = n.clock()
        return self.static is not None or n.clock() - self.link_ms >= n.lan_dhcp_ms

    def isconnected(self):
        self._call("isconnected")
        return self._up()

    def status(self, param=None):
        self._call("status")
        return 5 if self._up() else 4  # ETH_GOT_IP, ETH_DISCONNECTED

    def _address(self):
        if not self._up():
            return (ZERO, ZERO, ZERO, ZERO)
        return self.static or self.net.lan_lease


class FakeNetwork:
    """What co2hr.hw.net needs of `network` (pass as BoardHardware(network=...))."""

    STA_IF = 0
    AP_IF = 1
    PHY_LAN8720 = 1
    PHY_IP101 = 2

    def __init__(self, clock, port=None, aps=()):
        self.clock = clock
        self.stat = port or ESP32
        for k in self.stat:
            setattr(self, k, self.stat[k])
        self.aps = list(aps)
        self.calls = []  # (what, ms)
        self.cost_us = 0  # each driver call moves the clock this far
        self.raise_next = None  # an exception the next driver call raises
        self.wlan = None
        self.lans = []  # every LAN(...) made
        self.lan_fail = 0  # LAN(...) raises OSError this many more times
        self.cable = True
        self.lan_dhcp_ms = 1200
        self.lan_lease = ("10.0.5.23", "255.255.0.0", "10.0.0.1", "10.0.0.2")
        self.host = None

    def WLAN(self, iface=0):
        self.calls.append(("WLAN", self.clock()))
        if self.wlan is None:
            self.wlan = FakeWLAN(self)
        return self.wlan

    def LAN(self, **kw):
        self.calls.append(("LAN", self.clock()))
        if self.lan_fail:
            self.lan_fail -= 1
            raise OSError(5)  # "ethernet enable failed": no PHY answered
        lan = FakeLAN(self, kw)
        self.lans.append(lan)
        return lan

    def hostname(self, name=None):
        self.calls.append(("hostname", self.clock()))
        if name is None:
            return self.host
        self.host = name
        return None

    def made(self):
        """Driver objects made (WLAN/LAN calls)."""
        return [c for c in self.calls if c[0] in ("WLAN", "LAN")]


class FakeSocketModule:
    """Enough of `socket` for SocketTcpListener: sockets that bind and accept nothing."""

    AF_INET = 2
    SOCK_STREAM = 1
    SOL_SOCKET = 1
    SO_REUSEADDR = 4

    def __init__(self):
        self.bound = []

    def getaddrinfo(self, host, port):
        return [(2, 1, 0, "", (host, port))]

    def socket(self, af, kind):
        return _FakeSock(self)


class _FakeSock:
    def __init__(self, mod):
        self.mod = mod

    def setsockopt(self, *a):
        pass

    def bind(self, addr):
        self.mod.bound.append(addr)

    def listen(self, n):
        pass

    def setblocking(self, b):
        pass

    def accept(self):
        raise OSError(11)  # EAGAIN: nobody connecting

    def close(self):
        pass


def scratch_dir():
    """A folder the test may write files into (CPython: a temporary one)."""
    try:
        import tempfile

        return tempfile.mkdtemp(prefix="co2hr-net-")
    except ImportError:  # MicroPython: the runner's folder
        return "/fw"


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
