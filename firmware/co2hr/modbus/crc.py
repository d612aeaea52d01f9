# CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF), table-driven. The table is
# built once at import into a preallocated array; crc16() allocates nothing.
from array import array

_TABLE = array("H", [0] * 256)
for _i in range(256):
    _c = _i
    for _k in range(8):
        _c = (_c >> 1) ^ 0xA001 if _c & 1 else _c >> 1
    _TABLE[_i] = _c


def crc16(buf, start, end):
    """CRC of buf[start:end] (bytearray, bytes or memoryview). On the wire the low
    byte goes first."""
    c = 0xFFFF
    t = _TABLE
    for i in range(start, end):
        c = (c >> 8) ^ t[(c ^ buf[i]) & 0xFF]
    return c


def check(buf, n):
    """True when the last two of the n bytes are the CRC of the ones before."""
    if n < 3:
        return False
    c = crc16(buf, 0, n - 2)
    return buf[n - 2] == (c & 0xFF) and buf[n - 1] == (c >> 8)


def append(buf, n):
    """Write the CRC of buf[0:n] at buf[n], buf[n+1]; return n + 2."""
    c = crc16(buf, 0, n)
    buf[n] = c & 0xFF
    buf[n + 1] = c >> 8
    return n + 2
