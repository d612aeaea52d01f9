# Loading the store at boot: which of the two slot files holds the newest valid copy
# (co2hr.storage, whose header gives the file layout and the rules). Boot-only:
# Store.attach() imports it and drops it again once the copy is applied, so its code
# is not on the heap while the rig runs.
#
# Nothing read from flash may raise out of load(): a copy counts only if every field
# is what this firmware writes (the canonical header line, JSON with at most
# _MAX_BRACKETS brackets, the known top-level keys only, v == 1, settings of the
# schema's kinds, unsigned 32-bit counts); anything else makes it corrupt.
import errno
import json

from micropython import const

from co2hr.settings import SCHEMA
from co2hr.storage import (
    FORMAT,
    LOAD_DEFAULTS,
    LOAD_FALLBACK,
    LOAD_FIRST_BOOT,
    LOAD_NEWEST,
    MAGIC,
    MAX_FILE,
    SCHEMA_VERSION,
    SEQ_MOD,
    SLOTS,
    U32,
    crc32_of,
    header_line,
    newer,
)

_MAX_HEADER = const(80)
_MAX_BRACKETS = const(8)  # a valid payload has 3: {, settings {, counters [
_MAX_COUNTERS = const(192)  # the counters and their calendar (co2hr.energy)
_KEYS = ("v", "seq", "settings", "counters", "boots", "faults")


def _u32(x):
    return type(x) is int and 0 <= x <= U32  # type(): true/false are not counts


def _setting_kind_ok(i, x):
    """x is a number of the kind setting i holds (the range is checked later)."""
    if type(x) is int:
        return True
    if type(x) is not float or not (x - x == 0.0):  # NaN and inf fail x - x == 0
        return False
    return not SCHEMA.holds_int(i)


def _check_settings(d):
    if type(d) is not dict:
        return "settings"
    for i in range(len(SCHEMA)):
        name = SCHEMA.name(i)
        if name in d and not _setting_kind_ok(i, d[name]):
            return "setting " + name
    return ""


def check_payload(d, seq):
    """'' if the payload dict is one this firmware would write for seq, else why not."""
    if type(d) is not dict:
        return "payload"
    for k in d:
        if k not in _KEYS:
            return "key"
    v = d.get("v")
    if type(v) is not int or v != SCHEMA_VERSION:  # not 1.0, not true
        return "schema"
    s = d.get("seq", seq)  # files from before "seq" have none
    if type(s) is not int or s != seq:
        return "seq mismatch"
    why = _check_settings(d.get("settings"))
    if why:
        return why
    c = d.get("counters")
    if type(c) is not list or len(c) > _MAX_COUNTERS:
        return "counters"
    for x in c:
        if not _u32(x):
            return "counters"
    if not _u32(d.get("boots", 0)) or not _u32(d.get("faults", 0)):
        return "boots/faults"
    return ""


def _parse_header(data):
    """(seq, payload bytes) or (-1, reason)."""
    nl = data.find(b"\n", 0, _MAX_HEADER)
    if nl < 0:
        return -1, "no header"
    try:
        f = data[:nl].decode().split()
        if len(f) != 5 or f[0] != MAGIC:
            return -1, "bad header"
        fmt = int(f[1])
        seq = int(f[2])
        n = int(f[3])
        crc = int(f[4], 16)
    except (ValueError, UnicodeError):
        return -1, "bad header"
    if fmt != FORMAT:
        return -1, "format %d" % fmt
    if not (0 <= seq < SEQ_MOD) or not (0 <= crc <= U32) or n < 0:
        return -1, "bad header"
    if data[:nl + 1] != header_line(seq, n, crc):  # only what encode_slot writes: no "+5", "05"
        return -1, "bad header"
    payload = data[nl + 1:]
    if len(payload) != n:
        return -1, "length"
    if crc32_of(payload) != crc:
        return -1, "crc"
    return seq, payload


def _decode(data):
    if not data:
        return -1, "empty"
    if len(data) > MAX_FILE:
        return -1, "too large"
    seq, payload = _parse_header(data)
    if seq < 0:
        return seq, payload
    if payload.count(b"[") + payload.count(b"{") > _MAX_BRACKETS:
        return -1, "structure"
    try:
        d = json.loads(payload)
    except ValueError:
        return -1, "json"
    why = check_payload(d, seq)
    if why:
        return -1, why
    return seq, d


def decode_slot(data):
    """(seq, payload dict) of a slot file, or (-1, reason str) if it is not a valid copy."""
    try:
        return _decode(data)
    except Exception as e:  # noqa: BLE001  MemoryError, or a parser's own limit: still corrupt
        return -1, "unreadable (%s)" % type(e).__name__


def _read(fs, path):
    """(None, "missing") or (bytes, "") or (None, why unreadable)."""
    try:
        f = fs.open(path, "rb")
    except OSError as e:
        if e.args and e.args[0] == errno.ENOENT:  # (2 on the boards, 44 in WASI)
            return None, "missing"
        return None, "unreadable"
    try:
        return f.read(MAX_FILE + 1), ""
    except (OSError, MemoryError):
        return None, "unreadable"
    finally:
        f.close()


def load(store):
    """The newest valid payload dict, or None (defaults). Sets loaded, first_boot,
    fallback and, for a slot present but unusable, the fault."""
    best = None
    store.seq = 0
    store.slot = -1
    store.acknowledge()  # a new load: nothing found wrong yet
    store.rejected = []
    bad = []
    for k in range(2):
        data, why = _read(store.fs, store.paths[k])
        if data is not None:
            seq, d = decode_slot(data)
            if seq < 0:
                why = d
            else:
                store.slot_state[k] = "ok %d" % seq
                if best is None or newer(seq, store.seq):
                    best, store.seq, store.slot = d, seq, k
                continue
        if why == "missing":
            store.slot_state[k] = why
        else:
            store.slot_state[k] = "corrupt: " + why
            bad.append("%s %s" % (SLOTS[k], why))
    store.first_boot = best is None and not bad
    store.fallback = bool(bad)
    if store.first_boot:
        store.loaded = LOAD_FIRST_BOOT
    elif best is None:
        store.loaded = LOAD_DEFAULTS
        store.load_fault("stored settings unusable (%s): defaults loaded" % ", ".join(bad))
    elif bad:
        store.loaded = LOAD_FALLBACK
        store.load_fault("%s: %s (seq %d) loaded" % (", ".join(bad), SLOTS[store.slot],
                                                     store.seq))
    else:
        store.loaded = LOAD_NEWEST
    return best


def apply(store, d):
    """Put a validated payload into the settings and the controller's counters."""
    settings = store.settings
    if settings is not None:
        store.rejected = settings.load_dict(d["settings"])
        if store.rejected:
            store.load_fault("stored settings refused by the schema: " + ",".join(
                store.rejected))
    store.control.restore_counters(d["counters"])  # type: ignore[union-attr]
    store.boot_count = d.get("boots", 0)
    store.fault_count = d.get("faults", 0)
