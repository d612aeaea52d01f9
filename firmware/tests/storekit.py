# Test kit for the storage tests (CPython and MicroPython): boot a store on the fake
# flash (fakefs), build slot files (good or crafted, with a valid CRC), and check that
# a boot left a usable state: every setting a number of its kind inside its schema
# range, every counter an unsigned 32-bit int, the controller ticking.
import json

from fakefs import FakeFs

from co2hr.settings import ORDER, SCHEMA, Settings
from co2hr.storage import SLOTS, Store, encode_slot

U32 = 0xFFFFFFFF


class Counters:
    """Stands in for the Controller's counters interface (restore_counters)."""

    def __init__(self, n=3):
        self.counters = [0] * n

    def restore_counters(self, values):
        for i in range(min(len(values), len(self.counters))):
            self.counters[i] = values[i]


def boot(fs, t=0, control=None):
    """A store attached to fresh settings: (store, settings, control, clock list)."""
    clock = [t]
    s = Settings()
    c = control if control is not None else Counters()
    st = Store(fs, "flash")
    st.attach(s, c, lambda: clock[0])
    return st, s, c, clock


def is_int_setting(row):
    return row[5] == 1 and type(row[1]) is int


def numeric_setting():
    """Index of an int setting with room above its default, that changes nothing of
    the plant's state when it changes (a timeout, not the mode)."""
    for i in range(len(SCHEMA)):
        row = SCHEMA[i]
        if is_int_setting(row) and row[1] + 10 <= row[3] and row[0].endswith("_s"):
            return i
    raise AssertionError("no setting to change")


def good_payload(seq, settings=None, counters=None, boots=1, faults=0):
    s = settings if settings is not None else Settings()
    return {"v": 1, "seq": seq, "settings": s.to_dict(),
            "counters": list(counters) if counters is not None else [0, 0, 0],
            "boots": boots, "faults": faults}


def marked_payload(seq, marker, boots=3):
    """A good payload whose numeric setting holds default + marker (which copy loaded
    shows in the settings) and whose counters hold the marker too."""
    i = numeric_setting()
    s = Settings()
    s.values[i] = SCHEMA[i][1] + marker
    return good_payload(seq, s, [0, marker, marker], boots)


def marker_of(settings):
    i = numeric_setting()
    return settings.values[i] - SCHEMA[i][1]


def slot_file(seq, d):
    """A slot file with a valid header and CRC around the JSON of d (any content)."""
    return encode_slot(seq, json.dumps(d).encode())


def marked_file(seq, marker):
    return slot_file(seq, marked_payload(seq, marker))


def put(fs, k, data):
    fs.dirs.add("flash")
    fs.files["flash/" + SLOTS[k]] = bytearray(data)


def flash_with(a, b):
    """A fake flash holding slot files a and b (None: absent)."""
    fs = FakeFs()
    fs.dirs.add("flash")
    for k, data in ((0, a), (1, b)):
        if data is not None:
            put(fs, k, data)
    return fs


def assert_usable(st, settings, counters):
    for i in range(len(SCHEMA)):
        row = SCHEMA[i]
        v = settings.values[i]
        if is_int_setting(row):
            assert type(v) is int, (row[0], v)
        else:
            assert type(v) is int or type(v) is float, (row[0], v)
        assert row[2] <= v <= row[3], (row[0], v)
    for x in counters:
        assert type(x) is int and 0 <= x <= U32, x
    assert st.fault in (0, 1) and type(st.reason) is str
    assert (st.fault == 1) == (st.reason != ""), st.reason
    assert type(st.boot_count) is int and 1 <= st.boot_count <= U32
    assert type(st.fault_count) is int and 0 <= st.fault_count <= U32


def boot_controller(fs):
    """boot.build's order: a controller on fresh settings, then the store attached to
    both; the controller ticks and the first poll saves. Returns (store, rig)."""
    from ctlkit import Rig

    from co2hr.alarms import A_STORAGE

    r = Rig()
    clock = [0]
    st = Store(fs, "flash")
    st.attach(r.settings, r.c, lambda: clock[0])
    r.c.store = st
    out = r.step(2)
    assert_usable(st, r.settings, r.c.counters)
    for x in out:
        assert x == x and -1e9 < x < 1e9, out  # finite
    assert r.c.alarms.active[A_STORAGE] == st.fault
    clock[0] = 100
    st.poll()  # the boot count goes to flash
    assert st.saves >= 1 or st.save_errors, (st.saves, st.reason)
    return st, r


class Rng:
    """xorshift32: the same sequence under CPython and MicroPython."""

    def __init__(self, seed):
        self.x = seed or 1

    def below(self, n):
        x = self.x
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self.x = x
        return x % n

    def pick(self, seq):
        return seq[self.below(len(seq))]


# --- what a stored copy should count as: the rules of co2hr/storage.py, restated ---------
VALID = "valid"  # loaded as it is
REFUSED = "refused"  # loaded, a value of the right kind outside its range kept at default
CORRUPT = "corrupt"  # not loaded: the other copy, or the defaults
_TOP = ("v", "seq", "settings", "counters", "boots", "faults")


def _count(x):
    return type(x) is int and 0 <= x <= U32


def _finite(x):
    return type(x) is float and x == x and x not in (float("inf"), float("-inf"))


def expect_payload(text, seq):
    """VALID, REFUSED or CORRUPT for the JSON text of a payload stored under seq."""
    if text.count("[") + text.count("{") > 8:
        return CORRUPT
    try:
        d = json.loads(text)
    except ValueError:
        return CORRUPT
    if type(d) is not dict or [k for k in d if k not in _TOP]:
        return CORRUPT
    if type(d.get("v")) is not int or d["v"] != 1:
        return CORRUPT
    if "seq" in d and (type(d["seq"]) is not int or d["seq"] != seq):
        return CORRUPT
    for k in ("boots", "faults"):
        if k in d and not _count(d[k]):
            return CORRUPT
    c = d.get("counters")
    if type(c) is not list or len(c) > 192 or [x for x in c if not _count(x)]:
        return CORRUPT
    s = d.get("settings")
    if type(s) is not dict:
        return CORRUPT
    out = VALID
    v = [row[1] for row in SCHEMA]  # what loads: the defaults, each stored value in range
    for k in range(len(SCHEMA)):
        row = SCHEMA[k]
        if row[0] not in s:
            continue
        x = s[row[0]]
        if not (type(x) is int or (_finite(x) and not is_int_setting(row))):
            return CORRUPT
        if not (row[2] <= x <= row[3]):
            out = REFUSED
        else:
            v[k] = x
    for c in range(0, len(ORDER), 3):  # an order the loaded values break: refused too
        a, b, gap = ORDER[c], ORDER[c + 1], ORDER[c + 2]
        sc = SCHEMA[b][5]
        if round(v[b] * sc) - round(v[a] * sc) < gap:
            out = REFUSED
    return out
