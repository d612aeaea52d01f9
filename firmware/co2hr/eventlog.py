# The persistent event log: what happened to the rig, time-stamped, kept on flash
# (co2hr.evstore) and readable over Modbus (co2hr.modbus.evregs) and with `rig
# events`. docs/eventlog.md has the record format, the kinds and the limits.
#
# An entry is a fixed 16-byte record (no object per entry):
#   0..3 time (u32): Unix time when the clock is set, else seconds since boot
#   4..5 boot number (u16, the store's boot count)   6 kind (_EV_* below)
#   7    bit 7: the time is clock time; bits 4..6: source (SRC_*); bits 0..3: how many
#        more events of the same kind and key were merged into it (15 at most)
#   8..9 key  10..11 a  12..13 b (u16 each; their meaning is the kind's)
#   14 CRC byte, 15 mark (co2hr.evstore)
# New entries wait in a RAM buffer of _N_PEND records and go to flash together once the
# oldest is _FLUSH_WITHIN_MS old (a burst of writes costs one append), or at once when
# the buffer is full (from the Modbus path; the tick never writes flash). They are
# readable over Modbus while they wait; a power cut loses only those (<= 2 s of events).
#
# Bounded writes (flash wear; a flood must not wash the history out of the ring):
# * entries are admitted against a quota of _QUOTA_BURST with one more every
#   _QUOTA_REFILL_MS (60 an hour sustained). Boots, storage findings, HP stops and the
#   lost count are outside the quota (each is rare by nature).
# * an event of the same kind, key and source as an entry still in RAM is merged into
#   it (settings: the first old and the last new value; alarms: the first and the last
#   transition; a count), whatever the quota says.
# * an event the quota or a full buffer refuses is counted (`lost`, input register
#   ev_lost) and the count is logged as an entry, at most every _LOST_WITHIN_MS.
# So the flash takes at most ~_QUOTA_BURST appends at once and 60 + 6 an hour under any
# flood, and the >= 508 entries kept hold at least 7 h of a flood after the entries
# before it. Flash wear (tools/storage_wear.py: co2hr.evstore appending 1-4 entries at a
# time on littlefs as MicroPython configures it): 0.97 block erases per append, the most
# erased block taking 0.47 % of them (0.49 % on a 1 MB filesystem with 200 KB of other
# files). NOR flash is rated 100 000 erases per block:
#   normal use, ~50 appends/day: 0.24 erases/day on the worst block: centuries
#   a busy commissioning day, ~400 appends: 1.9 erases/day
#   any flood, held to the quota, 1 584 appends/day: 7.4 erases/day: 36 years
# (the settings store's own wear adds to it: co2hr.storage).
#
# The hooks: co2hr.alarms (raised/cleared/acknowledged), co2hr.settings (every change,
# with the source the Modbus server puts in `source` for the request it serves),
# co2hr.modbus.unlock (unlock, lock, wrong codes), co2hr.clock (sets), and tick(),
# which the controller calls once per tick: mode changes, HP stops, and the clock and
# event-log alarms. boot() logs the boot and the store's findings.
from micropython import const

from co2hr import VERSION
from co2hr.alarms import ALARM_CODE
from co2hr.evstore import REC, SEQ_MOD, seal, sealed
from co2hr.io import AI_P_GC
from co2hr.settings import SCHEMA
from co2hr.ticks import ticks_add, ticks_diff

# The numbers below are private consts: compiled into the code, they cost the board no
# name. The host reads them, and the `#:` line above each, from this file
# (rig.regs.fwdoc.consts): the kinds' names are their own (_EV_HP_STOP: "hp_stop").
# Kinds (byte 6 of a record), append only; key, a and b are u16 words:
#: Boot. key: reset cause (0 unknown, 1 power-on: the power returned, 2 hard reset, 3
#: watchdog, 4 deep sleep, 5 soft reset); a: where the settings came from (0 the newest
#: stored copy, 1 first boot: defaults, 2 the other copy, 3 no usable copy: defaults); b:
#: firmware version (major << 11 | minor << 6 | patch)
_EV_BOOT = const(1)
#: A finding of the settings store at boot. key: 1 first boot (defaults written), 2 a stored
#: copy unusable (a: where the settings came from, as for boot), 3 a stored value refused by
#: the schema (a: its holding register, kept at its default); b: storage faults ever
_EV_STORAGE = const(2)
#: Alarm. key: alarm code; a: what happened first, b: last (1 raised, 0 cleared, 2
#: acknowledged), with the count merged
_EV_ALARM = const(3)
#: Setting changed. key: holding register; a: old, b: new value (raw register words)
_EV_SETTING = const(4)
#: Command written. key: the command (co2hr.status COMMANDS row, holding 500 + key); b:
#: the value (raw register word)
_EV_COMMAND = const(5)
#: Operating mode. a: before (65535 at boot), b: now (co2hr.modes)
_EV_MODE = const(6)
#: HP stop released the compressor enable. a: p_gc x 10 (bar) when it acted (65535 invalid)
_EV_HP_STOP = const(7)
#: Service unlock opened. a: its timeout (s)
_EV_UNLOCK = const(8)
#: Service unlock closed. a: 0 by the master (0 written), 1 timed out, 2 its connection ended
_EV_LOCK = const(9)
#: A wrong unlock code. a: wrong codes on that line since its last unlock; b: seconds the
#: line now waits before it takes another
_EV_CODE_WRONG = const(10)
#: Clock set. key: who (1 Modbus, 2 NTP, 3 board RTC) + 256 when it was set before; a, b:
#: the step in seconds (i32, high word in a) if it was set, else the uptime (u32) at which
#: it was set, which dates this boot's earlier entries
_EV_CLOCK = const(11)
#: Events not logged (the quota or a full buffer refused them). a, b: how many (u32)
_EV_LOST = const(12)
# Sources (bits 4..6 of byte 7): who caused the entry.
#: firmware
SRC_FIRMWARE = const(0)
#: RTU
SRC_RTU = const(1)
#: TCP
SRC_TCP = const(2)
#: HIL link
SRC_HIL = const(3)
_WHAT_CLEARED = const(0)
_WHAT_RAISED = const(1)
_WHAT_ACKED = const(2)
_STORE_FIRST_BOOT = const(1)
_STORE_UNUSABLE = const(2)
_STORE_REFUSED = const(3)

_N_PEND = const(16)
_FLUSH_WITHIN_MS = const(2000)
_QUOTA_BURST = const(200)
_QUOTA_REFILL_MS = const(60000)
_LOST_WITHIN_MS = const(600000)
_RETRY_MS = const(30000)  # after a failed append
_MAX_MERGED = const(15)
_FLOOR_BACK = const(128)  # entries looked through at boot for the newest clock time
_MERGING = (1 << _EV_ALARM) | (1 << _EV_SETTING) | (1 << _EV_COMMAND) | (1 << _EV_MODE) | (
    1 << _EV_CODE_WRONG)
_EXEMPT = (1 << _EV_BOOT) | (1 << _EV_STORAGE) | (1 << _EV_HP_STOP) | (1 << _EV_LOST)
_CODE_CLOCK_NOT_SET = const(50)
_CODE_LOG_FAULT = const(51)


def _alarm_row(code):
    for i in range(len(ALARM_CODE)):
        if ALARM_CODE[i] == code:
            return i
    raise ValueError("no alarm %d" % code)


_A_CLOCK = _alarm_row(_CODE_CLOCK_NOT_SET)
_A_FAULT = _alarm_row(_CODE_LOG_FAULT)


class EventLog:
    def __init__(self, store, clock):
        """store: co2hr.evstore.EvStore (opened) or None (RAM only: entries live only
        while they wait); clock: co2hr.clock.Clock (time stamps, the ms clock)."""
        self.store = store
        self.clock = clock
        self.boot_no = 0
        self.source = SRC_FIRMWARE  # of the request being served (co2hr.modbus.server)
        self.version = 0  # +1 when an entry is added, merged or written
        self.lost = 0  # events not logged since boot
        self.merged = 0  # events merged into an entry since boot
        self.fault = 0  # 1 while appends fail (event_log_fault)
        self.setting_address = None  # f(schema index) -> holding register (boot wires it)
        self.n = 0  # entries waiting in RAM: seqs next() ..
        self._pend = bytearray(_N_PEND * REC)
        self._ram_next = 1  # RAM only: seq of the first waiting entry
        now = clock.ms()
        self._first_ms = now
        self._retry_ms = now
        self._tokens = _QUOTA_BURST
        self._refill_ms = now
        self._unlogged = 0
        self._lost_ms = now
        self._mode = -1
        self._stops = 0

    # --- private helpers ------------------------------------------------------------
    def _put(self, i, kind, key, a, b, src):
        p = self._pend
        o = i * REC
        on_clock = self.clock.stamp(p, o)
        bn = self.boot_no
        p[o + 4] = (bn >> 8) & 0xFF
        p[o + 5] = bn & 0xFF
        p[o + 6] = kind
        p[o + 7] = (on_clock << 7) | (src << 4)
        p[o + 8] = (key >> 8) & 0xFF
        p[o + 9] = key & 0xFF
        p[o + 10] = (a >> 8) & 0xFF
        p[o + 11] = a & 0xFF
        p[o + 12] = (b >> 8) & 0xFF
        p[o + 13] = b & 0xFF
        seal(p, o)

    def _match(self, kind, key, src):
        """The newest waiting entry this event merges into, or -1."""
        p = self._pend
        i = self.n - 1
        while i >= 0:
            o = i * REC
            if (p[o + 6] == kind and (p[o + 8] << 8 | p[o + 9]) == key
                    and (p[o + 7] >> 4) & 7 == src):
                return i if p[o + 7] & 15 < _MAX_MERGED else -1
            i -= 1
        return -1

    def _merge(self, i, b):
        p = self._pend
        o = i * REC
        p[o + 7] += 1
        p[o + 12] = (b >> 8) & 0xFF
        p[o + 13] = b & 0xFF
        seal(p, o)
        self.merged += 1
        self.version += 1

    def _take(self, now):
        """One entry of the quota (tokens refill one per _QUOTA_REFILL_MS)."""
        if self._tokens < _QUOTA_BURST:
            d = ticks_diff(now, self._refill_ms)
            if d < 0:  # over half a ticks period (6 days): long since refilled
                self._tokens = _QUOTA_BURST
            elif d >= _QUOTA_REFILL_MS:
                k = d // _QUOTA_REFILL_MS
                self._tokens = min(_QUOTA_BURST, self._tokens + k)
                self._refill_ms = ticks_add(self._refill_ms, k * _QUOTA_REFILL_MS)
        if self._tokens <= 0:
            return False
        if self._tokens == _QUOTA_BURST:
            self._refill_ms = now
        self._tokens -= 1
        return True

    def _drop(self, now):
        self.lost += 1
        if not self._unlogged:
            self._lost_ms = now
        self._unlogged += 1

    # --- adding entries -------------------------------------------------------------
    def add(self, kind, key=0, a=0, b=0, src=-1):
        """Log an event (src -1: the source of the request being served)."""
        # the time now, not at the loop's last pass; this may take a new RTC time, whose
        # own entry then comes first (add() is re-entered here, before any slot is taken)
        self.clock.poll()
        if src < 0:
            src = self.source
        if (_MERGING >> kind) & 1:
            i = self._match(kind, key, src)
            if i >= 0:
                self._merge(i, b)
                return
        now = self.clock.ms()
        if not (_EXEMPT >> kind) & 1 and not self._take(now):
            self._drop(now)
            return
        if self.n >= _N_PEND and src != SRC_FIRMWARE:
            self.flush(now)  # a master's request (between ticks): make room
        if self.n >= _N_PEND:
            self._drop(now)
            return
        if self.n == 0:
            self._first_ms = now
        self._put(self.n, kind, key & 0xFFFF, a & 0xFFFF, b & 0xFFFF, src)
        self.n += 1
        self.version += 1

    def alarm(self, code, what):
        """co2hr.alarms: alarm `code` raised (1), cleared (0) or acknowledged (2)."""
        self.add(_EV_ALARM, code, what, what)

    def setting(self, i, old, new):
        """co2hr.settings: setting i changed from old to new."""
        f = self.setting_address
        sc = SCHEMA.scale(i)  # the values as the holding register carries them
        if sc != 1:
            old = int(round(old * sc))
            new = int(round(new * sc))
        self.add(_EV_SETTING, f(i) if f is not None else i, int(old), int(new))

    def command(self, i, raw):
        """co2hr.modbus.registers: command i written (raw register word)."""
        self.add(_EV_COMMAND, i, 0, raw)

    def clock_set(self, source, was_set, v):
        """co2hr.clock: set by source; v the step (s) if it was set, else the uptime."""
        if was_set:
            v = max(-0x7FFFFFFF, min(0x7FFFFFFF, v)) & 0xFFFFFFFF
            source += 256
        self.add(_EV_CLOCK, source, v >> 16, v & 0xFFFF, SRC_FIRMWARE)

    def boot(self, boot_no, cause_code, store):
        """The boot entry and the store's findings (co2hr.storage.Store or None)."""
        self.boot_no = boot_no & 0xFFFF
        loaded = store.loaded if store is not None else 0
        p = VERSION.split(".")
        self.add(_EV_BOOT, cause_code, loaded, int(p[0]) << 11 | int(p[1]) << 6 | int(p[2]),
                 SRC_FIRMWARE)
        if store is None:
            return
        faults = store.fault_count & 0xFFFF
        if store.first_boot:
            self.add(_EV_STORAGE, _STORE_FIRST_BOOT, 0, faults, SRC_FIRMWARE)
        if store.fallback:
            self.add(_EV_STORAGE, _STORE_UNUSABLE, loaded, faults, SRC_FIRMWARE)
        for name in store.rejected:
            i = SCHEMA.find(name)
            if i >= 0:
                f = self.setting_address
                self.add(_EV_STORAGE, _STORE_REFUSED, f(i) if f is not None else i, faults,
                         SRC_FIRMWARE)

    def tick(self, ctrl, mode, now_s):
        """Once per control tick (co2hr.controller): the clock and log alarms, mode
        changes, HP stops. Allocates nothing unless one of them happens."""
        al = ctrl.alarms
        al.set(_A_CLOCK, not self.clock.valid, now_s)
        al.set(_A_FAULT, self.fault, now_s)
        if mode != self._mode:
            self.add(_EV_MODE, 0, self._mode, mode, SRC_FIRMWARE)
            self._mode = mode
        stops = ctrl.gc.stops
        if stops != self._stops:
            self._stops = stops
            sig = ctrl.sig
            p = int(sig.value[AI_P_GC] * 10) if sig.valid[AI_P_GC] else -1
            self.add(_EV_HP_STOP, 0, p, 0, SRC_FIRMWARE)

    # --- to flash -------------------------------------------------------------------
    def next_seq(self):
        """Seq of the oldest entry waiting in RAM (the next one written)."""
        return self.store.next if self.store is not None else self._ram_next

    def poll(self):
        """Between ticks (app.comms): write the waiting entries when due."""
        n = self.n
        if n == 0 and not self._unlogged:
            return
        now = self.clock.ms()
        if self.fault and ticks_diff(now, self._retry_ms) < 0:
            return
        if n:
            if n >= _N_PEND or ticks_diff(now, self._first_ms) >= _FLUSH_WITHIN_MS:
                self.flush(now)
        elif ticks_diff(now, self._lost_ms) >= _LOST_WITHIN_MS:
            self.flush(now)

    def flush(self, now=None):
        """Write every waiting entry now (e.g. before a planned reset)."""
        if now is None:
            now = self.clock.ms()
        if (self._unlogged and self.n < _N_PEND
                and ticks_diff(now, self._lost_ms) >= _LOST_WITHIN_MS):
            u = self._unlogged  # the lost count, _LOST_WITHIN_MS after the first it counts
            self._unlogged = 0
            self._put(self.n, _EV_LOST, 0, (u >> 16) & 0xFFFF, u & 0xFFFF, SRC_FIRMWARE)
            self.n += 1
        n = self.n
        if n == 0:
            return
        self.version += 1
        if self.store is None:
            self._ram_next += n
            self.n = 0
            return
        done = self.store.append(self._pend, n)
        p = self._pend
        for k in range((n - done) * REC):
            p[k] = p[done * REC + k]
        self.n = n - done
        self.fault = 1 if self.n else 0
        if self.n:
            self._retry_ms = ticks_add(now, _RETRY_MS)
        else:
            self._first_ms = now

    def newest_clock_unix(self):
        """Unix time of the newest clock-stamped entry on flash among the last
        _FLOOR_BACK (0: none): an RTC time before it was reset, not set (co2hr.clock).
        At boot only: reads in runs of 8 through a temporary buffer."""
        st = self.store
        if st is None:
            return 0
        b = bytearray(8 * REC)
        left = min(_FLOOR_BACK, (st.next - st.oldest()) % SEQ_MOD)
        done = 0
        while done < left:
            n = min(8, left - done)
            done += n
            st.read_run((st.next - done) % SEQ_MOD, n, b)  # the n entries before the last
            for j in range(n - 1, -1, -1):
                o = j * REC
                if sealed(b, o) and b[o + 7] & 0x80:
                    return (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]
        return 0

    def read_pending(self, seq, buf, off):
        """Copy the waiting entry with seq into buf[off:off+REC]; False if none."""
        d = (seq - self.next_seq()) % SEQ_MOD
        if d >= self.n:
            return False
        p = self._pend
        o = d * REC
        for k in range(REC):
            buf[off + k] = p[o + k]
        return True

    def session(self, what, src, a, b=0):
        """co2hr.modbus.unlock: on line src the unlock opened (what 0; a: its timeout),
        closed (1; a: why) or took a wrong code (2; a: failures, b: the wait)."""
        self.add(_EV_UNLOCK + what, 0, a, b, src)  # (the kinds are consecutive)
