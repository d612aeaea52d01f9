# The settings' rows, packed into one bytes object: co2hr.settings serves its SCHEMA
# as a SettingsTable over it. The source tables (co2hr.settings_control, _comm, _hp)
# are rows of tuples, (name, default, min, max, unit, scale); kept as tuples on a
# board they cost ~70 B of heap each (a tuple, a str object for the name, boxed
# floats). pack() turns them into bytes at build time (co2hr.settings: a `# build:
# constant`), which a board keeps in flash when the firmware runs from ROMFS:
#   header   n rows (u16), the names' offset (u16), the units' offset (u16)
#   a record per row (_REC bytes): name offset (u16), scale (u8), unit index (u8),
#            default, min, max as the integer the holding register carries,
#            round(v * scale) (i32 each)
#   names    NUL name NUL name ... NUL        units   unit NUL unit NUL ...
# A number reads back as an int when whole (the tables' own rule: whole numbers are
# written as ints), else as raw / scale: every row round-trips exactly
# (firmware/tests/test_settings_table.py). The accessors (name(), default(), scale()...)
# allocate only what they return; t[i] builds the row tuple (boot, a settings change,
# the host tools), never per tick.
import struct

from micropython import const

_HEAD = const(6)
_REC = const(16)
_F_SCALE = const(2)
_F_UNIT = const(3)
_F_NUM = const(4)  # default, then min, then max: 4 bytes each
_I32 = "<i"
_MAX_SCALE = const(255)
_SIGN_BYTE = const(0x80)  # the top byte of a negative i32


def pack(tables):  # build: host-only
    """The bytes of every row of tables (a sequence of row tuples), in order."""
    rows = [row for t in tables for row in t]
    units = []
    for row in rows:
        if row[4] not in units:
            units.append(row[4])
    names = b"\0" + b"".join(row[0].encode() + b"\0" for row in rows)
    recs = bytearray()
    off = 1
    for row in rows:
        sc = int(row[5])
        if not 0 < sc <= _MAX_SCALE:
            raise ValueError("%s: scale %d" % (row[0], sc))
        recs.extend(struct.pack("<HBB", off, sc, units.index(row[4])))
        for k in range(3):
            recs.extend(struct.pack(_I32, int(round(row[1 + k] * sc))))
        off += len(row[0]) + 1
    at_names = _HEAD + len(recs)
    head = struct.pack("<HHH", len(rows), at_names, at_names + len(names))
    return head + bytes(recs) + names + b"".join(u.encode() + b"\0" for u in units)


def _value(raw, scale):
    if scale == 1 or raw % scale == 0:
        return raw // scale
    return raw / scale


class SettingsTable:
    """The first n rows of packed (pack()), as a sequence: t[i] is row i again."""

    def __init__(self, packed, n=None):
        self._b = packed
        count, self._names, self._units = struct.unpack_from("<HHH", packed, 0)
        self._n = count if n is None else min(n, count)

    def _rec(self, i):
        return _HEAD + _REC * i

    def _num(self, i, k):
        return struct.unpack_from(_I32, self._b, self._rec(i) + _F_NUM + 4 * k)[0]

    def __len__(self):
        return self._n

    def __getitem__(self, i):
        if type(i) is slice:  # (the host tools: schema[:HP_FIRST])
            return tuple(self[k] for k in range(self._n)[i])
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(i)
        return (self.name(i), self.default(i), self.lo(i), self.hi(i), self.unit(i),
                self.scale(i))

    def __iter__(self):
        for i in range(self._n):
            yield self[i]

    def _name_at(self, i):
        r = self._rec(i)
        return self._names + (self._b[r] | self._b[r + 1] << 8)

    def name(self, i):
        o = self._name_at(i)
        return self._b[o:self._b.find(b"\0", o)].decode()

    def find(self, name):
        """The index of the setting called name, -1 if there is none."""
        p = self._b.find(b"\0" + name.encode() + b"\0", self._names, self._units)
        if p < 0:
            return -1
        lo, hi = 0, self._n  # the names follow the rows' order: a binary search
        while lo < hi:
            mid = (lo + hi) // 2
            if self._name_at(mid) < p + 1:
                lo = mid + 1
            else:
                hi = mid
        return lo if lo < self._n and self._name_at(lo) == p + 1 else -1

    def default(self, i):
        return _value(self._num(i, 0), self.scale(i))

    def lo(self, i):
        return _value(self._num(i, 1), self.scale(i))

    def hi(self, i):
        return _value(self._num(i, 2), self.scale(i))

    def unit(self, i):
        o = self._units
        for _ in range(self._b[self._rec(i) + _F_UNIT]):
            o = self._b.find(b"\0", o) + 1
        return self._b[o:self._b.find(b"\0", o)].decode()

    def scale(self, i):
        return self._b[self._rec(i) + _F_SCALE]

    def signed(self, i):
        """The setting can be negative (its min is): its register is an int16."""
        return self._b[self._rec(i) + _F_NUM + 7] >= _SIGN_BYTE  # min's top byte

    def holds_int(self, i):
        """The setting holds ints (scale 1: every number of its row is whole)."""
        return self.scale(i) == 1
