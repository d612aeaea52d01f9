# Settings and counters on the board's flash: safe across a power cut at any byte,
# and a boot that no file content can stop.
#
# Two slot files, store_a.dat and store_b.dat, each a complete copy:
#   co2hr-store <format> <seq> <length> <crc32 hex>\n<payload: length bytes of JSON>
# A save writes the *other* slot (the one not holding the newest good copy) with the
# next seq; the good copy is never touched, so a cut mid-write leaves it intact and
# the half-written slot fails its length or CRC check. seq counts modulo 2**30 (a
# small int on every port) and "newer" is serial-number arithmetic, so it never
# runs out and no crafted seq can pin the store. Load takes the valid slot whose
# seq is newest.
#
# Payload: {"v": 1, "seq": n, "settings": {name: value}, "counters": [...],
#           "boots": n, "faults": n}
# Settings are stored by name (co2hr.settings), so a firmware with more settings
# loads an older file: missing names keep their defaults, unknown ones are ignored.
# "seq" repeats the header's seq under the CRC, so a flipped digit in the header
# cannot make the older copy look newer; files from before it have no "seq", no
# "boots" and no "faults", and load as they are (older firmware ignores the new keys).
#
# Validation (co2hr.store_load, boot-only code that attach() drops once the copy is
# in): nothing read from flash may raise out of attach(). A copy
# counts only if every field is what this firmware writes: the canonical header
# (magic, format, seq in range, length, CRC), JSON with at most 8
# brackets (no nesting to exhaust the parser or the heap), the known top-level keys
# only, v == 1 (an int, not 1.0 or true), settings a dict whose known names hold a
# number of the setting's kind (an int where the schema holds ints, finite), the
# counters, boots and faults unsigned 32-bit ints. Anything else makes the copy
# corrupt: the other copy is used, or the defaults. One kind of value is refused on
# its own instead: a number of the right kind outside its *current* schema range
# (ranges narrow between firmware versions; refusing the whole copy would also
# reset the Modbus address and every other setting). It keeps its default, is
# named in `rejected` and raises the fault. At most MAX_FILE bytes are read.
#
# Faults (`fault`, `reason`; the controller's storage alarm): a slot that is
# present but not a valid copy (corrupt, unreadable), a stored value refused, a
# write that failed. A load fault stays for the whole boot (or until acknowledge());
# a write fault clears with the next good write. Every fault is counted in
# `fault_count` (kept on flash). `loaded` says where the settings came from
# (LOAD_* below) for the event log. First boot (no slot at all) is not a fault:
# the defaults are written at once (`first_boot`). On a torn-write filesystem a cut
# in the middle of a save also shows as a corrupt slot at the next boot: that save's
# change is lost, and the alarm says so (littlefs commits a file only on close, so
# there the slot keeps its previous copy instead).
#
# Boot count: `boot_count` is the stored count + 1, written once per boot (at the
# first poll).
#
# When a save happens (poll(), between ticks). A change is written once no further
# change came for SETTLE_MS (a burst of Modbus writes costs one save), and at the
# latest SAVE_WITHIN_MS after the first change not yet on flash, whatever follows
# it; saves are never closer than MIN_INTERVAL_MS (<= SAVE_WITHIN_MS, so the bound
# holds: the previous save came before that first change). Counters are written
# every COUNTERS_PERIOD_MS (a power cut loses at most 10 min of hours and energy)
# and ride along with every other save. A failed write is retried every _RETRY_MS.
#
# Flash wear (measured by tools/storage_wear.py: this Store saving on littlefs as
# MicroPython configures it, 4 KB blocks, prog/read 32 B, cache 128 B, block_cycles
# 100, on a block device that counts erases): a save of this ~1.4 KB copy costs 1.01
# block erases, and littlefs spreads them so that the most erased block takes 0.40 %
# of the saves (Pico, 352 blocks; ESP32, 512) or 0.51 % (a 1 MB filesystem with
# 200 KB of other files). NOR flash is rated 100 000 erases per block:
#   normal use: 144 counter saves + a boot + a few changes = ~150 saves/day:
#               0.8 erases/day on the worst block: centuries
#   a master changing a setting every minute: ~1 600 saves/day: 8 erases/day: 34 years
#   a master changing settings non-stop: one save per MIN_INTERVAL_MS (coalesced),
#               17 280 saves/day: 87 erases/day: 3.1 years (Pico, ESP32: 4.0 years)
# Rewriting a setting with its own value is no change (Settings calls on_change only
# for a new value) and costs nothing. See boards/README.md.
#
# File access goes through a small fs object (open/rename/remove/mkdir) so a test
# can cut the power after any byte; OsFs is the real one.
import json

from micropython import const

from co2hr.ticks import ticks_add, ticks_diff

FORMAT = const(1)  # slot file layout
SCHEMA_VERSION = const(1)  # payload layout
MAGIC = "co2hr-store"
SLOTS = ("store_a.dat", "store_b.dat")
SETTLE_MS = const(1000)
SAVE_WITHIN_MS = const(5000)
MIN_INTERVAL_MS = const(5000)
SETTINGS_DELAY_MS = SETTLE_MS  # the older name
COUNTERS_PERIOD_MS = const(600000)
_RETRY_MS = const(5000)  # after a failed write
MAX_FILE = const(16384)  # bytes read from a slot; a copy this firmware writes is ~1.5 KB
SEQ_MOD = const(0x40000000)
_SEQ_HALF = const(0x20000000)
U32 = 0xFFFFFFFF  # a long int on a 32-bit port: not a const()

# where the settings came from at load (Store.loaded)
LOAD_NEWEST = const(0)  # the newest copy, every other slot valid or absent
LOAD_FIRST_BOOT = const(1)  # no slot at all: defaults, written at the first poll
LOAD_FALLBACK = const(2)  # one slot corrupt or unreadable: the valid one (maybe older) used
LOAD_DEFAULTS = const(3)  # slots present but none valid: defaults

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


def header_line(seq, n, crc):
    """The header line encode_slot() writes (the only one a load accepts)."""
    return ("%s %d %d %d %08x\n" % (MAGIC, FORMAT, seq, n, crc)).encode()


def encode_slot(seq, payload):
    """One slot file's bytes: header line + payload."""
    return header_line(seq, len(payload), crc32_of(payload)) + payload


def newer(a, b):
    """True if seq a was written after seq b (serial-number arithmetic, mod 2**30)."""
    d = (a - b) % SEQ_MOD
    return 0 < d < _SEQ_HALF


def _inc32(n):
    return n + 1 if n < U32 else n  # a count that saturates, never looks like a new board


class Store:
    def __init__(self, fs=None, dirpath="flash", clock=None):
        """fs: OsFs() or a test fake; dirpath: folder for the two slots;
        clock() -> ms (hw.ticks_ms), needed by poll()."""
        self.fs = fs if fs is not None else OsFs()
        self.dir = dirpath
        self.clock = clock
        self.paths = (dirpath + "/" + SLOTS[0], dirpath + "/" + SLOTS[1])
        self.seq = 0  # of the newest good copy (slot -1: none)
        self.slot = -1  # where it is
        self.slot_state = ["?", "?"]  # "missing", "ok <seq>", "corrupt: <why>"
        self.fault = 0  # 1: raise the storage alarm (reason says why)
        self.reason = ""
        self.loaded = LOAD_FIRST_BOOT  # LOAD_*: where the settings came from
        self.first_boot = False  # no stored copy: the defaults are written
        self.fallback = False  # a slot was unusable and the other copy (or defaults) used
        self.fault_count = 0  # storage faults ever (kept on flash)
        self.boot_count = 0  # boots ever, this one included (kept on flash)
        self.rejected = []  # stored settings the schema refused
        self.saves = 0
        self.save_errors = 0
        self.settings = None
        self.control = None
        self._load_reason = ""
        self._write_reason = ""
        self._dirty = False  # something not on flash that must be, within SAVE_WITHIN_MS
        self._first_ms = 0  # when the oldest change not on flash came
        self._changed_ms = 0  # when the latest change came
        self._last_save_ms = None
        self._counters_ms = 0
        self._retry_ms = None

    # --- fault state ---------------------------------------------------------------
    def _update_fault(self):
        r = self._load_reason
        if self._write_reason:
            r = r + "; " + self._write_reason if r else self._write_reason
        self.reason = r
        self.fault = 1 if r else 0

    def load_fault(self, why):
        """A fault found at load (co2hr.store_load): it stays for the boot."""
        self._load_reason = self._load_reason + "; " + why if self._load_reason else why
        self._update_fault()

    def acknowledge(self):
        """Clear a fault found at load (the alarm was seen); a write fault stays."""
        self._load_reason = ""
        self._update_fault()

    # --- save ----------------------------------------------------------------------
    def payload(self):
        d = {"v": SCHEMA_VERSION, "seq": self._next_seq(), "boots": self.boot_count,
             "faults": self.fault_count}  # type: dict
        d["settings"] = self.settings.to_dict() if self.settings is not None else {}
        d["counters"] = list(self.control.counters)  # type: ignore[union-attr]
        return json.dumps(d).encode()

    def _next_seq(self):
        return (self.seq + 1) % SEQ_MOD if self.slot >= 0 else 1

    def save(self):
        """Write a new copy into the slot not holding the newest one. True on success;
        an OSError is counted, sets the fault and is retried later."""
        k = 1 - self.slot if self.slot >= 0 else 0
        seq = self._next_seq()
        try:
            data = encode_slot(seq, self.payload())
            if len(data) > MAX_FILE:  # it could not be loaded back: keep the last copy
                raise OSError("copy too large (%d bytes)" % len(data))
            self._write(self.paths[k], data)
        except (OSError, MemoryError) as e:
            self.save_errors += 1
            if not self._write_reason:
                self.fault_count = _inc32(self.fault_count)
            self._write_reason = "cannot write settings to flash: %s %s" % (
                type(e).__name__, e.args[0] if e.args else "")
            self._update_fault()
            return False
        self.seq = seq
        self.slot = k
        self.slot_state[k] = "ok %d" % seq
        self.saves += 1
        if self._write_reason:
            self._write_reason = ""
            self._update_fault()
        return True

    def _write(self, path, data):
        try:
            f = self.fs.open(path, "wb")
        except OSError:
            self._mkdir()
            f = self.fs.open(path, "wb")
        try:
            f.write(data)
        finally:
            f.close()

    def _mkdir(self):
        try:
            self.fs.mkdir(self.dir)
        except OSError:
            pass

    # --- wiring into the application -------------------------------------------------------
    def attach(self, settings, control, clock):
        """Load, apply to settings and the controller's counters, then follow changes.
        control: what holds the counters (`counters`, a list of ints, and
        `restore_counters(values)`: co2hr.controller.Controller). Returns the payload
        found (None if defaults are in use)."""
        from co2hr import unload
        from co2hr.store_load import apply, load

        self.settings = settings
        self.control = control
        self.clock = clock
        try:
            d = load(self)
            if d is not None:
                apply(self, d)
        finally:  # boot-only code: off the heap once the copy is in
            unload("co2hr.store_load")
        self.boot_count = _inc32(self.boot_count)
        if self._load_reason:  # one fault per boot, however many things were wrong
            self.fault_count = _inc32(self.fault_count)
        if settings is not None:
            settings.on_change = self.on_change
        now = clock()
        self._counters_ms = now
        # the boot count (and on a first boot the defaults) go to flash at the first poll
        self._dirty = True
        self._first_ms = ticks_add(now, -SAVE_WITHIN_MS)
        self._changed_ms = self._first_ms
        return d

    def on_change(self, _i=None):
        now = self.clock() if self.clock else 0
        if not self._dirty:
            self._dirty = True
            self._first_ms = now
        self._changed_ms = now

    def _due(self, now):
        if self._dirty:
            if (ticks_diff(now, self._changed_ms) < SETTLE_MS
                    and ticks_diff(now, self._first_ms) < SAVE_WITHIN_MS):
                return False
            last = self._last_save_ms
            # a negative difference: the last save is over half a ticks period ago
            return last is None or not (0 <= ticks_diff(now, last) < MIN_INTERVAL_MS)
        return ticks_diff(now, self._counters_ms) >= COUNTERS_PERIOD_MS

    def poll(self):
        """Called between ticks (it sits in app.comms): saves when one is due."""
        now = self.clock()
        if self._retry_ms is not None and ticks_diff(now, self._retry_ms) < 0:
            return
        if self._due(now):
            self.flush(now)

    def flush(self, now=None):
        """Save now (e.g. before a commanded reset). A slot left corrupt is written
        over too, so the next boot finds two good copies."""
        if now is None:
            now = self.clock() if self.clock else 0
        ok = self.save()
        if ok and self.slot_state[1 - self.slot][:7] == "corrupt":
            ok = self.save()
        if ok:
            self._dirty = False
            self._retry_ms = None
        else:  # retried every _RETRY_MS, whatever the save was for
            if not self._dirty:
                self._dirty = True
                self._first_ms = now
            self._retry_ms = ticks_add(now, _RETRY_MS)
        self._last_save_ms = now
        self._counters_ms = now
