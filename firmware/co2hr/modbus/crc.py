# CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF), table-driven. The table is
# computed by the build (bytes: in flash when the firmware runs from ROMFS), its low
# and high bytes apart; crc16() allocates nothing.


def _table(shift):  # build: host-only
    """Byte `shift` (0 low, 8 high) of the CRC table's 256 entries."""
    out = bytearray(256)
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0xA001 if c & 1 else c >> 1
        out[i] = (c >> shift) & 0xFF
    return bytes(out)


_LO = _table(0)  # build: constant
_HI = _table(8)  # build: constant


def crc16(buf, start, end):
    """CRC of buf[start:end] (bytearray, bytes or memoryview). On the wire the low
    byte goes first."""
    c = 0xFFFF
    lo = _LO
    hi = _HI
    for i in range(start, end):
        k = (c ^ buf[i]) & 0xFF
        c = (c >> 8) ^ (lo[k] | hi[k] << 8)
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
