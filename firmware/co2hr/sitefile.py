# The site file: how this installation reaches its network. It is site.json beside
# board.json on the board, written by `rig deploy --site FILE` (never kept in the
# repository: it holds the Wi-Fi key). The host checks it with this module before
# writing it and the board checks it again at boot (co2hr/hw/net.py), so a wrong file
# gets the same message on both. A bad site file never stops the controller: the board
# runs without a network and says why (console, input register net_site).
#
#   {"net": "wlan", "ssid": "Plantroom", "key": "secret-key", "ip": "dhcp"}
#   {"net": "lan", "ip": {"address": "192.168.10.20", "netmask": "255.255.255.0",
#                         "gateway": "192.168.10.1", "dns": "192.168.10.1"}}
#   {"net": "none"}
# "net" names one of the board file's interfaces (its "net" section) or "none"; "ip"
# is "dhcp" (the default) or a static address; "hostname" is optional. Unknown fields
# are refused: a mistyped "sid" must not silently leave the board off the network.
# Format and examples: docs/flashing.md.
from micropython import const

SITE_UNUSED = const(0)  # the board has no network interface: no site file is read
SITE_OK = const(1)
SITE_MISSING = const(2)
SITE_UNREADABLE = const(3)  # not JSON, not an object, too large
SITE_INVALID = const(4)  # a field is wrong
SITE_WRONG_NET = const(5)  # asks for an interface the board file does not have
MAX_BYTES = const(1024)  # a real site file is ~150 B; a larger one is not read
_KEYS = ("net", "ssid", "key", "ip", "hostname")
_IP_KEYS = ("address", "netmask", "gateway", "dns")
_DIGITS = "0123456789"
_HEX = "0123456789abcdefABCDEF"
_NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"


def ipv4(s):
    """The 4 bytes of a dotted-quad IPv4 address, or None (no leading zeros, 0..255)."""
    if type(s) is not str:
        return None
    parts = s.split(".")
    if len(parts) != 4:
        return None
    out = bytearray(4)
    for k in range(4):
        p = parts[k]
        if not 0 < len(p) <= 3 or (len(p) > 1 and p[0] == "0"):
            return None
        for c in p:
            if c not in _DIGITS:
                return None
        v = int(p)
        if v > 255:
            return None
        out[k] = v
    return bytes(out)


def _u32(b):
    return (b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]


def prefix_len(mask):
    """Bits set in a contiguous netmask (4 bytes), or -1 when it is not one."""
    m = _u32(mask)
    n = 0
    while n < 32 and m & (0x80000000 >> n):
        n += 1
    return n if (m << n) & 0xFFFFFFFF == 0 else -1


def _unicast(b):
    """A host address: not 0.x, loopback, multicast or reserved."""
    return b[0] != 0 and b[0] != 127 and b[0] < 224


def _check_ip(ip, errs):
    if ip == "dhcp":
        return
    if type(ip) is not dict:
        errs.append("ip: %r is neither \"dhcp\" nor an object with address, netmask, "
                    "gateway (and dns)" % (ip,))
        return
    for k in ip:
        if k not in _IP_KEYS:
            errs.append("ip.%s: unknown field (%s)" % (k, ", ".join(_IP_KEYS)))
    got = {}
    for k in _IP_KEYS:
        if k not in ip:
            if k != "dns":
                errs.append("ip.%s: missing field" % k)
            continue
        b = ipv4(ip[k])
        if b is None:
            errs.append("ip.%s: %r is not an IPv4 address (a.b.c.d)" % (k, ip[k]))
        else:
            got[k] = b
    mask = got.get("netmask")
    n = prefix_len(mask) if mask else 0
    if mask and not 1 <= n <= 30:
        errs.append("ip.netmask: %s is not a netmask of a network with hosts (/1../30)"
                    % ip["netmask"])
        return
    addr = got.get("address")
    if addr and not _unicast(addr):
        errs.append("ip.address: %s is not a host address" % ip["address"])
        return
    for k in ("gateway", "dns"):
        b = got.get(k)
        if b and not _unicast(b):
            errs.append("ip.%s: %s is not a host address" % (k, ip[k]))
    if not (addr and mask):
        return
    host = _u32(addr) & (0xFFFFFFFF >> n)
    if host == 0 or host == 0xFFFFFFFF >> n:
        errs.append("ip.address: %s is the network's own or broadcast address (/%d)"
                    % (ip["address"], n))
    gw = got.get("gateway")
    if gw and (_u32(gw) ^ _u32(addr)) & (0xFFFFFFFF << (32 - n)) & 0xFFFFFFFF:
        errs.append("ip.gateway: %s is outside %s/%d" % (ip["gateway"], ip["address"], n))
    elif gw and gw == addr:
        errs.append("ip.gateway: %s is the board's own address" % ip["gateway"])


def _check_wlan(d, errs):
    ssid = d.get("ssid")
    if type(ssid) is not str or not 1 <= len(ssid.encode()) <= 32:
        errs.append("ssid: %r is not a network name of 1..32 bytes" % (ssid,))
    if "key" not in d:
        errs.append("key: missing field (\"\" for an open network)")
        return
    key = d["key"]
    if type(key) is not str:
        errs.append("key: must be a string")
    elif len(key) == 64:
        for c in key:
            if c not in _HEX:
                errs.append("key: 64 characters must be hex digits (a raw WPA key)")
                break
    elif key and not 8 <= len(key) <= 63:
        errs.append("key: a WPA passphrase has 8..63 characters, not %d" % len(key))
    else:
        for c in key:
            if not " " <= c <= "~":
                errs.append("key: only printable ASCII characters")
                break


def _check_hostname(h, errs):
    ok = type(h) is str and 1 <= len(h) <= 32 and h[0] != "-" and h[-1] != "-"
    if ok:
        for c in h:
            if c not in _NAME_CHARS:
                ok = False
    if not ok:
        errs.append("hostname: %r is not 1..32 letters, digits and inner '-'" % (h,))


def check(d, nets):
    """Every problem with the parsed site file d, for a board whose interfaces are the
    names in nets ("wlan", "lan"): a list of "field: message" ([] when it is good)."""
    if type(d) is not dict:
        return ["site file: must be a JSON object"]
    errs = []
    for k in d:
        if k not in _KEYS:
            errs.append("%s: unknown field (%s)" % (k, ", ".join(_KEYS)))
    net = d.get("net")
    if net == "none":
        for k in ("ssid", "key", "ip", "hostname"):
            if k in d:
                errs.append("%s: not used with net \"none\"" % k)
        return errs
    if net not in ("wlan", "lan"):
        errs.append("net: %r is not \"wlan\", \"lan\" or \"none\"" % (net,))
        return errs
    if net not in nets:
        errs.append("net: this board has no %s interface (board file: %s)"
                    % (net, ", ".join(nets) or "none"))
    if net == "wlan":
        _check_wlan(d, errs)
    else:
        for k in ("ssid", "key"):
            if k in d:
                errs.append("%s: only for net \"wlan\"" % k)
    _check_ip(d.get("ip", "dhcp"), errs)
    if "hostname" in d:
        _check_hostname(d["hostname"], errs)
    return errs


def load(path, nets):
    """(status, site dict or None, message) for the site file at path."""
    import json
    import os

    try:
        size = os.stat(path)[6]
    except OSError:
        return SITE_MISSING, None, "no " + path
    if size > MAX_BYTES:
        return SITE_UNREADABLE, None, "%s: %d B, more than a site file's %d B" % (
            path, size, MAX_BYTES)
    try:
        with open(path) as f:
            d = json.load(f)
    except (OSError, ValueError, MemoryError) as e:
        return SITE_UNREADABLE, None, "%s: not readable JSON (%s)" % (path, e)
    errs = check(d, nets)
    if errs:
        status = SITE_UNREADABLE if type(d) is not dict else SITE_INVALID
        for msg in errs:
            if msg.startswith("net: this board"):
                status = SITE_WRONG_NET
        return status, None, "%s: %s" % (path, "; ".join(errs))
    return SITE_OK, d, ""
