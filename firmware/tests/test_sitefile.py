# The site file's checks (co2hr/sitefile.py), CPython and MicroPython: the examples
# of docs/flashing.md pass; every wrong field is named; addresses are real IPv4 host
# addresses in one network with their gateway; a file that is missing, not JSON, not
# an object or too large is a status, never an exception.
from netfakes import scratch_dir, write

from co2hr.sitefile import (
    MAX_BYTES,
    SITE_INVALID,
    SITE_MISSING,
    SITE_OK,
    SITE_UNREADABLE,
    SITE_WRONG_NET,
    check,
    ipv4,
    load,
    prefix_len,
)

WLAN = ("wlan",)
STATIC = {"address": "192.168.10.20", "netmask": "255.255.255.0",
          "gateway": "192.168.10.1", "dns": "192.168.10.1"}


def _wlan(**kw):
    d = {"net": "wlan", "ssid": "Plantroom", "key": "secret-key", "ip": "dhcp"}
    d.update(kw)
    return d


def _one(d, nets=WLAN):
    errs = check(d, nets)
    assert len(errs) == 1, errs
    return errs[0]


def test_ipv4_parses_dotted_quads_only():
    assert ipv4("192.168.1.20") == bytes([192, 168, 1, 20])
    assert ipv4("0.0.0.0") == bytes(4) and ipv4("255.255.255.255") == b"\xff" * 4
    for bad in ("192.168.1", "192.168.1.256", "192.168.01.2", "1.2.3.4.5", "a.b.c.d",
                " 1.2.3.4", "1.2.3.4 ", "1..3.4", "-1.2.3.4", "1.2.3.+4", "", 3232235796,
                None, ["1", "2", "3", "4"], "1.2.3.1234"):
        assert ipv4(bad) is None, bad


def test_prefix_len_of_netmasks():
    assert prefix_len(ipv4("255.255.255.0")) == 24
    assert prefix_len(ipv4("255.255.252.0")) == 22
    assert prefix_len(ipv4("255.255.255.255")) == 32 and prefix_len(bytes(4)) == 0
    assert prefix_len(ipv4("255.0.255.0")) == -1 and prefix_len(ipv4("0.255.255.255")) == -1


def test_the_documented_examples_are_good():
    assert check(_wlan(), WLAN) == []
    assert check(_wlan(ip=STATIC, hostname="co2-rig-3"), WLAN) == []
    assert check(_wlan(key=""), WLAN) == []  # an open network
    assert check(_wlan(key="a1" * 32), WLAN) == []  # a raw 64-hex-digit WPA key
    assert check({"net": "lan", "ip": STATIC}, ("lan",)) == []
    assert check({"net": "lan"}, ("wlan", "lan")) == []
    assert check({"net": "none"}, ()) == []
    ip = dict(STATIC)
    del ip["dns"]
    assert check(_wlan(ip=ip), WLAN) == []


def test_each_wrong_field_is_named():
    assert _one(_wlan(ssid="")).startswith("ssid:")
    assert _one(_wlan(ssid="x" * 33)).startswith("ssid:")
    assert _one(_wlan(ssid=7)).startswith("ssid:")
    assert _one(_wlan(key="short")).startswith("key: a WPA passphrase has 8..63")
    assert _one(_wlan(key="x" * 64)).startswith("key: 64 characters must be hex")
    assert _one(_wlan(key="tab\tinside")).startswith("key: only printable")
    assert _one(_wlan(key=None)).startswith("key: must be a string")
    d = _wlan()
    del d["key"]
    assert _one(d).startswith("key: missing field")
    assert _one(_wlan(sid="Plantroom")).startswith("sid: unknown field")
    assert _one({"net": "wifi"}).startswith("net: 'wifi' is not")
    assert _one({"ssid": "x"}).startswith("net: None is not")
    assert _one({"net": "lan", "ssid": "x"}, ("lan",)).startswith("ssid: only for net")
    assert _one({"net": "none", "ip": "dhcp"}, ()).startswith("ip: not used")
    assert _one(_wlan(ip="static")).startswith("ip: 'static' is neither")
    assert _one(_wlan(hostname="-rig")).startswith("hostname:")
    assert _one(_wlan(hostname="rig_3")).startswith("hostname:")
    assert check([1, 2], WLAN) == ["site file: must be a JSON object"]
    assert check("wlan", WLAN) == ["site file: must be a JSON object"]


def test_the_interface_must_be_the_boards():
    assert _one(_wlan(), ("lan",)) == "net: this board has no wlan interface (board file: lan)"
    assert _one({"net": "lan"}, ()) == "net: this board has no lan interface (board file: none)"


def _ip(**kw):
    ip = dict(STATIC)
    ip.update(kw)
    return _wlan(ip=ip)


def test_static_addresses_are_checked():
    assert _one(_ip(address="192.168.10.256")).startswith("ip.address: '192.168.10.256' is")
    assert _one(_ip(netmask="255.0.255.0")).startswith("ip.netmask: 255.0.255.0 is not")
    assert _one(_ip(netmask="255.255.255.255")).startswith("ip.netmask:")
    assert _one(_ip(address="192.168.10.0")).startswith("ip.address: 192.168.10.0 is the")
    assert _one(_ip(address="192.168.10.255")).startswith("ip.address: 192.168.10.255 is")
    assert _one(_ip(address="127.0.0.5")).startswith("ip.address: 127.0.0.5 is not a host")
    assert _one(_ip(address="224.0.0.1")).startswith("ip.address:")
    assert _one(_ip(gateway="192.168.11.1")).startswith("ip.gateway: 192.168.11.1 is outside")
    assert _one(_ip(gateway="192.168.10.20")).startswith("ip.gateway: 192.168.10.20 is the")
    assert _one(_ip(dns="0.0.0.0")).startswith("ip.dns: 0.0.0.0 is not a host")
    assert _one(_ip(mask="255.255.255.0")).startswith("ip.mask: unknown field")
    assert _one(_ip(gateway=None)).startswith("ip.gateway: None is not an IPv4")
    ip = dict(STATIC)
    del ip["gateway"]
    assert _one(_wlan(ip=ip)).startswith("ip.gateway: missing field")
    assert check(_ip(netmask="255.255.0.0", gateway="192.168.200.1"), WLAN) == []


def _file(text):
    p = scratch_dir() + "/site_s%d.json" % len(text)
    write(p, text)
    return p


def test_load_gives_a_status_never_an_exception():
    st, d, msg = load(_file('{"net": "wlan", "ssid": "Plantroom", "key": "secret-key"}'),
                      WLAN)
    assert st == SITE_OK and d["ssid"] == "Plantroom" and msg == ""
    assert load(scratch_dir() + "/no-such-site.json", WLAN)[0] == SITE_MISSING
    st, d, msg = load(_file('{"net": "wlan",'), WLAN)
    assert st == SITE_UNREADABLE and d is None and "not readable JSON" in msg
    assert load(_file("[1, 2, 3]"), WLAN)[0] == SITE_UNREADABLE
    assert load(_file('"wlan"'), WLAN)[0] == SITE_UNREADABLE
    assert load(_file("\xff\xfe{"), WLAN)[0] == SITE_UNREADABLE
    st, d, msg = load(_file('{"net": "wlan", "ssid": "", "key": "x"}'), WLAN)
    assert st == SITE_INVALID and "ssid:" in msg and "key:" in msg
    st, d, msg = load(_file('{"sid": 1, "net": "lan"}'), WLAN)
    assert st == SITE_WRONG_NET and "sid: unknown field" in msg
    big = '{"net": "none", "x": "%s"}' % ("y" * MAX_BYTES)
    st, d, msg = load(_file(big), WLAN)
    assert st == SITE_UNREADABLE and "more than" in msg
