"""The site file's checks against an independent truth (CPython's ipaddress module) and
on crafted input: check() never raises whatever JSON it is given, load() never raises
whatever bytes the file holds, and a static address is accepted exactly when
ipaddress agrees it is a host of a /1../30 network holding its gateway."""

import ipaddress
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from co2hr.sitefile import SITE_OK, check, ipv4, load

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=10), kids,
                                                              max_size=5),
    max_leaves=20)
site_keys = st.sampled_from(["net", "ssid", "key", "ip", "hostname", "address", "netmask",
                             "gateway", "dns", "sid"])
site_like = st.dictionaries(site_keys, json_values | st.sampled_from(
    ["wlan", "lan", "none", "dhcp", "192.168.1.2", "255.255.255.0"]), max_size=6)
octet_text = st.one_of(st.integers(0, 300).map(str), st.sampled_from(["01", "00", "", "x", "1e2"]))
quad = st.lists(octet_text, min_size=3, max_size=5).map(".".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(json_values, site_like))
def test_check_never_raises(d):
    errs = check(d, ("wlan", "lan"))
    assert isinstance(errs, list) and all(isinstance(e, str) and ": " in e for e in errs)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_load_never_raises(tmp_path_factory, data):
    p = tmp_path_factory.mktemp("site") / "site.json"
    p.write_bytes(data)
    status, d, msg = load(str(p), ("wlan",))
    assert (d is not None) == (status == SITE_OK)


@settings(max_examples=400, deadline=None)
@given(quad)
def test_ipv4_agrees_with_ipaddress(s):
    try:
        truth = ipaddress.IPv4Address(s).packed
    except ValueError:
        truth = None
    assert ipv4(s) == truth


def _truth(addr, mask, gw):
    try:
        net = ipaddress.IPv4Network(f"{addr}/{mask}", strict=False)
        a, g = ipaddress.IPv4Address(addr), ipaddress.IPv4Address(gw)
    except ValueError:
        return False
    if not 1 <= net.prefixlen <= 30 or ipaddress.IPv4Address(mask) != net.netmask:
        return False

    def host(x):
        return x.packed[0] not in (0, 127) and x.packed[0] < 224

    return (host(a) and host(g) and a in net and g in net and a != g
            and a not in (net.network_address, net.broadcast_address))


addr_st = st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255),
                    st.integers(0, 255)).map(lambda t: "%d.%d.%d.%d" % t)
mask_st = st.integers(0, 32).map(lambda n: str(ipaddress.IPv4Network(f"0.0.0.0/{n}").netmask))


@settings(max_examples=500, deadline=None)
@given(addr_st, mask_st | addr_st, addr_st)
def test_static_address_rules_agree_with_ipaddress(addr, mask, gw):
    d = {"net": "wlan", "ssid": "Plantroom", "key": "secret-key",
         "ip": {"address": addr, "netmask": mask, "gateway": gw}}
    assert (check(d, ("wlan",)) == []) == _truth(addr, mask, gw), check(d, ("wlan",))


def test_a_site_file_survives_a_json_round_trip():
    d = {"net": "wlan", "ssid": "Plantroom", "key": "secret-key",
         "ip": {"address": "10.1.2.3", "netmask": "255.255.0.0", "gateway": "10.1.0.1"}}
    assert check(json.loads(json.dumps(d)), ("wlan",)) == []
