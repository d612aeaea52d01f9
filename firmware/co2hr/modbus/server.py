# The Modbus server of the firmware: the register map bound to the App, the one PDU
# core, and a transport per byte port the hardware offers (RTU UART, TCP listener).
# The App polls the transports through app.comms; the HIL link hands PDUs straight to
# handle_pdu(). Diagnostics counters (registers.DIAG) are readable over Modbus.
# Each request is served on behalf of one unlock session (co2hr.modbus.unlock): a TCP
# connection's, an RTU line's, or the link's own; the link is a line like the others
# (locked at boot, the same code and waits), so the host's harness unlocks as a
# technician does.
# The TCP transport (co2hr.modbus.tcp) is imported only for a TCP port: a board without a
# network never loads it.
from co2hr import VERSION
from co2hr.eventlog import SRC_FIRMWARE, SRC_HIL, SRC_RTU, SRC_TCP
from co2hr.modbus.pdu import PduCore
from co2hr.modbus.registers import D_BCAST_REFUSED, D_EXC, D_SERVED, N_DIAG, RegisterMap
from co2hr.modbus.rtu import RtuServer
from co2hr.modbus.unlock import Guard, Unlock
from co2hr.settings import index as _sidx

VENDOR = b"co2hr project"
PRODUCT_CODE = b"CO2HR-CTL"
PRODUCT_NAME = b"CO2 heat-recovery controller"


class ModbusServer:
    def __init__(self, app, ports=None, board_name="?"):
        self.app = app
        self.settings = app.control.settings
        self.diag = [0] * N_DIAG
        self.session = Unlock(Guard(app.hw.ticks_ms), self.settings)  # the link's (handle_pdu)
        self.map = RegisterMap(app, self, self.settings, board_name)
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
                rs = RtuServer(p, self, app.hw.ticks_ms)
                self.transports.append(rs)
                if self.rtu is None:
                    self.rtu = rs
            elif p.kind == "tcp":
                from co2hr.modbus.tcp import TcpServer

                ts = TcpServer(p, self, app.hw.ticks_ms)
                self.transports.append(ts)
                if self.tcp is None:
                    self.tcp = ts
        self.events = app.events  # co2hr.eventlog: who changed what (None: not logged)
        self._name_sources()

    def _name_sources(self):
        """Each transport's guard says which source its requests are (the event log)."""
        g = self.session.guard
        g.source = SRC_HIL
        g.events = self.events
        for t in self.transports:
            tcp = hasattr(t, "guard")  # TcpServer: one guard for all its connections
            g = t.guard if tcp else t.session.guard
            g.source = SRC_TCP if tcp else SRC_RTU
            g.events = self.events

    def serve(self, req, ro, n, resp, wo, session, broadcast):
        """Run one request PDU through the core for the master of session (its Unlock)
        and count it. Returns the length of the response PDU to send (0: nothing)."""
        m = self.map
        m.session = session
        m.broadcast = broadcast
        ev = self.events
        if ev is not None:
            ev.source = session.guard.source  # what this request changes is logged as its
        k = self.core.handle(req, ro, n, resp, wo)
        if ev is not None:
            ev.source = SRC_FIRMWARE
        if k == 0:
            return 0
        self.diag[D_SERVED] += 1
        if broadcast:
            if self.core.exc:
                self.diag[D_BCAST_REFUSED] += 1
            return 0
        if self.core.exc:
            self.diag[D_EXC] += 1
        return k

    def handle_pdu(self, unit, pdu):
        """The HIL link's entry: unit as on RTU (0 broadcast, else our address).
        Allocates the reply bytes (this path is the link's, not the board's)."""
        if unit != 0 and unit != int(self.settings.values[_sidx("mb_unit")]):
            return None
        s = self.session
        s.expire(self.app.hw.ticks_ms())  # not polled: the host drives it at every tick
        k = self.serve(pdu, 0, len(pdu), self.resp, 0, s, unit == 0)
        return bytes(self.resp[:k]) if k else None

    def poll(self):
        for t in self.transports:
            t.poll()
