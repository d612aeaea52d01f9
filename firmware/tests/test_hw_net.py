# The board's network link (co2hr/hw/net.py) on a fake `network` module at the driver
# boundary (netfakes.py), CPython and MicroPython: a Wi-Fi station brought up from the
# site file, its address and state in input registers 640.., connection failures
# retried with a doubling backoff, a lost link found again, static addresses, wired
# Ethernet on a LAN8720, a PHY that fails to start, and a missing or wrong site file:
# no network, the reason on the console and in net_site, the controller unaffected.
# The control tick is never held up: the link is looked at between ticks, at most
# once per 250 ms, one driver call at a time.
from hwfakes import BOARD, Clock, rig_machine
from modbus_fixture import addr, h, req
from netfakes import RP2, FakeAP, FakeNetwork, FakeSocketModule, scratch_dir, write

from co2hr.app import App
from co2hr.boot import build
from co2hr.hw import net as N
from co2hr.hw.board_io import BoardHardware
from co2hr.io import N_OUT, SAFE_OUTPUTS
from co2hr.sitefile import SITE_MISSING, SITE_OK, SITE_UNREADABLE, SITE_WRONG_NET

KEY = "correct horse"
SITE = '{"net": "wlan", "ssid": "Plantroom", "key": "%s", "ip": "dhcp"}' % KEY
STATIC = ('{"net": "wlan", "ssid": "Plantroom", "key": "%s", "ip": {"address": '
          '"192.168.7.40", "netmask": "255.255.255.0", "gateway": "192.168.7.1"}}' % KEY)
LAN_PINS = {"phy": "LAN8720", "phy_addr": 1, "mdc": 23, "mdio": 18, "power": 12,
            "ref_clk": 0, "ref_clk_mode": "in"}
_n = [0]


def _site(text):
    """A site file with text (None: a path where there is none)."""
    _n[0] += 1
    path = scratch_dir() + "/site_t%d.json" % _n[0]
    if text is not None:
        write(path, text)
    return path


class Link:
    """The link BoardHardware brings up from a site file on a fake network (the
    ESP32 board of hwfakes.py with the board file's net section spec), its console
    lines kept."""

    def __init__(self, site=SITE, spec=None, port=None, aps=None, lan_fail=0):
        self.clk = Clock(0)
        self.net = FakeNetwork(self.clk, port, [FakeAP("Plantroom", KEY)] if aps is None
                               else aps)
        self.net.lan_fail = lan_fail
        board = dict(BOARD)
        board["net"] = spec or {"wlan": {}}
        self.m = rig_machine(board, clock=self.clk)
        self.lines = []
        self.hw = BoardHardware(board, machine=self.m, clock=self.clk, clock_us=self.clk.us,
                                timer=False, flash_dir="", site_path=_site(site),
                                network=self.net, socket=FakeSocketModule(),
                                log=self.lines.append)
        self.link = self.hw.net

    def run(self, ms, step=10):
        """Poll every step ms (the App polls far more often) for ms."""
        end = self.clk.t + ms
        while self.clk.t < end:
            self.clk.t += step
            self.link.poll()

    def said(self, text):
        return [ln for ln in self.lines if text in ln]


def _addr(link):
    a = link.addr
    return ["%d.%d.%d.%d" % tuple(a[k:k + 4]) for k in (0, 4, 8)]


def test_wifi_comes_up_from_the_site_file():
    t = Link()
    w = t.net.wlan
    assert w.on and w.target == ("Plantroom", KEY) and w.reconnects == 0
    assert t.link.kind == N.KIND_WLAN and t.link.state == N.ST_CONNECTING
    assert t.link.site == SITE_OK and t.link.dhcp == 1
    t.run(2200)  # association 1.5 s + DHCP 0.8 s
    assert t.link.state == N.ST_CONNECTING
    t.run(300)
    assert t.link.state == N.ST_UP and t.link.fail == N.F_NONE
    assert _addr(t.link) == ["192.168.1.50", "255.255.255.0", "192.168.1.1"]
    assert t.link.rssi == -61 and t.link.reconnects == 0
    assert t.said("wlan connecting to 'Plantroom'") and t.said("address 192.168.1.50")
    t.run(10000)
    assert t.link.up_s == 10 and t.link.state == N.ST_UP


def test_wrong_key_is_retried_with_a_doubling_backoff():
    t = Link(aps=[FakeAP("Plantroom", "another key")])
    t.run(1600)
    assert t.link.state == N.ST_RETRY and t.link.fail == N.F_KEY
    assert t.net.wlan.target is None  # disconnected while it waits
    assert t.said("wlan wrong key: retry in 2 s")
    # the attempts start after 2, 4, 8 ... s of waiting, each failing 1.5 s in
    starts = []
    last = None
    for _ in range(30000):  # 300 s at 10 ms
        t.clk.t += 10
        t.link.poll()
        tg = t.net.wlan.target
        if tg is not None and last is None:
            starts.append(t.clk.t)
        last = tg
    gaps = [starts[k + 1] - starts[k] for k in range(len(starts) - 1)]
    waits = [g - 1500 for g in gaps]  # each attempt fails 1.5 s in, then waits
    for k in range(len(waits)):
        assert abs(waits[k] - 4000 * 2 ** k) <= 260, (k, waits)
    assert t.link.reconnects == len(starts)
    assert t.link.retry_s() > 0
    t.net.aps[0].key = KEY  # the key is put right on the access point
    t.run(300000)
    assert t.link.state == N.ST_UP
    assert t.link.retry_s() == 0


def test_backoff_is_capped_at_five_minutes_and_starts_again_once_up():
    t = Link(aps=[])  # no access point: "not found" 2 s into each attempt
    t.run(2100)
    assert t.link.fail == N.F_NO_AP and t.said("access point not found")
    t.run(3600 * 1000, step=100)  # an hour without the access point
    waits = [int(ln.split("retry in ")[1].split()[0]) for ln in t.said("retry in")]
    assert waits[:8] == [2, 4, 8, 16, 32, 64, 128, 256] and set(waits[8:]) == {300}
    t.net.aps.append(FakeAP("Plantroom", KEY))
    t.run(310000, step=100)
    assert t.link.state == N.ST_UP
    n = t.link.reconnects
    t.net.aps[0].on = False  # the access point goes away: the link is lost
    t.run(300)
    assert t.link.state == N.ST_RETRY and t.link.fail == N.F_LOST
    assert _addr(t.link) == ["0.0.0.0"] * 3 and t.link.rssi == 0 and t.link.up_s == 0
    assert t.said("wlan link lost: retry in 2 s")  # the backoff started again
    t.net.aps[0].on = True
    t.run(6000)
    assert t.link.state == N.ST_UP and t.link.reconnects == n + 1


def test_no_address_within_the_timeout_is_a_failure():
    ap = FakeAP("Plantroom", KEY)
    ap.dhcp_ms = 10 ** 9  # associated, but no DHCP answer ever
    t = Link(aps=[ap])
    t.run(29900)
    assert t.link.state == N.ST_CONNECTING
    t.run(400)
    assert t.link.state == N.ST_RETRY and t.link.fail == N.F_TIMEOUT


def test_static_address_is_set_before_connecting():
    t = Link(site=STATIC)
    w = t.net.wlan
    assert w.static == ("192.168.7.40", "255.255.255.0", "192.168.7.1", "192.168.7.1")
    order = [c[0] for c in t.net.calls]
    assert order.index("ifconfig") < order.index("connect")
    assert t.link.dhcp == 0
    t.run(1600)  # no DHCP wait with a static address
    assert t.link.state == N.ST_UP
    assert _addr(t.link) == ["192.168.7.40", "255.255.255.0", "192.168.7.1"]


def test_hostname_from_the_site_file():
    t = Link(site=SITE[:-1] + ', "hostname": "co2-rig-3"}')
    assert t.net.host == "co2-rig-3"


def test_rp2_status_numbers_pico_w():
    board = {"wlan": {}}
    t = Link(spec=board, port=RP2, aps=[FakeAP("Plantroom", "nope-nope")])
    t.run(1600)
    assert t.link.fail == N.F_KEY and t.link.state == N.ST_RETRY
    t.net.aps[0].key = KEY
    t.run(10000)
    assert t.link.state == N.ST_UP and t.link.rssi == -61


def test_ethernet_lan8720_from_the_board_file():
    t = Link(site='{"net": "lan"}', spec={"lan": LAN_PINS})
    lan = t.net.lans[0]
    assert lan.on and lan.kw["phy_type"] == t.net.PHY_LAN8720 and lan.kw["phy_addr"] == 1
    assert lan.kw["mdc"] is t.m.pins[23] and lan.kw["mdio"] is t.m.pins[18]
    assert lan.kw["power"] is t.m.pins[12] and lan.kw["ref_clk"] is t.m.pins[0]
    assert lan.kw["ref_clk_mode"] == t.m.Pin.IN
    assert t.net.wlan is None  # no Wi-Fi started
    t.run(1300)
    assert t.link.state == N.ST_UP and t.link.kind == N.KIND_LAN
    assert _addr(t.link) == ["10.0.5.23", "255.255.0.0", "10.0.0.1"] and t.link.rssi == 0
    t.net.cable = False  # unplugged: the link is lost, nothing to retry
    t.run(300)
    assert t.link.state == N.ST_CONNECTING and t.link.fail == N.F_LOST
    assert t.link.reconnects == 1 and t.said("lan link lost")
    t.run(60000)
    assert t.link.state == N.ST_CONNECTING and len(t.net.lans) == 1
    t.net.cable = True
    t.run(1500)
    assert t.link.state == N.ST_UP and t.link.fail == N.F_NONE


def test_a_phy_that_does_not_start_is_retried():
    t = Link(site='{"net": "lan"}', spec={"lan": LAN_PINS}, lan_fail=2)
    assert t.link.state == N.ST_RETRY and t.link.fail == N.F_DRIVER
    assert t.said("lan cannot start")
    t.run(2100)  # after 2 s: fails again; then 4 s
    assert len(t.net.made()) == 2 and t.link.state == N.ST_RETRY
    t.run(4100)
    assert len(t.net.lans) == 1 and t.link.state == N.ST_CONNECTING
    t.run(1300)
    assert t.link.state == N.ST_UP and t.link.reconnects == 2


def test_a_driver_that_raises_is_retried_not_a_crash():
    t = Link()
    t.run(3000)
    assert t.link.state == N.ST_UP
    t.net.raise_next = TypeError("driver bug")
    t.run(300)
    assert t.link.state == N.ST_RETRY and t.link.fail == N.F_DRIVER
    t.net.raise_next = OSError(116)
    t.run(5000)
    t.run(5000)
    assert t.link.state == N.ST_UP


def test_missing_or_wrong_site_file_leaves_the_network_off():
    cases = (
        (None, SITE_MISSING, "no "),
        ("{not json", SITE_UNREADABLE, "not readable JSON"),
        ('["wlan"]', SITE_UNREADABLE, "must be a JSON object"),
        ('{"net": "wlan", "ssid": "Plantroom", "key": 12345678}', 4, "key: must be a string"),
        ('{"net": "wlan", "sid": "Plantroom", "key": ""}', 4, "sid: unknown field"),
        ('{"net": "lan"}', SITE_WRONG_NET, "no lan interface"),
        ('{"net": "wlan", "ssid": "P", "key": "", "ip": {"address": "192.168.1.300", '
         '"netmask": "255.255.255.0", "gateway": "192.168.1.1"}}', 4, "not an IPv4"),
    )
    for text, code, msg in cases:
        t = Link(site=text)
        assert t.link.state == N.ST_OFF and t.link.kind == N.KIND_NONE, text
        assert t.link.site == code, (text, t.link.site)
        assert t.said(msg) and t.said("running without a network"), (text, t.lines)
        assert t.said("rig deploy --site FILE"), t.lines
        assert not t.net.calls, text  # the driver was never touched
        t.run(1000)
        assert not t.net.calls and t.link.state == N.ST_OFF


def test_site_none_is_no_network_without_complaint():
    t = Link(site='{"net": "none"}')
    assert t.link.state == N.ST_OFF and t.link.site == SITE_OK and not t.net.calls
    assert t.said("net none")


def test_no_network_loads_nothing_of_it():
    import sys

    for name in ("co2hr.hw.net", "co2hr.sitefile", "co2hr.hw.tcp_socket"):
        sys.modules.pop(name, None)
    t = Link(site=None)  # no site file
    assert t.link.site == SITE_MISSING and t.link.state == N.ST_OFF
    assert "co2hr.hw.net" not in sys.modules and "co2hr.sitefile" not in sys.modules
    assert not [p for p in t.hw.comm_ports() if p.kind == "tcp"]
    assert "co2hr.hw.tcp_socket" not in sys.modules  # no Modbus TCP socket code either
    t = Link()  # with a site file the link module is loaded, the checks are not kept
    assert "co2hr.hw.net" in sys.modules and "co2hr.sitefile" not in sys.modules
    assert [p for p in t.hw.comm_ports() if p.kind == "tcp"]
    assert "co2hr.hw.tcp_socket" in sys.modules


# --- on the board: BoardHardware, the App and the register map -----------------------
class _Hold:
    def step(self, now_ms, raw, ok, out):
        for i in range(N_OUT):
            out[i] = SAFE_OUTPUTS[i]


def _board_hw(site, clk, net, sock, board_net=None):
    board = dict(BOARD)
    board["net"] = board_net or {"wlan": {}}
    m = rig_machine(board, clock=clk)
    return BoardHardware(board, machine=m, clock=clk, clock_us=clk.us, timer=False,
                         flash_dir="", site_path=_site(site), network=net, socket=sock)


def _regs(app, first, n):
    r = h(req(app, "04 %04x %04x" % (first, n)))
    assert r[0] == 4 and r[1] == 2 * n, r
    return [(r[2 + 2 * k] << 8) | r[3 + 2 * k] for k in range(n)]


def test_address_and_link_state_over_modbus():
    clk = Clock(0)
    net = FakeNetwork(clk, aps=[FakeAP("Plantroom", KEY, ip="192.168.1.20")])
    sock = FakeSocketModule()
    hw = _board_hw(SITE, clk, net, sock)
    app = build(hw, BOARD)
    assert hw.net in app.comms
    tcp = [p for p in hw.comm_ports() if p.kind == "tcp"]
    assert len(tcp) == 1 and sock.bound == [("0.0.0.0", 502)]
    b = addr("input", "boot_mode")
    assert b == 640 and addr("input", "net_ip") == 650
    v = _regs(app, b, 8)
    assert v[:4] == [0, 1, 1, SITE_OK] and v[4] == 0x8000 and v[7] == 1  # connecting
    for _ in range(1500):  # 3 s of the board's loop, polled every 2 ms
        clk.t += 2
        app.service()
    v = _regs(app, b, 8)
    assert v[:4] == [0, 1, 2, SITE_OK] and v[4] == (-61) & 0xFFFF and v[6] == 0
    a = _regs(app, 650, 10)
    assert a[0:2] == [0xC0A8, 0x0114] and a[2:4] == [0xFFFF, 0xFF00]
    assert a[4:6] == [0xC0A8, 0x0101] and a[6:8] == [0, 0] and a[8:10] == [0, 0]
    for _ in range(5000):
        clk.t += 2
        app.service()
    assert _regs(app, 658, 2) == [0, 10]  # net_up_s


def test_board_without_a_network_reads_none():
    clk = Clock(0)
    m = rig_machine(clock=clk)
    site = _site(SITE)  # a site file on a board without a network is not read
    hw = BoardHardware(BOARD, machine=m, clock=clk, clock_us=clk.us, timer=False,
                       flash_dir="", site_path=site, network=FakeNetwork(clk),
                       socket=FakeSocketModule())
    assert hw.net is None
    assert not [p for p in hw.comm_ports() if p.kind == "tcp"]
    app = build(hw, BOARD)
    assert _regs(app, 640, 8) == [0, 0, 0, 0, 0x8000, 0, 0, 0]
    assert _regs(app, 650, 10) == [0] * 10


def test_a_bad_site_file_does_not_stop_the_controller():
    clk = Clock(0)
    net = FakeNetwork(clk)
    hw = _board_hw('{"net": "wlan", "ssid": ""}', clk, net, FakeSocketModule())
    app = build(hw, BOARD)
    assert not [p for p in hw.comm_ports() if p.kind == "tcp"]
    for _ in range(5000):
        clk.t += 2
        hw.poll(clk.t)
        app.service()
    assert app.ticks == 11 and app.overruns == 0
    assert _regs(app, 640, 4) == [0, 0, 0, 4]  # net_site 4: a field is wrong
    assert not net.calls


def test_the_link_never_holds_up_the_control_tick():
    # Every driver call takes 3 ms; the access point refuses the key for a minute,
    # then lets the board in, then disappears. The App polls as fast as it can (a pass
    # costs 0.5 ms here). Ticks stay on their 1 s grid and the link is asked at most
    # once per 250 ms, a few short calls per poll.
    clk = Clock(0)
    ap = FakeAP("Plantroom", "not yet")
    net = FakeNetwork(clk, aps=[ap])
    net.cost_us = 3000
    hw = _board_hw(SITE, clk, net, FakeSocketModule())
    app = App(hw, _Hold(), period_ms=1000, comms=[hw.net])
    tick_at = []
    n0 = len(net.calls)
    while clk.t < 180000:
        calls = len(net.calls)
        if app.service():
            tick_at.append(clk.t)
        assert len(net.calls) - calls <= 3  # status(), and on a change ifconfig and rssi
        clk.t_us += 500
        if clk.t == 60000:
            ap.key = KEY
        if clk.t == 120000:
            ap.on = False
    assert app.overruns == 0
    assert len(tick_at) == 180
    for k in range(1, len(tick_at)):
        assert 999 <= tick_at[k] - tick_at[k - 1] <= 1004, (k, tick_at[k - 1:k + 1])
    asks = [c[1] for c in net.calls[n0:] if c[0] in ("status", "isconnected")]
    for k in range(1, len(asks)):
        assert asks[k] - asks[k - 1] >= 250, (k, asks[k - 1:k + 1])
    assert hw.net.state == N.ST_RETRY and hw.net.fail == N.F_NO_AP  # lost, then not found


def test_a_missing_site_file_does_not_load_its_checks():
    # The checks' names would stay interned after their unload: on a board without a
    # network that opened one more qstr pool (~9 KB, tools/heap_modules.py).
    import sys

    import co2hr
    from co2hr import sitefile as real

    loads = []

    class Checks:  # stands in for co2hr.sitefile, counting what is read through it
        @staticmethod
        def load(path, nets):
            loads.append(path)
            return real.load(path, nets)

    def plant():
        sys.modules["co2hr.sitefile"] = Checks
        co2hr.sitefile = Checks

    try:
        plant()
        t = Link(site=None)
        assert t.link.site == SITE_MISSING and t.said("no ") and not loads
        plant()
        t = Link()
        assert len(loads) == 1 and t.link.site == SITE_OK
    finally:
        sys.modules.pop("co2hr.sitefile", None)
        if hasattr(co2hr, "sitefile"):
            delattr(co2hr, "sitefile")
