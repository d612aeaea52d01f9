# NetOff: the network link's state (as co2hr.hw.net.NetLink shows it) on a board whose
# site file asks for no interface (missing, wrong, or "none"): nothing of the network
# is loaded, and the registers say why (net_site, the co2hr.sitefile status).
from micropython import const

_OFF = const(0)  # co2hr.hw.net.KIND_NONE / ST_OFF / F_NONE


class NetOff:
    """What the register map reads of a link (co2hr.hw.net.NetLink) that is off."""

    kind = _OFF
    state = _OFF
    fail = _OFF
    dhcp = 0
    rssi = 0
    reconnects = 0
    up_s = 0

    def __init__(self, site):
        self.site = site  # co2hr.sitefile SITE_*: why it is off
        self.addr = bytes(12)

    def poll(self):
        pass

    def retry_s(self):
        return 0
