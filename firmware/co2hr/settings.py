# Settings: one schema for every setpoint and limit. Modbus writes, persistence
# and the generated documentation all read it; a value outside [min, max] is
# refused (ValueError) and never stored, and so is a value that would break the order
# between settings (ORDER, co2hr.settings_control: p_gc_max < alarm < override < stop,
# receiver lo < sp < hi, each min below its max). Every accepted change goes through
# set_index(), which tells the store (on_change) and the event log (on_set).
#
# A schema row: (name, default, min, max, unit, scale), its description the `#:`
# comment above it (documentation only, read by the host tools: rig.regs.fwdoc).
#   scale: the Modbus holding register carries round(value * scale) as int16.
#   default/min/max: whole numbers are written as ints (105, not 105.0): a float
#   constant is a 16-byte object on the board's heap, a small int costs nothing.
#   A setting with scale 1 and an int default holds ints (Modbus writes stay ints).
# Rows are append-only within each table: a setting's index (and so its register
# address) never moves between firmware versions.
# Order: a single write is checked with the others as they are; several settings
# written at once (a Modbus FC 16 block, set_many) are checked as a whole, so a ladder
# moves in one write whatever the order of its members; a stored copy that breaks an
# order loads that group's defaults (load_dict names them, the store raises its fault).
from micropython import const

import co2hr
from co2hr.settings_table import SettingsTable


def _rows():  # build: host-only
    """Every application's rows; the heat pump's last, so the supermarket's indexes
    (and registers) stay put."""
    from co2hr.settings_comm import COMM_SCHEMA
    from co2hr.settings_control import CONTROL_SCHEMA
    from co2hr.settings_hp import HP_SCHEMA

    return CONTROL_SCHEMA, COMM_SCHEMA, HP_SCHEMA


def _order(first):  # build: host-only
    """(ORDER of every application: the supermarket's, then the heat pump's with its
    indexes moved to first.., the gaps as they are; the supermarket's length)."""
    from co2hr.settings_control import ORDER
    from co2hr.settings_hp import HP_ORDER as hp

    own = tuple(hp[c] + (first if c % 3 < 2 else 0) for c in range(len(hp)))
    return bytes(ORDER + own), len(ORDER)


def _packed():  # build: host-only
    from co2hr.settings_table import pack

    return pack(_rows())


# The rows and the order as bytes, computed by the build (so a board never imports the
# row tables, and keeps these in flash when it runs from ROMFS: co2hr.settings_table).
_PACKED = _packed()  # build: constant
N_CONTROL = len(_rows()[0])  # build: constant
N_COMM = len(_rows()[1])  # build: constant
HP_FIRST = N_CONTROL + N_COMM  # build: constant
_ORDER_ALL = _order(HP_FIRST)[0]  # build: constant
_N_ORDER_SUPERMARKET = _order(HP_FIRST)[1]  # build: constant

# A supermarket board leaves the heat pump's rows and order out (co2hr.APP).
if co2hr.APP == "supermarket":
    SCHEMA = SettingsTable(_PACKED, HP_FIRST)
    ORDER = _ORDER_ALL[:_N_ORDER_SUPERMARKET]
else:
    SCHEMA = SettingsTable(_PACKED)
    ORDER = _ORDER_ALL
N_HP = len(SCHEMA) - HP_FIRST  # the heat pump's settings: 0 on a supermarket board
# A row's fields: consts, so the build folds them into the code that reads a row
# (rig.deploy.consts) and no name of them stays on the board's heap.
NAME = const(0)
DEFAULT = const(1)
MIN = const(2)
MAX = const(3)
UNIT = const(4)
SCALE = const(5)


def index(name):
    """Schema index of a setting (KeyError if unknown). A search of the packed names,
    not a dict: names are looked up at import and on a settings change only, never per
    tick, and a dict of every name would hold ~0.7 KB of the board's heap."""
    i = SCHEMA.find(name)
    if i < 0:
        raise KeyError(name)
    return i


def order_text(c):
    """Constraint c (its offset in ORDER) in words, e.g. "p_hp_ovr_bar >= p_gc_max_bar +
    1 bar": the refusal's text and the register map's."""
    lo = SCHEMA[ORDER[c]]
    hi = SCHEMA[ORDER[c + 1]]
    gap = ORDER[c + 2]
    if gap == 0:
        return "%s <= %s" % (lo[NAME], hi[NAME])
    if gap == 1:
        return "%s < %s" % (lo[NAME], hi[NAME])
    return "%s >= %s + %g %s" % (hi[NAME], lo[NAME], gap / hi[SCALE], hi[UNIT])


class Settings:
    """Live setting values, by schema index. on_change(i) is called after an
    accepted change (the storage layer debounces and persists)."""

    def __init__(self):
        self.values = [SCHEMA.default(i) for i in range(len(SCHEMA))]
        # Settings the store keeps: the heat pump's rows only on a heat pump (co2hr.boot
        # sets it), so a supermarket board's copy holds what it uses.
        self.n_kept = HP_FIRST
        self.on_change = None
        self.on_set = None  # f(i, old, new) after an accepted change: the event log
        self.version = 0  # bumped on every accepted change

    def get(self, name):
        return self.values[index(name)]

    def check(self, i, value):
        if not (value == value) or value < SCHEMA.lo(i) or value > SCHEMA.hi(i):  # NaN too
            row = SCHEMA[i]
            raise ValueError("%s=%s outside %s..%s %s" % (row[NAME], value, row[MIN], row[MAX],
                                                          row[UNIT]))

    def broken(self, lo=0, hi=None):
        """The first constraint of ORDER (its offset) that the values break among those
        touching a setting in [lo, hi) (hi None: every setting); -1: none."""
        if hi is None:
            hi = len(SCHEMA)
        v = self.values
        for c in range(0, len(ORDER), 3):
            a = ORDER[c]
            b = ORDER[c + 1]
            if lo <= a < hi or lo <= b < hi:
                sc = SCHEMA.scale(b)
                if round(float(v[b]) * sc) - round(float(v[a]) * sc) < ORDER[c + 2]:
                    return c
        return -1

    def fits(self, ks, vs):
        """-1 when settings ks (indices, ascending) set to vs together keep every order,
        else the constraint they break (broken()). Nothing changes."""
        v = self.values
        old = [v[k] for k in ks]
        for j in range(len(ks)):
            v[ks[j]] = vs[j]
        c = self.broken(ks[0], ks[-1] + 1)
        for j in range(len(ks)):
            v[ks[j]] = old[j]
        return c

    def set_index(self, i, value, alone=True):
        """alone: checked against the order with the other settings as they are; False:
        the caller checked the block it belongs to as a whole (fits())."""
        self.check(i, value)
        old = self.values[i]
        if old != value:
            self.values[i] = value
            if alone:
                c = self.broken(i, i + 1)
                if c >= 0:
                    self.values[i] = old
                    raise ValueError("%s=%s refused: %s" % (SCHEMA.name(i), value,
                                                            order_text(c)))
            self.version += 1
            if self.on_change:
                self.on_change(i)
            if self.on_set:
                self.on_set(i, old, value)

    def set_many(self, pairs):
        """Several settings at once, ((name, value), ...): checked as a whole (ranges,
        then the order), all written or none (ValueError)."""
        items = sorted((index(name), value) for name, value in pairs)
        for k, value in items:
            self.check(k, value)
        ks = [kv[0] for kv in items]
        vs = [kv[1] for kv in items]
        c = self.fits(ks, vs) if ks else -1
        if c >= 0:
            raise ValueError("refused: " + order_text(c))
        for j in range(len(ks)):
            self.set_index(ks[j], vs[j], False)

    def set(self, name, value):
        self.set_index(index(name), value)

    def to_dict(self):
        """The kept settings by name (what the store writes)."""
        d = {}
        for i in range(self.n_kept):
            d[SCHEMA.name(i)] = self.values[i]
        return d

    def load_dict(self, d):
        """Take stored values by name; unknown names are ignored and values out of
        range are left at their defaults; an ordered group the stored values break
        takes its defaults whole. Returns the names rejected."""
        rejected = []
        for name in d:
            i = SCHEMA.find(name)
            if i < 0:
                continue
            try:
                self.check(i, d[name])
                self.values[i] = d[name]
            except (ValueError, TypeError):
                rejected.append(name)
        for _ in range(len(ORDER) // 3):  # (each pass restores one group: bounded)
            c = self.broken()
            if c < 0:
                break
            for k in self._group(ORDER[c]):
                if self.values[k] != SCHEMA.default(k):
                    self.values[k] = SCHEMA.default(k)
                    if SCHEMA.name(k) not in rejected:
                        rejected.append(SCHEMA.name(k))
        self.version += 1  # what was made from the defaults is made again from these
        return rejected

    def _group(self, k):
        """Every setting linked to setting k through ORDER (k too)."""
        g = [k]
        grew = True
        while grew:
            grew = False
            for c in range(0, len(ORDER), 3):
                a = ORDER[c]
                b = ORDER[c + 1]
                if (a in g) != (b in g):
                    g.append(b if a in g else a)
                    grew = True
        return g
