# NetLink: the board's network link, a Wi-Fi station or wired Ethernet (a LAN8720 or
# another PHY that MicroPython's network.LAN drives), as the board file offers it
# (its "net" section: boards/README.md) and the site file asks (co2hr/sitefile.py).
# Modbus TCP listens on it (BoardHardware.comm_ports()).
#
# Brought up once, at boot, before the first control tick (activating the Wi-Fi driver
# takes ~100 ms), then only watched from poll(), which the App calls between ticks
# (the link sits in app.comms): a status call at most every _POLL_MS (three calls when
# the state changes), none that waits. WLAN.connect() returns at once and the station
# associates in the background; status() tells how it went.
#
#   connecting --address assigned--> up --link lost--> retry
#   connecting --refused, or no address within _CONNECT_MS--> retry --backoff--> connecting
#
# The backoff doubles from _BACKOFF0_MS up to _BACKOFF_MAX_MS and starts again once
# the link is up; the driver's own reconnecting is switched off where it can be
# (ESP32: config(reconnects=0)) so that one state machine decides. Ethernet negotiates
# and renews its lease by itself: the link is up while it has an address, an unplugged
# cable is a link loss, and only a PHY that fails to start is retried with the backoff.
#
# What the register map (input 640.., docs/registers.md) and the console show: kind,
# state, site, fail, dhcp, rssi, reconnects, up_s, addr (address, netmask and gateway,
# 12 bytes). A missing or wrong site file leaves the link off, with its reason in site
# (co2hr.hw.netoff.NetOff): the controller runs without a network. BoardHardware reads
# the site file and hands in `network` and `machine` (tests pass bus-level fakes);
# this module and `network` are imported only when the site file asks for an
# interface.
from micropython import const

from co2hr.ticks import ticks_add, ticks_diff

KIND_NONE = const(0)
KIND_WLAN = const(1)
KIND_LAN = const(2)
ST_OFF = const(0)
ST_CONNECTING = const(1)
ST_UP = const(2)
ST_RETRY = const(3)
F_NONE = const(0)
F_NO_AP = const(1)
F_KEY = const(2)
F_CONNECT = const(3)  # association, handshake or beacon timeout: refused by the AP
F_TIMEOUT = const(4)  # no address within _CONNECT_MS
F_DRIVER = const(5)  # the interface could not be started (OSError from the driver)
F_LOST = const(6)  # the link was up and went down
F_UNSUPPORTED = const(7)  # this MicroPython has no network module or no such interface
_POLL_MS = const(250)
_CONNECT_MS = const(30000)
_BACKOFF0_MS = const(2000)
_BACKOFF_MAX_MS = const(300000)
_RSSI_MS = const(5000)
_NAMES = ("", "wlan", "lan")
_WHY = ("", "access point not found", "wrong key", "refused by the access point",
        "no address within 30 s", "driver error", "link lost", "not supported here")


def _quad(s, out, at):
    """A dotted quad from the driver (ifconfig) into out[at:at + 4]; 0s if it is not one."""
    try:
        parts = s.split(".")
        for k in range(4):
            out[at + k] = int(parts[k]) & 0xFF
    except (ValueError, IndexError, AttributeError):
        for k in range(4):
            out[at + k] = 0


class NetLink:
    def __init__(self, spec, cfg, site, clock, machine=None, network=None, log=print):
        """spec: the board file's "net" section ({"wlan": {}, "lan": {PHY pins}});
        cfg: the site file (checked: co2hr.sitefile) naming one of its interfaces;
        site: its status (SITE_OK); clock: ms ticks; log: the console."""
        self.clock = clock
        self.log = log
        self.kind = KIND_WLAN if cfg["net"] == "wlan" else KIND_LAN
        self.state = ST_OFF
        self.fail = F_NONE
        self.dhcp = 1 if cfg.get("ip", "dhcp") == "dhcp" else 0
        self.rssi = 0  # dBm; 0 while unknown (not Wi-Fi, not up)
        self.reconnects = 0
        self.up_s = 0
        self.addr = bytearray(12)
        self.iface = None
        self.cfg = cfg
        self.site = site
        self._spec = spec
        self._m = machine
        self._net = network
        self._fails = {}
        self._got_ip = None  # network.STAT_GOT_IP (None: ask isconnected())
        self._backoff = _BACKOFF0_MS
        self._at = clock()  # when poll() acts next
        self._mark = self._at  # start of the attempt; while up: the last whole second
        self._rssi_at = self._at
        self._start()

    # --- private ------------------------------------------------------------------------
    def _say(self, msg):
        self.log("net: " + msg)

    def _start(self):
        n = self._net
        if n is None:
            try:
                import network as n  # only on a board whose site file asks for it
            except ImportError:
                self._off(F_UNSUPPORTED, "this MicroPython has no network module")
                return
            self._net = n
        # status constants -> failure, by name (ESP32 and RP2 number them differently)
        for name, f in (("STAT_NO_AP_FOUND", F_NO_AP), ("STAT_WRONG_PASSWORD", F_KEY),
                        ("STAT_CONNECT_FAIL", F_CONNECT), ("STAT_ASSOC_FAIL", F_CONNECT),
                        ("STAT_HANDSHAKE_TIMEOUT", F_CONNECT),
                        ("STAT_BEACON_TIMEOUT", F_CONNECT)):
            code = getattr(n, name, None)
            if code is not None:
                self._fails[code] = f
        self._got_ip = getattr(n, "STAT_GOT_IP", None)
        try:
            self.iface = self._make(n)
        except AttributeError:  # no WLAN/LAN (or no such PHY) in this build
            self._off(F_UNSUPPORTED, "no %s interface in this MicroPython" % _NAMES[self.kind])
            return
        except Exception as e:  # whatever else the driver raises: retried
            self.iface = None
            self._retry(F_DRIVER, "cannot start (%s)" % e)
            return
        self._connect()

    def _make(self, n):
        c = self.cfg
        if "hostname" in c:
            try:
                n.hostname(c["hostname"])
            except (AttributeError, OSError, ValueError):
                self._say("hostname not set: not supported by this MicroPython")
        if self.kind == KIND_WLAN:
            i = n.WLAN(n.STA_IF)
            i.active(True)
            try:
                i.config(reconnects=0)  # this module reconnects, with its backoff
            except (ValueError, TypeError, OSError):
                pass  # a port without the option does not reconnect by itself
        else:
            i = self._make_lan(n, self._spec["lan"])
        ip = c.get("ip", "dhcp")
        if ip != "dhcp":
            i.ifconfig((ip["address"], ip["netmask"], ip["gateway"],
                        ip.get("dns", ip["gateway"])))
        return i

    def _make_lan(self, n, p):
        m = self._m
        kw = {"mdc": m.Pin(p["mdc"]), "mdio": m.Pin(p["mdio"]),
              "phy_type": getattr(n, "PHY_" + p["phy"]), "phy_addr": p.get("phy_addr", 0)}
        if "power" in p:
            kw["power"] = m.Pin(p["power"])
        if "ref_clk" in p:
            kw["ref_clk"] = m.Pin(p["ref_clk"])
            kw["ref_clk_mode"] = m.Pin.OUT if p.get("ref_clk_mode") == "out" else m.Pin.IN
        i = n.LAN(**kw)
        i.active(True)
        return i

    def _off(self, f, why):
        self.state = ST_OFF
        self.fail = f
        self._say(why + ": running without a network")

    def _connect(self):
        now = self.clock()
        self.state = ST_CONNECTING
        self._mark = now
        self._at = ticks_add(now, _POLL_MS)
        i = self.iface
        if i is None:
            return
        if self.kind == KIND_LAN:
            self._say("lan started, waiting for the link and an address")
            return
        try:
            i.connect(self.cfg["ssid"], self.cfg["key"])
        except OSError as e:
            self._retry(F_DRIVER, "connect failed (%s)" % e)
            return
        self._say("wlan connecting to %r" % self.cfg["ssid"])

    def _retry(self, f, why):
        self.state = ST_RETRY
        self.fail = f
        self._clear()
        if self.kind == KIND_WLAN and self.iface is not None:
            try:
                self.iface.disconnect()
            except OSError:
                pass
        wait = self._backoff
        self._backoff = min(wait * 2, _BACKOFF_MAX_MS)
        self._at = ticks_add(self.clock(), wait)
        self._say("%s %s: retry in %d s" % (_NAMES[self.kind], why, wait // 1000))

    def _clear(self):
        for k in range(12):
            self.addr[k] = 0
        self.rssi = 0
        self.up_s = 0

    def _has_address(self, i):
        if self.kind == KIND_LAN or self._got_ip is None:
            return i.isconnected()
        return i.status() == self._got_ip

    def _connecting(self, i, now):
        if self.kind == KIND_LAN or self._got_ip is None:
            if i.isconnected():
                self._up(i, now)
            return  # Ethernet: the PHY and DHCP keep trying by themselves
        st = i.status()
        if st == self._got_ip:
            self._up(i, now)
            return
        f = self._fails.get(st, F_NONE)
        if f:
            self._retry(f, _WHY[f])
        elif ticks_diff(now, self._mark) >= _CONNECT_MS:
            self._retry(F_TIMEOUT, _WHY[F_TIMEOUT])

    def _up(self, i, now):
        self.state = ST_UP
        self.fail = F_NONE
        self._backoff = _BACKOFF0_MS
        self._mark = now
        cfg = i.ifconfig()
        for k in range(3):
            _quad(cfg[k], self.addr, 4 * k)
        self._sample_rssi(i, now)
        self._say("%s up: address %s netmask %s gateway %s%s" % (
            _NAMES[self.kind], cfg[0], cfg[1], cfg[2], " (DHCP)" if self.dhcp else ""))

    def _sample_rssi(self, i, now):
        self._rssi_at = now
        if self.kind == KIND_WLAN:
            try:
                self.rssi = int(i.status("rssi"))
            except (OSError, ValueError, TypeError):
                self.rssi = 0

    def _watch_up(self, i, now):
        if not self._has_address(i):
            if self.kind == KIND_WLAN:
                self._retry(F_LOST, _WHY[F_LOST])
                return
            self.state = ST_CONNECTING
            self.fail = F_LOST
            self.reconnects += 1
            self._clear()
            self._say("lan link lost: waiting for it")
            return
        d = ticks_diff(now, self._mark)
        if d >= 1000:
            self.up_s += d // 1000
            self._mark = ticks_add(self._mark, d // 1000 * 1000)
        if self.kind == KIND_WLAN and ticks_diff(now, self._rssi_at) >= _RSSI_MS:
            self._sample_rssi(i, now)

    # --- API ------------------------------------------------------------------------------
    def poll(self):
        """Between control ticks: look at the link when it is time to (never blocks)."""
        now = self.clock()
        if self.state == ST_OFF or ticks_diff(now, self._at) < 0:
            return
        self._at = ticks_add(now, _POLL_MS)
        i = self.iface
        try:
            if self.state == ST_RETRY:
                self.reconnects += 1
                if i is None:
                    self._start()
                else:
                    self._connect()
            elif i is None:
                self._retry(F_DRIVER, "no interface")
            elif self.state == ST_CONNECTING:
                self._connecting(i, now)
            else:
                self._watch_up(i, now)
        except Exception as e:  # a driver call failed: retried, the controller goes on
            self._retry(F_DRIVER, "driver error (%s)" % e)

    def retry_s(self):
        """Seconds until the next connection attempt (0: none waiting)."""
        if self.state != ST_RETRY:
            return 0
        d = ticks_diff(self._at, self.clock())
        return (d + 999) // 1000 if d > 0 else 0
