# Settings: one schema for every setpoint and limit. Modbus writes, persistence
# and the generated documentation all read it; a value outside [min, max] is
# refused (ValueError) and never stored. Every accepted change goes through
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
from co2hr.settings_comm import COMM_SCHEMA
from co2hr.settings_control import CONTROL_SCHEMA

SCHEMA = CONTROL_SCHEMA + COMM_SCHEMA
N_SETTINGS = len(SCHEMA)
NAME = 0
DEFAULT = 1
MIN = 2
MAX = 3
UNIT = 4
SCALE = 5


def index(name):
    """Schema index of a setting (KeyError if unknown). A linear search, not a dict:
    names are looked up at import and on a settings change only, never per tick, and
    a dict of every name would hold ~0.7 KB of the board's heap."""
    i = _find(name)
    if i < 0:
        raise KeyError(name)
    return i


def _find(name):
    for i in range(N_SETTINGS):
        if SCHEMA[i][0] == name:
            return i
    return -1


class Settings:
    """Live setting values, by schema index. on_change(i) is called after an
    accepted change (the storage layer debounces and persists)."""

    def __init__(self):
        self.values = [row[DEFAULT] for row in SCHEMA]
        self.on_change = None
        self.on_set = None  # f(i, old, new) after an accepted change: the event log
        self.version = 0  # bumped on every accepted change

    def get(self, name):
        return self.values[index(name)]

    def check(self, i, value):
        row = SCHEMA[i]
        if not (value == value) or value < row[MIN] or value > row[MAX]:  # NaN fails too
            raise ValueError("%s=%s outside %s..%s %s" % (row[NAME], value, row[MIN], row[MAX],
                                                          row[UNIT]))

    def set_index(self, i, value):
        self.check(i, value)
        old = self.values[i]
        if old != value:
            self.values[i] = value
            self.version += 1
            if self.on_change:
                self.on_change(i)
            if self.on_set:
                self.on_set(i, old, value)

    def set(self, name, value):
        self.set_index(index(name), value)

    def to_dict(self):
        d = {}
        for i in range(N_SETTINGS):
            d[SCHEMA[i][NAME]] = self.values[i]
        return d

    def load_dict(self, d):
        """Take stored values by name; unknown names are ignored and values out of
        range are left at their defaults. Returns the names rejected."""
        rejected = []
        for name in d:
            i = _find(name)
            if i < 0:
                continue
            try:
                self.check(i, d[name])
                self.values[i] = d[name]
            except (ValueError, TypeError):
                rejected.append(name)
        return rejected
