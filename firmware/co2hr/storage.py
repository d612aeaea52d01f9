# Settings and counters on the board's flash, safe across a power cut at any byte.
#
# Two slot files, store_a.dat and store_b.dat, each a complete copy:
#   co2hr-store <format> <seq> <length> <crc32 hex>\n<payload: length bytes of JSON>
# A save writes the *other* slot (the one not holding the newest good copy) with
# seq + 1; the good copy is never touched, so a cut mid-write leaves it intact
# and the half-written slot fails its length or CRC check. Load takes the valid
# slot with the highest seq. No valid slot (first boot, both corrupt, a format
# from newer firmware) -> defaults, and Store.fault / Store.reason say why, for
# the controller's storage alarm. A slot that fails its check while the other is
# good (the trace of a cut save) is reported in slot_state but is not a fault.
#
# Payload: {"v": _SCHEMA_VERSION, "settings": {name: value}, "counters": [...]}.
# Settings are stored by name (co2hr.settings.Settings.to_dict/load_dict), so a
# firmware with more settings loads an older file: unknown names are ignored,
# missing ones keep their defaults, out-of-range ones are refused and reported.
#
# Flash wear. Saves are debounced: a setting change is written SETTINGS_DELAY_MS
# after the last change (a burst of Modbus writes costs one save) and never
# sooner than MIN_INTERVAL_MS after the previous save; counters are written every
# COUNTERS_PERIOD_MS (10 min: a power cut loses at most 10 min of hours and energy).
# Expected: 144 counter saves + a few setting saves = ~150 saves/day, each ~2 KB
# (one 4 KB flash block plus littlefs metadata: ~3 block erases). Worst case (a
# master rewriting a setting all day): one save per MIN_INTERVAL_MS = 1440 saves/day
# (counter saves then ride along). MicroPython's littlefs (ESP32, RP2040)
# spreads erases over the free blocks (~250 on a 1 MB filesystem); NOR flash is
# rated 100 000 erase cycles per block:
#   normal   150 x 3 / 250  = 1.8 erases/block/day -> ~150 years
#   worst   1440 x 3 / 250  = 17.3 erases/block/day -> ~15 years
#   (without wear levelling, the worst case would wear one block in ~23 days,
#    which is why the interval floor exists.)  See boards/README.md.
#
# File access goes through a small fs object (open/rename/remove/mkdir) so a test
# can cut the power after any byte; OsFs is the real one.
import json

from micropython import const

from co2hr.ticks import ticks_add, ticks_diff

_FORMAT = const(1)  # slot file layout
_SCHEMA_VERSION = const(1)  # payload layout
MAGIC = "co2hr-store"
SLOTS = ("store_a.dat", "store_b.dat")
SETTINGS_DELAY_MS = const(5000)
MIN_INTERVAL_MS = const(60000)
COUNTERS_PERIOD_MS = const(600000)
_RETRY_MS = const(60000)  # after a failed write
_MAX_FILE = const(16384)

try:
    from binascii import crc32
except ImportError:  # a port built without it
    crc32 = None  # type: ignore[assignment]


def _crc32_sw(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xEDB88320 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def crc32_of(data):
    if crc32 is not None:
        return crc32(data) & 0xFFFFFFFF
    return _crc32_sw(data)


class OsFs:
    """The board's filesystem (littlefs on ESP32 and RP2040)."""

    def open(self, path, mode):
        return open(path, mode)

    def rename(self, a, b):
        import os

        os.rename(a, b)

    def remove(self, path):
        import os

        os.remove(path)

    def mkdir(self, path):
        import os

        os.mkdir(path)


def encode_slot(seq, payload):
    """One slot file's bytes: header line + payload."""
    head = "%s %d %d %d %08x\n" % (MAGIC, _FORMAT, seq, len(payload), crc32_of(payload))
    return head.encode() + payload


def decode_slot(data):
    """(seq, payload dict) of a slot file, or (-1, reason) if it is not a valid copy."""
    if not data:
        return -1, "empty"
    nl = data.find(b"\n")
    if nl < 0 or nl > 80:
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
    if fmt != _FORMAT:
        return -1, "format %d" % fmt
    payload = data[nl + 1:]
    if len(payload) != n:
        return -1, "length"
    if crc32_of(payload) != crc:
        return -1, "crc"
    try:
        d = json.loads(payload)
    except ValueError:
        return -1, "json"
    if not isinstance(d, dict) or d.get("v") != _SCHEMA_VERSION:
        return -1, "schema %s" % (d.get("v") if isinstance(d, dict) else "?")
    return seq, d


class Store:
    def __init__(self, fs=None, dirpath="flash", clock=None):
        """fs: OsFs() or a test fake; dirpath: folder for the two slots;
        clock() -> ms (hw.ticks_ms), needed by poll()."""
        self.fs = fs if fs is not None else OsFs()
        self.dir = dirpath
        self.clock = clock
        self.paths = (dirpath + "/" + SLOTS[0], dirpath + "/" + SLOTS[1])
        self.seq = 0  # of the newest good copy (0: none)
        self.slot = -1  # where it is
        self.slot_state = ["?", "?"]
        self.fault = 0  # 1: defaults in use or a save failed (raise the storage alarm)
        self.reason = ""
        self.rejected = []  # stored settings the schema refused
        self.saves = 0
        self.save_errors = 0
        self.settings = None
        self.control = None
        self._dirty_settings = False
        self._changed_ms = 0
        self._last_save_ms = None
        self._counters_ms = None
        self._retry_ms = None

    # --- load ----------------------------------------------------------------------
    def _read(self, path):
        try:
            f = self.fs.open(path, "rb")
        except OSError:
            return None
        try:
            return f.read(_MAX_FILE)
        except OSError:
            return b""
        finally:
            f.close()

    def load(self):
        """The newest valid payload dict, or None (fault and reason set)."""
        best = None
        self.seq = 0
        self.slot = -1
        for k in range(2):
            data = self._read(self.paths[k])
            if data is None:
                self.slot_state[k] = "missing"
                continue
            seq, d = decode_slot(data)
            if seq < 0:
                self.slot_state[k] = "corrupt: " + d
                continue
            self.slot_state[k] = "ok %d" % seq
            if best is None or seq > self.seq:
                best = d
                self.seq = seq
                self.slot = k
        if best is None:
            self.fault = 1
            if self.slot_state[0] == "missing" and self.slot_state[1] == "missing":
                self.reason = "no stored settings: defaults loaded"
            else:
                self.reason = "stored settings corrupt (%s / %s): defaults loaded" % (
                    self.slot_state[0], self.slot_state[1])
        return best

    # --- save ----------------------------------------------------------------------
    def payload(self):
        d = {"v": _SCHEMA_VERSION}  # type: dict
        if self.settings is not None:
            d["settings"] = self.settings.to_dict()
        counters = getattr(self.control, "counters", None)
        if counters is not None:
            d["counters"] = list(counters)
        return json.dumps(d).encode()

    def save(self):
        """Write a new copy into the slot not holding the newest one. True on success;
        an OSError is counted, sets fault and is retried later."""
        k = 1 - self.slot if self.slot >= 0 else 0
        data = encode_slot(self.seq + 1, self.payload())
        try:
            try:
                f = self.fs.open(self.paths[k], "wb")
            except OSError:
                self._mkdir()
                f = self.fs.open(self.paths[k], "wb")
            try:
                f.write(data)
            finally:
                f.close()
        except OSError as e:
            self.save_errors += 1
            self.fault = 1
            self.reason = "cannot write settings to flash: OSError %s" % (e.args[0] if e.args
                                                                            else "")
            return False
        self.seq += 1
        self.slot = k
        self.slot_state[k] = "ok %d" % self.seq
        self.saves += 1
        if self.reason.startswith("cannot write"):
            self.fault = 0
            self.reason = ""
        return True

    def _mkdir(self):
        mk = getattr(self.fs, "mkdir", None)
        if mk is not None:
            try:
                mk(self.dir)
            except OSError:
                pass

    # --- wiring into the application -------------------------------------------------------
    def attach(self, settings, control, clock):
        """Load, apply to settings and the controller's counters, then follow changes.
        Returns the payload found (None if defaults are in use)."""
        self.settings = settings
        self.control = control
        self.clock = clock
        d = self.load()
        if d is not None:
            stored = d.get("settings")
            if isinstance(stored, dict) and settings is not None:
                self.rejected = settings.load_dict(stored)
                if self.rejected:
                    self.fault = 1
                    self.reason = "stored settings refused by the schema: " + ",".join(
                        self.rejected)
            restore = getattr(control, "restore_counters", None)
            counters = d.get("counters")
            if restore is not None and isinstance(counters, list):
                restore(counters)
        if settings is not None:
            settings.on_change = self.on_change
        now = clock()
        self._counters_ms = now
        if d is None:
            self._dirty_settings = True  # write the defaults once, so next boot is clean
            self._changed_ms = now
        return d

    def on_change(self, _i=None):
        self._dirty_settings = True
        self._changed_ms = self.clock() if self.clock else 0

    def poll(self):
        """Called between ticks (it sits in app.comms): saves when a debounce is due."""
        now = self.clock()
        if self._retry_ms is not None and ticks_diff(now, self._retry_ms) < 0:
            return
        due = False
        if self._dirty_settings and ticks_diff(now, self._changed_ms) >= SETTINGS_DELAY_MS:
            last = self._last_save_ms
            due = last is None or ticks_diff(now, last) >= MIN_INTERVAL_MS
        if (self.control is not None and getattr(self.control, "counters", None) is not None
                and ticks_diff(now, self._counters_ms) >= COUNTERS_PERIOD_MS):
            due = True
        if due:
            self.flush(now)

    def flush(self, now=None):
        """Save now (e.g. before a commanded reset)."""
        if now is None:
            now = self.clock() if self.clock else 0
        if self.save():
            self._dirty_settings = False
            self._retry_ms = None
        else:
            self._retry_ms = ticks_add(now, _RETRY_MS)
        self._last_save_ms = now
        self._counters_ms = now
