# The one Modbus PDU core, shared by RTU, TCP and the HIL link. It decodes a request
# PDU in place (buffer + offset + length, no slicing) and writes the response PDU into
# a caller's preallocated buffer, so the byte path allocates nothing.
#
# Checks follow the order of the flow charts in Modbus Application Protocol v1.1b3 §6:
#   1 ILLEGAL FUNCTION      function code (or MEI type) not supported; also a write the
#                           asking master may not make: not unlocked, a TCP read-only
#                           mode, a broadcast, a refused unlock code (the spec's "server
#                           in the wrong state to process a request of this type")
#   3 ILLEGAL DATA VALUE    quantity out of limits, byte count wrong, PDU length wrong,
#                           FC5 value not 0x0000/0xFF00, read-device-id code
#   2 ILLEGAL DATA ADDRESS  any address in [start, start+qty) unmapped, or not writable
#   3 ILLEGAL DATA VALUE    a written value outside its range, or values that together
#                           break an order between settings (after the address check:
#                           it is a property of the register; nothing is written)
#   4 SERVER DEVICE FAILURE the application raised while reading or writing
#
# The register model (registers.RegisterMap or a test's) offers:
#   readable(table, addr, qty) -> bool     read(table, addr) -> int (bit or u16)
#   writable(table, addr, qty) -> 0 | exception code (2 not writable, 1 locked)
#   value_ok(table, addr, raw) -> bool
#   block_ok(addr, qty, req, d) -> bool: the holding registers [addr, addr+qty), their
#       values at req[d:] (2 bytes each), taken together (an order between settings
#       that a block may move as a whole); after every value_ok, before any write
#   write(table, addr, raw) -> 0 | exception code (may raise): a register that decides
#       only when written (the unlock code), which the model keeps apart from any
#       other writable register, so a refusal there never leaves a block half written
# Multi-register writes check every value before writing any.
from micropython import const

COILS = const(0)
DISCRETE = const(1)
HOLDING = const(2)
INPUT = const(3)

ILLEGAL_FUNCTION = const(1)
ILLEGAL_ADDRESS = const(2)
_ILLEGAL_VALUE = const(3)
_DEVICE_FAILURE = const(4)

_MAX_PDU = const(253)
_MAX_READ_BITS = const(2000)
_MAX_READ_REGS = const(125)
_MAX_WRITE_REGS = const(123)
_MAX_WRITE_COILS = const(1968)
_MAX_RW_WRITE = const(121)
_CONFORMITY = const(0x82)  # regular identification, stream and individual access


class PduCore:
    def __init__(self, model, ident_objects):
        """ident_objects: ((object_id, bytes), ...) ascending, for FC 43/14."""
        self.model = model
        self.ident = ident_objects
        self.exc = 0  # exception code of the last response (0 = normal response)

    def handle(self, req, ro, n, resp, wo):
        """Request PDU at req[ro:ro+n]; response PDU written at resp[wo:]. Returns the
        response length (0: no function code, nothing to answer)."""
        self.exc = 0
        if n < 1:
            return 0
        fc = req[ro]
        try:
            if fc == 3 or fc == 4:
                e = self._read_regs(HOLDING if fc == 3 else INPUT, req, ro, n, resp, wo)
            elif fc == 1 or fc == 2:
                e = self._read_bits(COILS if fc == 1 else DISCRETE, req, ro, n, resp, wo)
            elif fc == 6:
                e = self._write_reg(req, ro, n, resp, wo)
            elif fc == 16:
                e = self._write_regs(req, ro, n, resp, wo)
            elif fc == 5:
                e = self._write_coil(req, ro, n, resp, wo)
            elif fc == 15:
                e = self._write_coils(req, ro, n, resp, wo)
            elif fc == 23:
                e = self._read_write(req, ro, n, resp, wo)
            elif fc == 43:
                e = self._device_id(req, ro, n, resp, wo)
            else:
                e = -ILLEGAL_FUNCTION
        except ValueError:
            e = -_ILLEGAL_VALUE
        except Exception:
            e = -_DEVICE_FAILURE
        if e < 0:
            self.exc = -e
            resp[wo] = (fc | 0x80) & 0xFF
            resp[wo + 1] = -e
            return 2
        return e

    # Each handler returns the response length, or -exception code.

    def _read_bits(self, table, req, ro, n, resp, wo):
        if n != 5:
            return -_ILLEGAL_VALUE
        addr = (req[ro + 1] << 8) | req[ro + 2]
        qty = (req[ro + 3] << 8) | req[ro + 4]
        if qty < 1 or qty > _MAX_READ_BITS:
            return -_ILLEGAL_VALUE
        m = self.model
        if addr + qty > 0x10000 or not m.readable(table, addr, qty):
            return -ILLEGAL_ADDRESS
        nb = (qty + 7) >> 3
        resp[wo] = req[ro]
        resp[wo + 1] = nb
        for k in range(nb):
            resp[wo + 2 + k] = 0
        for i in range(qty):
            if m.read(table, addr + i):
                resp[wo + 2 + (i >> 3)] |= 1 << (i & 7)
        return 2 + nb

    def _read_regs(self, table, req, ro, n, resp, wo):
        if n != 5:
            return -_ILLEGAL_VALUE
        addr = (req[ro + 1] << 8) | req[ro + 2]
        qty = (req[ro + 3] << 8) | req[ro + 4]
        if qty < 1 or qty > _MAX_READ_REGS:
            return -_ILLEGAL_VALUE
        if addr + qty > 0x10000 or not self.model.readable(table, addr, qty):
            return -ILLEGAL_ADDRESS
        resp[wo] = req[ro]
        resp[wo + 1] = qty * 2
        self._fill(table, addr, qty, resp, wo + 2)
        return 2 + qty * 2

    def _fill(self, table, addr, qty, resp, p):
        m = self.model
        for i in range(qty):
            v = m.read(table, addr + i)
            resp[p] = (v >> 8) & 0xFF
            resp[p + 1] = v & 0xFF
            p += 2

    def _write_coil(self, req, ro, n, resp, wo):
        if n != 5:
            return -_ILLEGAL_VALUE
        v = (req[ro + 3] << 8) | req[ro + 4]
        if v != 0 and v != 0xFF00:
            return -_ILLEGAL_VALUE
        addr = (req[ro + 1] << 8) | req[ro + 2]
        m = self.model
        e = m.writable(COILS, addr, 1)
        if e:
            return -e
        bit = 1 if v else 0
        if not m.value_ok(COILS, addr, bit):
            return -_ILLEGAL_VALUE
        e = m.write(COILS, addr, bit)
        return -e if e else _echo5(req, ro, resp, wo)

    def _write_reg(self, req, ro, n, resp, wo):
        if n != 5:
            return -_ILLEGAL_VALUE
        addr = (req[ro + 1] << 8) | req[ro + 2]
        e = self._check_regs(addr, 1, req, ro + 3)  # one register: FC 16's checks
        if not e:
            e = self._put_regs(addr, 1, req, ro + 3)
        return -e if e else _echo5(req, ro, resp, wo)

    def _write_coils(self, req, ro, n, resp, wo):
        if n < 6:
            return -_ILLEGAL_VALUE
        addr = (req[ro + 1] << 8) | req[ro + 2]
        qty = (req[ro + 3] << 8) | req[ro + 4]
        nb = req[ro + 5]
        if qty < 1 or qty > _MAX_WRITE_COILS or nb != (qty + 7) >> 3 or n != 6 + nb:
            return -_ILLEGAL_VALUE
        m = self.model
        if addr + qty > 0x10000:
            return -ILLEGAL_ADDRESS
        e = m.writable(COILS, addr, qty)
        if e:
            return -e
        d = ro + 6
        for i in range(qty):
            if not m.value_ok(COILS, addr + i, (req[d + (i >> 3)] >> (i & 7)) & 1):
                return -_ILLEGAL_VALUE
        for i in range(qty):
            e = m.write(COILS, addr + i, (req[d + (i >> 3)] >> (i & 7)) & 1)
            if e:
                return -e
        return _echo5(req, ro, resp, wo)

    def _check_regs(self, addr, qty, req, d):
        m = self.model
        if addr + qty > 0x10000:
            return ILLEGAL_ADDRESS
        e = m.writable(HOLDING, addr, qty)
        if e:
            return e
        for i in range(qty):
            if not m.value_ok(HOLDING, addr + i, (req[d + 2 * i] << 8) | req[d + 2 * i + 1]):
                return _ILLEGAL_VALUE
        return 0 if m.block_ok(addr, qty, req, d) else _ILLEGAL_VALUE

    def _put_regs(self, addr, qty, req, d):
        m = self.model
        for i in range(qty):
            e = m.write(HOLDING, addr + i, (req[d + 2 * i] << 8) | req[d + 2 * i + 1])
            if e:
                return e
        return 0

    def _write_regs(self, req, ro, n, resp, wo):
        if n < 6:
            return -_ILLEGAL_VALUE
        addr = (req[ro + 1] << 8) | req[ro + 2]
        qty = (req[ro + 3] << 8) | req[ro + 4]
        nb = req[ro + 5]
        if qty < 1 or qty > _MAX_WRITE_REGS or nb != 2 * qty or n != 6 + nb:
            return -_ILLEGAL_VALUE
        e = self._check_regs(addr, qty, req, ro + 6)
        if not e:
            e = self._put_regs(addr, qty, req, ro + 6)
        return -e if e else _echo5(req, ro, resp, wo)

    def _read_write(self, req, ro, n, resp, wo):
        if n < 10:
            return -_ILLEGAL_VALUE
        raddr = (req[ro + 1] << 8) | req[ro + 2]
        rqty = (req[ro + 3] << 8) | req[ro + 4]
        waddr = (req[ro + 5] << 8) | req[ro + 6]
        wqty = (req[ro + 7] << 8) | req[ro + 8]
        nb = req[ro + 9]
        if (rqty < 1 or rqty > _MAX_READ_REGS or wqty < 1 or wqty > _MAX_RW_WRITE
                or nb != 2 * wqty or n != 10 + nb):
            return -_ILLEGAL_VALUE
        if raddr + rqty > 0x10000 or not self.model.readable(HOLDING, raddr, rqty):
            return -ILLEGAL_ADDRESS
        e = self._check_regs(waddr, wqty, req, ro + 10)
        if not e:
            e = self._put_regs(waddr, wqty, req, ro + 10)  # the write comes before the read
        if e:
            return -e
        resp[wo] = 23
        resp[wo + 1] = rqty * 2
        self._fill(HOLDING, raddr, rqty, resp, wo + 2)
        return 2 + rqty * 2

    def _device_id(self, req, ro, n, resp, wo):
        if n < 2 or req[ro + 1] != 0x0E:
            return -ILLEGAL_FUNCTION  # MEI type not supported
        if n != 4:
            return -_ILLEGAL_VALUE
        code = req[ro + 2]
        oid = req[ro + 3]
        if code < 1 or code > 4:
            return -_ILLEGAL_VALUE
        objs = self.ident
        resp[wo] = 43
        resp[wo + 1] = 0x0E
        resp[wo + 2] = code
        resp[wo + 3] = _CONFORMITY
        resp[wo + 4] = 0  # more follows
        resp[wo + 5] = 0  # next object id
        p = wo + 7
        if code == 4:
            for k in range(len(objs)):
                if objs[k][0] == oid:
                    resp[wo + 6] = 1
                    return self._put_obj(objs[k], resp, p) - wo
            return -ILLEGAL_ADDRESS
        last = 0x02 if code == 1 else 0x7F if code == 2 else 0xFF
        known = False
        for k in range(len(objs)):
            if objs[k][0] == oid and oid <= last:
                known = True
        if not known:
            oid = 0  # stream access restarts at object 0 for an unknown id
        cnt = 0
        for k in range(len(objs)):
            o = objs[k]
            if o[0] < oid or o[0] > last:
                continue
            if p + 2 + len(o[1]) > wo + _MAX_PDU:
                resp[wo + 4] = 0xFF
                resp[wo + 5] = o[0]
                break
            p = self._put_obj(o, resp, p)
            cnt += 1
        resp[wo + 6] = cnt
        return p - wo

    def _put_obj(self, o, resp, p):
        v = o[1]
        resp[p] = o[0]
        resp[p + 1] = len(v)
        for i in range(len(v)):
            resp[p + 2 + i] = v[i]
        return p + 2 + len(v)


def _echo5(req, ro, resp, wo):
    """The reply of FC 5, 6, 15 and 16: function code, address and value/quantity as
    received (5 bytes)."""
    for k in range(5):
        resp[wo + k] = req[ro + k]
    return 5
