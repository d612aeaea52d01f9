# The Modbus server of the firmware: the register map bound to the App, the one PDU
# core, and a transport per byte port the hardware offers (RTU UART, TCP listener).
# The App polls the transports through app.comms; the HIL link hands PDUs straight to
# handle_pdu(). Diagnostics counters (registers.DIAG) are readable over Modbus.
from co2hr import VERSION
from co2hr.modbus.pdu import PduCore
from co2hr.modbus.registers import D_EXC, D_SERVED, N_DIAG, RegisterMap
from co2hr.modbus.rtu import RtuServer
from co2hr.modbus.tcp import TcpServer
from co2hr.modbus.unlock import Unlock
from co2hr.settings import Settings
from co2hr.settings import index as _sidx

VENDOR = b"co2hr project"
PRODUCT_CODE = b"CO2HR-CTL"
PRODUCT_NAME = b"CO2 heat-recovery controller"


class ModbusServer:
    def __init__(self, app, ports=None, board_name="?"):
        self.app = app
        s = getattr(app.control, "settings", None)
        self.settings = s if s is not None else Settings()
        self.diag = [0] * N_DIAG
        self.unlock = Unlock(app.hw.ticks_ms, self.settings, _sidx("unlock_timeout_s"))
        self.map = RegisterMap(app, self, self.settings, self.unlock, board_name)
        ident = ((0, VENDOR), (1, PRODUCT_CODE), (2, VERSION.encode()), (4, PRODUCT_NAME),
                 (5, board_name.encode()))
        self.core = PduCore(self.map, ident)
        self.resp = bytearray(253)
        self.transports: list = []
        self.rtu = None
        self.tcp = None
        if ports is None:
            ports = app.hw.comm_ports()
        for p in ports:
            if p.kind == "rtu":
                rs = RtuServer(p, self)
                self.transports.append(rs)
                if self.rtu is None:
                    self.rtu = rs
            elif p.kind == "tcp":
                ts = TcpServer(p, self, app.hw.ticks_ms)
                self.transports.append(ts)
                if self.tcp is None:
                    self.tcp = ts

    def serve(self, req, ro, n, resp, wo, broadcast):
        """Run one request PDU through the core and count it. Returns the length of
        the response PDU to send (0: nothing to send)."""
        k = self.core.handle(req, ro, n, resp, wo)
        if k == 0:
            return 0
        self.diag[D_SERVED] += 1
        if broadcast:
            return 0
        if self.core.exc:
            self.diag[D_EXC] += 1
        return k

    def handle_pdu(self, unit, pdu):
        """The HIL link's entry: unit as on RTU (0 broadcast, else our address).
        Allocates the reply bytes (this path is the link's, not the board's)."""
        if unit != 0 and unit != int(self.settings.values[_sidx("mb_unit")]):
            return None
        k = self.serve(pdu, 0, len(pdu), self.resp, 0, unit == 0)
        return bytes(self.resp[:k]) if k else None

    def poll(self):
        for t in self.transports:
            t.poll()
