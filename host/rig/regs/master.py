"""The host as a Modbus master by register name, over any transport.

`Master` is the contract: a transport supplies read_words() and write_word()/write_bit()
(one request each); reading registers by name (requests planned by rig.regs.table,
values decoded by rig.regs.codec), the service unlock before a setting is written and
closing it again are done here once. `PduMaster` is the transport of a raw PDU exchange
(a target's modbus(), in-process: the HIL runner and the virtual rig's own view);
rig.regs.link.Link is the one of pymodbus over TCP or RTU (the technician's commands).
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from co2hr.modbus import registers as R
from rig.regs import codec, table
from rig.regs.table import Reg

FC_READ = {"coil": 1, "discrete": 2, "holding": 3, "input": 4}
FC_WRITE_COIL = 5
FC_WRITE_REGISTER = 6
FC_WRITE_REGISTERS = 16
COIL_ON = 0xFF00  # FC 5's value for "on"

# Standard exception codes (Modbus Application Protocol v1.1b3 §7) and what each
# means on this controller (co2hr/modbus/pdu.py has the order of the checks).
EXCEPTIONS = {
    1: ("illegal function", "the controller does not do this function here; for a write it "
        "means the settings are locked (commands too): the service unlock is not open on "
        "this connection or line (a wrong unlock code, or one sent while the controller "
        "waits after wrong codes: see unlock_wait_s), or Modbus TCP is read-only"),
    2: ("illegal data address", "no such register on this firmware, or it is read-only"),
    3: ("illegal data value", "value out of range for that register (nothing was stored)"),
    4: ("server device failure", "the controller failed while carrying out the request"),
    5: ("acknowledge", "accepted, still being processed"),
    6: ("server device busy", "the controller is busy; try again"),
    10: ("gateway path unavailable", "the gateway has no path to that unit"),
    11: ("gateway target failed to respond", "the gateway got no answer from that unit"),
}

Plan = list[tuple[str, int, int, list[Reg]]]


class Master:
    """Registers by name over a transport (subclasses: read_words, write_word, write_bit)."""

    def read_words(self, table_name: str, addr: int, qty: int) -> list[int]:
        """qty words (registers) or bits (coils, discrete inputs) from addr."""
        raise NotImplementedError

    def write_word(self, addr: int, raw: int, what: str) -> None:
        """One holding register (FC 6); `what` names the write in an error."""
        raise NotImplementedError

    def write_bit(self, addr: int, on: bool, what: str) -> None:
        """One coil (FC 5)."""
        raise NotImplementedError

    def write_block(self, addr: int, raws: list[int], what: str) -> None:
        """Holding registers addr.. in one request (FC 16): a block the controller takes
        only whole (the clock, the event-log index)."""
        raise NotImplementedError

    def read_plan(self, plan: Plan) -> dict[str, float]:
        """Values by label for a plan of rig.regs.table.plan() (made once, read often)."""
        out: dict[str, float] = {}
        for table_name, addr, qty, members in plan:
            words = self.read_words(table_name, addr, qty)
            for r in members:
                off = r.addr - addr
                out[r.label] = codec.decode(r, words[off:off + r.width])
        return out

    def read(self, regs: list[Reg]) -> dict[str, float]:
        """Values by label, in the order of regs."""
        out = self.read_plan(table.plan(regs))
        return {r.label: out[r.label] for r in regs}

    def write(self, r: Reg, raw: int, code: int = R.UNLOCK_CODE) -> None:
        """Write one register's raw value (codec.encode); the service unlock with code
        first where the register needs it (settings and commands)."""
        if r.needs_unlock:
            u = table.lookup("service_unlock")
            self.write_word(u.addr, code, f"opening the service unlock (holding {u.addr})")
        what = f"writing {r.name} ({r.table} {r.addr})"
        if r.table == "coil":
            self.write_bit(r.addr, bool(raw), what)
        else:
            self.write_word(r.addr, raw, what)

    def write_regs(self, regs: list[Reg], raws: list[int], code: int = R.UNLOCK_CODE) -> None:
        """Consecutive holding registers (a block: regs in address order, u16 each or a
        u32 as two words in raws) in one FC 16, the service unlock first if they need it."""
        if regs[0].needs_unlock:
            u = table.lookup("service_unlock")
            self.write_word(u.addr, code, f"opening the service unlock (holding {u.addr})")
        names = ", ".join(r.name for r in regs)
        self.write_block(regs[0].addr, raws, f"writing {names} (holding {regs[0].addr}..)")

    def lock(self) -> None:
        """Close the service unlock (it also closes by itself after unlock_timeout_s)."""
        u = table.lookup("service_unlock")
        self.write_word(u.addr, 0, "closing the service unlock")


class ModbusError(RuntimeError):
    """No reply, or an exception response, to a request."""


class PduMaster(Master):
    """A master over a raw PDU exchange: pdu(request) -> reply or None. Counts what it
    sent and the exception responses it got."""

    def __init__(self, pdu: Callable[[bytes], bytes | None]) -> None:
        self.pdu = pdu
        self.requests = 0
        self.exceptions = 0

    def _exchange(self, req: bytes, what: str) -> bytes:
        self.requests += 1
        resp = self.pdu(req)
        if not resp:
            raise ModbusError(f"{what}: no reply")
        if resp[0] & 0x80:
            self.exceptions += 1
            name = EXCEPTIONS.get(resp[1], ("unknown exception",))[0]
            raise ModbusError(f"{what}: exception {resp[1]} ({name})")
        return resp

    def read_words(self, table_name: str, addr: int, qty: int) -> list[int]:
        fc = FC_READ[table_name]
        resp = self._exchange(struct.pack(">BHH", fc, addr, qty),
                              f"reading {table_name} {addr}..{addr + qty - 1}")
        if fc in (3, 4):
            return list(struct.unpack(">%dH" % qty, resp[2:2 + 2 * qty]))
        return [(resp[2 + i // 8] >> (i % 8)) & 1 for i in range(qty)]

    def write_word(self, addr: int, raw: int, what: str) -> None:
        self._exchange(struct.pack(">BHH", FC_WRITE_REGISTER, addr, raw & 0xFFFF), what)

    def write_bit(self, addr: int, on: bool, what: str) -> None:
        self._exchange(struct.pack(">BHH", FC_WRITE_COIL, addr, COIL_ON if on else 0), what)

    def write_block(self, addr: int, raws: list[int], what: str) -> None:
        n = len(raws)
        self._exchange(struct.pack(">BHHB%dH" % n, FC_WRITE_REGISTERS, addr, n, 2 * n,
                                   *[r & 0xFFFF for r in raws]), what)
