# The Modbus registers of the clock and the event log: the rows of their groups in
# co2hr.modbus.registers (which owns the addresses) and what a read or write of them
# does. docs/eventlog.md, "Over Modbus".
#
#   input 660..  CLOCK     (u16)  the clock and the local calendar
#   input 672..  CLOCK32   (u32)  Unix time, seconds since the last set
#   input 680..  EVLOG32   (u32)  the log's oldest and newest entry, lost and merged
#   input 690..  EVLOG     (u16)  entries waiting in RAM, write errors, capacity
#   input 700..  the window: 700-701 seq of its first entry, 702 entries in it, 703 of
#                which still in RAM; 704.. WIN_ENTRIES entries of ENTRY_WORDS words:
#                time (u32), boot, kind << 8 | flags, key, a, b, seq (low word);
#                a slot a power cut tore reads kind 0
#   holding 620..625  the clock, UTC: year, month, day, hour, minute, second. Written
#                as one block (FC 16, all six: exception 2 otherwise, the service
#                unlock needed); a date that does not exist: exception 3, nothing set
#   holding 630..631  ev_from_seq (u32): the window starts at this entry (0: the newest
#                WIN_ENTRIES). Each master (TCP connection, RTU line, link) has its own;
#                writing it (both words, one FC 16) needs no unlock and is allowed on a
#                read-only TCP port: it changes nothing but what that master reads.
# Reads allocate nothing, but the window: when its position or the log changed, it is
# loaded (WIN_ENTRIES x 16 bytes, a buffer made at the first window read) from RAM and
# flash, which opens a file (once per change, never in the tick).
from micropython import const

from co2hr.clock import CLK_MODBUS
from co2hr.evstore import CAPACITY, REC, SEQ_MOD, sealed

S_FIRST = const(50)  # register sources of this module (co2hr.modbus.registers GROUPS)
S_CLOCK = const(50)
S_CLOCK32 = const(51)
S_EVLOG32 = const(52)
S_EVLOG = const(53)
S_WINDOW = const(54)
S_CLOCKSET = const(55)
S_FROM = const(56)
WIN_BASE = const(700)
WIN_HEAD = const(4)  # words before the first entry
WIN_ENTRIES = const(24)
ENTRY_WORDS = const(8)
WIN_WORDS = WIN_HEAD + WIN_ENTRIES * ENTRY_WORDS
_HALF = const(0x20000000)
_ILLEGAL_VALUE = const(3)

# Rows: (name, unit, type, min, max); the description is the `#:` comment above.
CLOCK = (  # build: host-only
    #: 1 once the clock is set (alarm clock_not_set until then)
    ("clock_set", "", "u16", 0, 1),
    #: Who set the clock last: 0 nobody, 1 Modbus (holding 620..625), 2 NTP, 3 the board RTC
    ("clock_source", "", "u16", 0, 3),
    #: Local date: year (0 while the clock is not set)
    ("clock_year", "", "u16", 0, 2099),
    #: Local date: month
    ("clock_month", "", "u16", 0, 12),
    #: Local date: day
    ("clock_day", "", "u16", 0, 31),
    #: Local time: hour
    ("clock_hour", "", "u16", 0, 23),
    #: Local time: minute
    ("clock_minute", "", "u16", 0, 59),
    #: Local time: second
    ("clock_second", "", "u16", 0, 59),
    #: Local time minus UTC now, summer time included (tz_offset_min, tz_summer_time)
    ("clock_utc_offset_min", "min", "i16", -720, 900),
    #: 1 from 1 October to 31 March, local time: the heating season of the heat tax
    ("heating_season", "", "u16", 0, 1),
    #: Local weekday: 0 Monday .. 6 Sunday
    ("clock_weekday", "", "u16", 0, 6),
)
CLOCK32 = (  # build: host-only
    #: The clock as Unix time (UTC; 0 while not set)
    ("clock_unix_s", "s", "u32", 0, 4294967295),
    #: Seconds since the clock was last set (NTP keeps this small)
    ("clock_set_age_s", "s", "u32", 0, 4294967295),
)
EVLOG32 = (  # build: host-only
    #: Seq of the oldest event-log entry kept
    ("ev_oldest_seq", "", "u32", 0, 4294967295),
    #: Seq of the newest event-log entry (the oldest - 1 while the log is empty)
    ("ev_newest_seq", "", "u32", 0, 4294967295),
    #: Events not logged since boot: refused by the rate limit or a full buffer (each
    #: count is logged as an entry too)
    ("ev_lost", "", "u32", 0, 4294967295),
    #: Events merged into an entry of the same kind and key since boot
    ("ev_merged", "", "u32", 0, 4294967295),
    #: Event-log appends written to flash since boot
    ("ev_appends", "", "u32", 0, 4294967295),
)
EVLOG = (  # build: host-only
    #: Event-log entries waiting in RAM for their append (lost by a power cut)
    ("ev_pending", "", "u16", 0, 16),
    #: Event-log appends that failed since boot (alarm event_log_fault while they do)
    ("ev_write_errors", "", "u16", 0, 65535),
    #: Entries the log always keeps (it holds up to 5/4 of this)
    ("ev_capacity", "", "u16", 0, 65535),
)
CLOCKSET = (  # build: host-only
    #: Clock, UTC: year. Write holding 620..625 in one FC 16 (needs the service unlock)
    ("clock_set_year", "", "u16", 2024, 2099),
    #: Clock, UTC: month
    ("clock_set_month", "", "u16", 1, 12),
    #: Clock, UTC: day
    ("clock_set_day", "", "u16", 1, 31),
    #: Clock, UTC: hour
    ("clock_set_hour", "", "u16", 0, 23),
    #: Clock, UTC: minute
    ("clock_set_minute", "", "u16", 0, 59),
    #: Clock, UTC: second
    ("clock_set_second", "", "u16", 0, 59),
)
# the window's header words, then an entry's (name, unit, type); None: a u32's low word
_WIN_NAMES = (("ev_window_seq", "", "u32"), None, ("ev_window_n", "", "u16"),  # build: host-only
              ("ev_window_pending", "", "u16"), ("time_s", "s", "u32"), None,
              ("boot", "", "u16"), ("kind", "", "u16"), ("key", "", "u16"), ("a", "", "u16"),
              ("b", "", "u16"), ("seq", "", "u16"))


def table(src):  # build: host-only
    """The row table of a table-backed source of this module."""
    if src == S_CLOCK:
        return CLOCK
    if src == S_CLOCK32:
        return CLOCK32
    if src == S_EVLOG32:
        return EVLOG32
    if src == S_EVLOG:
        return EVLOG
    return CLOCKSET


def _counts():  # build: host-only
    return bytes(len(table(src)) for src in range(S_CLOCK, S_CLOCKSET + 1))


def _limits():  # build: host-only
    return b"".join(r[3].to_bytes(2, "little") + r[4].to_bytes(2, "little")
                    for r in CLOCKSET)


# What a board reads of the tables above (they stay on the host: their names are
# documentation), computed by the build: the row count of each source S_CLOCK..
# S_CLOCKSET, and CLOCKSET's min and max (u16 each, little-endian).
_COUNTS = _counts()  # build: constant
_CLOCKSET_LIMITS = _limits()  # build: constant


def count(src):
    """Items in the group of src (GROUPS' count column)."""
    if src == S_WINDOW:
        return WIN_WORDS
    if src == S_FROM:
        return 1
    return _COUNTS[src - S_CLOCK]


def _u16(b, k):
    return b[2 * k] | b[2 * k + 1] << 8


def row(src, i):  # build: host-only
    """(name, unit, scale, type, access, min, max) of item i, or None (a u32's low word)."""
    if src == S_WINDOW:
        if i < WIN_HEAD:
            h = _WIN_NAMES[i]
            return None if h is None else (h[0], "", 1, h[2], "r", 0,
                                           4294967295 if h[2] == "u32" else 65535)
        j, w = (i - WIN_HEAD) // ENTRY_WORDS, (i - WIN_HEAD) % ENTRY_WORDS
        e = _WIN_NAMES[WIN_HEAD + w]
        if e is None:
            return None
        return ("ev%d_%s" % (j, e[0]), e[1], 1, e[2], "r", "", "")
    if src == S_FROM:
        return ("ev_from_seq", "", 1, "u32", "rw", 0, SEQ_MOD - 1)
    r = table(src)[i]
    return (r[0], r[1], 1, r[2], "rw" if src == S_CLOCKSET else "r", r[3], r[4])


def whole(src, base, addr, end):
    """A write must cover a block group exactly: the clock and the index."""
    n = 6 if src == S_CLOCKSET else 2
    return addr == base and end >= base + n


def word32(v, off):
    """The word of a u32 at offset off in its group: even = high word."""
    return (v >> 16) & 0xFFFF if off & 1 == 0 else v & 0xFFFF


class EvRegs:
    """The reads and writes of these groups for one App (its clock and event log)."""

    def __init__(self, app):
        self.clock = app.clock
        self.log = app.events
        self._stage = [0] * 6  # the clock block and the index, as written
        self._win = None  # the window's records (made at the first window read)
        self._win_seq = -1
        self._win_n = 0
        self._win_ver = -1
        self._win_pend = 0

    # --- reads ----------------------------------------------------------------------
    def read(self, src, off, session):
        c = self.clock
        if src == S_CLOCK:
            return self._clock(off) if c is not None else 0
        if src == S_CLOCK32:
            if c is None:
                return 0
            if off < 2:
                return c.unix_word(off)
            return word32(c.set_age_s(), off)
        if src == S_CLOCKSET:
            return self._utc(off) if c is not None and c.valid else 0
        if src == S_FROM:
            return word32(session.ev_from, off)
        if self.log is None:
            return 0
        if src == S_WINDOW:
            return self._window(off, session)
        return self._state(src, off)

    def _utc(self, i):
        c = self.clock
        if i == 0:
            return c.uy
        if i == 1:
            return c.um
        if i == 2:
            return c.ud
        s = c.sod
        return s // 3600 if i == 3 else s // 60 % 60 if i == 4 else s % 60

    def _clock(self, i):
        c = self.clock
        if i == 0:
            return c.valid
        if i == 1:
            return c.source
        if not c.valid:
            return 0
        if i == 2:
            return c.year
        if i == 3:
            return c.month
        if i == 4:
            return c.day
        s = c.local_sod()
        if i == 5:
            return s // 3600
        if i == 6:
            return s // 60 % 60
        if i == 7:
            return s % 60
        if i == 8:
            return (c.utc_off_s // 60) & 0xFFFF
        if i == 9:
            return c.heating
        return (c.lday + 5) % 7  # co2hr.dates.weekday, without a call per read

    def _state(self, src, off):
        lg = self.log
        st = lg.store
        if src == S_EVLOG:
            if off == 0:
                return lg.n
            if off == 1:
                return st.errors & 0xFFFF if st is not None else 0
            return CAPACITY
        i = off >> 1
        if i == 0:
            v = st.oldest() if st is not None else lg.next_seq()
        elif i == 1:
            v = (lg.next_seq() + lg.n - 1) % SEQ_MOD
        elif i == 2:
            v = lg.lost
        elif i == 3:
            v = lg.merged
        else:
            v = st.appends if st is not None else 0
        return word32(v, off)

    # --- the window -----------------------------------------------------------------
    def _span(self, want):
        """(first seq, entries) of the window asked for with ev_from_seq = want."""
        lg = self.log
        end = (lg.next_seq() + lg.n) % SEQ_MOD  # one past the newest
        st = lg.store
        oldest = st.oldest() if st is not None else lg.next_seq()
        have = (end - oldest) % SEQ_MOD
        if want == 0:
            first = oldest if have <= WIN_ENTRIES else (end - WIN_ENTRIES) % SEQ_MOD
        elif (want - oldest) % SEQ_MOD >= _HALF:
            first = oldest  # older than the log: from its oldest entry
        else:
            first = want
        left = (end - first) % SEQ_MOD
        return first, 0 if left >= _HALF else min(left, WIN_ENTRIES)

    def _load(self, first, n):
        if self._win is None:
            self._win = bytearray(WIN_ENTRIES * REC)
        w = self._win
        lg = self.log
        pend = lg.next_seq()
        k = (pend - first) % SEQ_MOD  # entries of the window on flash: seqs before pend
        if k >= _HALF:
            k = 0
        elif k > n:
            k = n
        if k and lg.store is not None:
            lg.store.read_run(first, k, w)
        else:
            for i in range(k * REC):
                w[i] = 0
        for j in range(k, WIN_ENTRIES):
            if j >= n or not lg.read_pending((first + j) % SEQ_MOD, w, j * REC):
                for i in range(j * REC, (j + 1) * REC):
                    w[i] = 0
        for j in range(k):
            if not sealed(w, j * REC):
                for i in range(j * REC, (j + 1) * REC):
                    w[i] = 0
        self._win_seq = first
        self._win_n = n
        self._win_ver = lg.version
        self._win_pend = n - k

    def _window(self, off, session):
        first, n = self._span(session.ev_from)
        if first != self._win_seq or n != self._win_n or self.log.version != self._win_ver:
            self._load(first, n)
        if off < WIN_HEAD:
            if off < 2:
                return word32(first, off)
            return n if off == 2 else self._win_pend
        j, w = (off - WIN_HEAD) // ENTRY_WORDS, (off - WIN_HEAD) % ENTRY_WORDS
        if j >= n:
            return 0
        if w == 7:
            return (first + j) & 0xFFFF
        o = j * REC + 2 * w  # words 0..6 are the record's bytes 0..13, big-endian
        b = self._win
        return b[o] << 8 | b[o + 1] if b is not None else 0

    # --- writes ---------------------------------------------------------------------
    def value_ok(self, src, off, raw):
        if src == S_CLOCKSET:
            lim = _CLOCKSET_LIMITS
            return _u16(lim, 2 * off) <= raw <= _u16(lim, 2 * off + 1)
        return off == 1 or raw < (SEQ_MOD >> 16)  # the index: below 2**30

    def write(self, src, off, raw, session):
        """Staged word by word; the block's last word sets it. Returns 0 or the
        exception code (3: a date that does not exist; nothing was set)."""
        st = self._stage
        if src == S_FROM:
            st[off] = raw
            if off == 1:
                session.ev_from = (st[0] << 16) | raw
            return 0
        st[off] = raw
        if off < 5:
            return 0
        c = self.clock
        if c is None or not c.set_civil(st[0], st[1], st[2], st[3], st[4], raw, CLK_MODBUS):
            return _ILLEGAL_VALUE
        return 0
