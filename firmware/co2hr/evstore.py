# The event log on flash: a ring of segment files that a power cut at any byte of an
# append cannot damage (docs/eventlog.md, "On flash").
#
# SEG_N files ev0.dat .. ev4.dat in the flash folder, each up to SEG_SLOTS slots of REC
# bytes. Slot 0 is the segment's header; slots 1.. hold records, appended ("ab") and
# never rewritten, so an append can only ever cut its own bytes. When the newest
# segment is full, the next one round the ring is started over ("wb": header, then the
# records that follow), which retires the oldest SEG_RECORDS entries: at least
# (SEG_N - 1) * SEG_RECORDS = CAPACITY entries are always kept, at most SEG_N times that.
#
# Sequence numbers (mod 2**30, "newer" by serial-number arithmetic as in co2hr.storage):
# the header holds its segment's base, the record in slot j is base + j - 1. A slot
# torn by a cut keeps its number (there is a gap); the next append first pads the file
# to the slot boundary, so every later record sits in its own slot again.
#
# A record's last byte is MARK and the byte before it the low byte of its CRC-16
# (co2hr.modbus.crc, over bytes 0..13): a slot that a cut ended early never reads as a
# record (its last byte is padding 0x00 or erased flash 0xFF), and a flipped bit is
# caught. The header: b"CEV", format, base (u32), SEG_SLOTS (u16), 0, 0, 0, crc, MARK.
#
# At boot (open()) only the headers and the file lengths are read: the newest valid
# header is the head; the log goes back round the ring while each older segment is
# full and its base is exactly SEG_RECORDS before the next one's. A torn header, a
# crafted or stray file is not part of the log (never read) and is written over when
# the ring comes round to it. littlefs (the boards' filesystem) commits a file only at
# close, so there an append is all or nothing; the slots and the mark make the ring
# safe on a filesystem that tears a write (and against a crafted file) too.
import errno

from micropython import const

from co2hr.modbus.crc import crc16

REC = const(16)
SEG_N = const(5)
SEG_SLOTS = const(128)
SEG_RECORDS = const(127)
CAPACITY = (SEG_N - 1) * SEG_RECORDS  # entries always kept (508)
MARK = const(0xA5)
SEQ_MOD = const(0x40000000)
_SEQ_HALF = const(0x20000000)
_FORMAT = const(1)


def newer(a, b):
    """True if seq a comes after seq b."""
    d = (a - b) % SEQ_MOD
    return 0 < d < _SEQ_HALF


def seal(buf, off):
    """Write the CRC byte and the mark of the record at buf[off:off+REC]."""
    buf[off + 14] = crc16(buf, off, off + 14) & 0xFF
    buf[off + 15] = MARK


def sealed(buf, off):
    """True if buf[off:off+REC] is a whole, intact slot (record or header)."""
    return buf[off + 15] == MARK and buf[off + 14] == crc16(buf, off, off + 14) & 0xFF


class EvStore:
    def __init__(self, fs, dirpath):
        """fs: co2hr.storage.OsFs() or a test's fake (open/mkdir); dirpath: the folder."""
        self.fs = fs
        self.dir = dirpath
        self.base = [0] * SEG_N  # base seq of each segment in the log
        self.used = bytearray(SEG_N)  # slots taken in each, header included (0: not in the log)
        self.head = -1  # the segment appended to (-1: none yet)
        self.tail = -1  # the oldest segment in the log
        self.n_seg = 0
        self.next = 1  # seq of the next record
        self.pad = 0  # bytes to write before the next record (a torn slot at the end)
        self.appends = 0  # files written (appends and segment starts)
        self.errors = 0  # writes that raised OSError
        self.stale = False  # a write failed: lengths are read again before the next one
        self._h = bytearray(REC)

    def path(self, k):
        return "%s/ev%d.dat" % (self.dir, k)

    # --- boot ---------------------------------------------------------------------
    def _scan(self, k):
        """Slots of segment k (header included), 0 if it is not a valid segment; its
        base in self.base[k] and how many bytes short its last slot is."""
        try:
            f = self.fs.open(self.path(k), "rb")
        except OSError:
            return 0, 0
        try:
            h = self._h
            if f.readinto(h) != REC or not sealed(h, 0) or h[0:3] != b"CEV" or h[3] != _FORMAT:
                return 0, 0
            size = f.seek(0, 2)
        except OSError:
            return 0, 0
        finally:
            f.close()
        self.base[k] = ((h[4] << 24) | (h[5] << 16) | (h[6] << 8) | h[7]) % SEQ_MOD
        if size >= SEG_SLOTS * REC:
            return SEG_SLOTS, 0
        slots = (size + REC - 1) // REC
        return slots, slots * REC - size

    def open(self):
        """Find the log on flash (headers and lengths only)."""
        pads = [0] * SEG_N
        head = -1
        for k in range(SEG_N):
            n, pads[k] = self._scan(k)
            self.used[k] = n
            if n and (head < 0 or newer(self.base[k], self.base[head])):
                head = k
        self.head = head
        self.stale = False
        if head < 0:
            self.tail = -1
            self.n_seg = 0
            self.pad = 0
            return
        k = head
        n_seg = 1
        while n_seg < SEG_N:
            j = (k - 1) % SEG_N
            if self.used[j] != SEG_SLOTS or self.base[j] != (self.base[k] - SEG_RECORDS) % SEQ_MOD:
                break
            k = j
            n_seg += 1
        for j in range(SEG_N - n_seg):  # outside the log: never read
            self.used[(head + 1 + j) % SEG_N] = 0
        self.tail = k
        self.n_seg = n_seg
        self.pad = pads[head]
        self.next = (self.base[head] + self.used[head] - 1) % SEQ_MOD

    def oldest(self):
        """Seq of the oldest entry kept (== next when the log is empty)."""
        return self.base[self.tail] if self.tail >= 0 else self.next

    # --- append -------------------------------------------------------------------
    def _start(self, mv, n):
        """Start the next segment with the first n (<= SEG_RECORDS) records of mv."""
        k = 0 if self.head < 0 else (self.head + 1) % SEG_N
        b = self.next
        h = self._h
        h[0] = 67  # "CEV"
        h[1] = 69
        h[2] = 86
        h[3] = _FORMAT
        h[4] = b >> 24
        h[5] = (b >> 16) & 0xFF
        h[6] = (b >> 8) & 0xFF
        h[7] = b & 0xFF
        h[8] = SEG_SLOTS >> 8
        h[9] = SEG_SLOTS & 0xFF
        for i in range(10, 14):
            h[i] = 0
        seal(h, 0)
        self.used[k] = 0  # whatever it held leaves the log now
        if self.n_seg == SEG_N:
            self.tail = (k + 1) % SEG_N
        else:
            self.n_seg += 1
            if self.tail < 0:
                self.tail = k
        f = self._file(k, "wb")
        try:
            f.write(h)
            f.write(mv[0:n * REC])
        finally:
            f.close()
        self.base[k] = b
        self.used[k] = 1 + n
        self.head = k
        self.pad = 0

    def _file(self, k, mode):
        try:
            return self.fs.open(self.path(k), mode)
        except OSError as e:
            if not (e.args and e.args[0] == errno.ENOENT):  # (2 on the boards, 44 in WASI)
                raise
        try:
            self.fs.mkdir(self.dir)
        except OSError:
            pass
        return self.fs.open(self.path(k), mode)

    def _extend(self, mv, n):
        k = self.head
        f = self._file(k, "ab")
        try:
            if self.pad:
                f.write(bytes(self.pad))
            f.write(mv[0:n * REC])
        finally:
            f.close()
        self.pad = 0
        self.used[k] += n

    def append(self, buf, n):
        """Write the n records at buf[0:n*REC] after the newest (seqs next ..). Returns
        how many are on flash; an OSError is counted and the lengths are read again
        before the next append."""
        if self.stale:
            self.open()
        mv = memoryview(buf)
        done = 0
        try:
            while done < n:
                room = SEG_SLOTS - self.used[self.head] if self.head >= 0 else 0
                m = n - done
                if room <= 0:
                    m = min(m, SEG_RECORDS)
                    self._start(mv[done * REC:], m)
                else:
                    m = min(m, room)
                    self._extend(mv[done * REC:], m)
                self.appends += 1
                done += m
                self.next = (self.next + m) % SEQ_MOD
        except (OSError, MemoryError):
            self.errors += 1
            self.stale = True
        return done

    # --- read ---------------------------------------------------------------------
    def _where(self, seq):
        """(segment, slot) of seq in the log, or (-1, 0)."""
        k = self.tail
        for _ in range(self.n_seg):
            d = (seq - self.base[k]) % SEQ_MOD
            if d < self.used[k] - 1:
                return k, d + 1
            k = (k + 1) % SEG_N
        return -1, 0

    def read_run(self, seq, n, buf):
        """Slots of seq .. seq+n-1 into buf[0:n*REC] as flash holds them (zeros where
        none is); sealed() tells which hold a record."""
        for i in range(n * REC):
            buf[i] = 0
        mv = memoryview(buf)
        i = 0
        while i < n:
            k, slot = self._where((seq + i) % SEQ_MOD)
            if k < 0:
                i += 1
                continue
            m = min(n - i, self.used[k] - slot)
            try:
                f = self.fs.open(self.path(k), "rb")
                try:
                    f.seek(slot * REC)
                    f.readinto(mv[i * REC:(i + m) * REC])
                finally:
                    f.close()
            except OSError:
                pass  # unreadable: the slots stay zero (not records)
            i += m
