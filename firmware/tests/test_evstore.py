# The event log's flash ring (dual: CPython and MicroPython): records read back as
# written across segment rotations and reboots, at least CAPACITY are always kept, a
# power cut at any byte of an append (a torn write, or NOR flash left erased) keeps
# every entry written before it and leaves the log appendable, and no file content -
# torn, crafted, unreadable - makes opening, appending or reading raise.
import sys

from fakefs import FakeFs, PowerCut
from storekit import Rng

from co2hr.evstore import CAPACITY, REC, SEG_N, SEG_RECORDS, SEQ_MOD, EvStore, seal, sealed

_MPY = sys.implementation.name == "micropython"


def _recs(first, n):
    """n sealed records whose bytes say which they are (key = first + i)."""
    b = bytearray(n * REC)
    for i in range(n):
        o = i * REC
        k = (first + i) & 0xFFFF
        b[o + 6] = 4
        b[o + 8] = k >> 8
        b[o + 9] = k & 0xFF
        b[o + 10] = (first + i) % 251
        seal(b, o)
    return b


def _key(b, o):
    return b[o + 8] << 8 | b[o + 9]


def _open(fs):
    st = EvStore(fs, "flash")
    st.open()
    return st


def _fill(st, n, chunk=7):
    """Append n records in chunks; returns the key of the first."""
    first = st.next
    done = 0
    while done < n:
        m = min(chunk, n - done)
        assert st.append(_recs(first + done, m), m) == m
        done += m
    return first


def _read(st, seq, n):
    b = bytearray(n * REC)
    st.read_run(seq, n, b)
    return b


def _check_range(st, lo, hi):
    """Every seq lo..hi-1 reads back as the record appended for it."""
    n = hi - lo
    b = _read(st, lo, n)
    for i in range(n):
        assert sealed(b, i * REC), (lo + i, st.oldest(), st.next)
        assert _key(b, i * REC) == (lo + i) & 0xFFFF


def _fs():
    fs = FakeFs()
    fs.dirs.add("flash")
    return fs


def test_first_boot_is_empty_and_the_first_record_is_seq_1():
    fs = _fs()
    st = _open(fs)
    assert st.head < 0 and st.next == 1 and st.oldest() == 1
    assert st.append(_recs(1, 3), 3) == 3
    assert st.next == 4 and st.oldest() == 1
    _check_range(_open(fs), 1, 4)  # and after a reboot


def test_rotation_keeps_at_least_the_capacity_and_reboots_find_the_same_log():
    fs = _fs()
    st = _open(fs)
    total = SEG_N * SEG_RECORDS * 2 + 37
    kept_min = None
    done = 0
    while done < total:
        m = 1 + done % 16
        assert st.append(_recs(st.next, m), m) == m
        done += m
        kept = st.next - st.oldest()
        if done >= SEG_N * SEG_RECORDS:
            kept_min = kept if kept_min is None else min(kept_min, kept)
        assert kept <= SEG_N * SEG_RECORDS
        if done % 97 < 16:
            st2 = _open(fs)
            assert (st2.next, st2.oldest(), st2.head, st2.n_seg) == (
                st.next, st.oldest(), st.head, st.n_seg)
    assert kept_min >= CAPACITY
    _check_range(_open(fs), st.oldest(), st.next)


def _cut_points(size):
    if not _MPY:
        return list(range(size + 1))
    return [k for k in range(size + 1) if k < 20 or k % 13 == 0 or k >= size - 2]


def _cut_append(fs, n, erased):
    """Cut the next append of n records after each byte in turn: every record kept
    before it must read back, the cut ones whole or not at all, and the log must go on."""
    st = _open(fs)
    nxt, old = st.next, st.oldest()
    whole = fs.copy()
    full = _open(whole)
    assert full.append(_recs(nxt, n), n) == n
    keep_from = max(old, full.oldest())  # a rotation retires a segment by design
    size = whole.written  # (a copy counts from 0)
    assert size >= n * REC
    for k in _cut_points(size):
        f2 = fs.copy()
        f2.erased = erased
        f2.budget = k
        try:
            _open(f2).append(_recs(nxt, n), n)
            assert k >= size, k
        except PowerCut:
            assert k < size or k == size, k
        f2.budget = None
        st2 = _open(f2)
        _check_range(st2, keep_from, nxt)
        assert st2.next >= nxt and st2.next - st2.oldest() >= min(CAPACITY, nxt - keep_from)
        b = _read(st2, nxt, n)
        prefix = True
        for i in range(n):
            if sealed(b, i * REC):
                assert prefix and _key(b, i * REC) == (nxt + i) & 0xFFFF, (k, i)
            else:
                prefix = False
        after = st2.next
        assert st2.append(_recs(after, 2), 2) == 2  # the log goes on, in its own slots
        st3 = _open(f2)
        _check_range(st3, after, after + 2)
        _check_range(st3, keep_from, nxt)


def test_power_cut_at_every_byte_of_an_append_in_a_segment():
    fs = _fs()
    _fill(_open(fs), 40)
    _cut_append(fs, 5, 0)


def test_power_cut_at_every_byte_of_an_append_that_starts_a_segment():
    fs = _fs()
    _fill(_open(fs), SEG_N * SEG_RECORDS - 3)  # every segment full but 3 slots: the
    _cut_append(fs, 6, 0)  # append fills one and starts the next over the oldest


def test_power_cut_on_nor_flash_left_erased():
    fs = _fs()
    _fill(_open(fs), 30)
    _cut_append(fs, 4, 32)


def test_a_torn_slot_is_padded_over_and_keeps_its_number():
    fs = _fs()
    st = _open(fs)
    _fill(st, 10)
    fs.budget = 2 * REC + 5  # two whole records, then 5 bytes of the third
    try:
        st.append(_recs(11, 4), 4)
    except PowerCut:
        pass
    fs.budget = None
    st = _open(fs)
    assert st.next == 14 and st.pad == REC - 5  # the torn slot is seq 13
    assert st.append(_recs(14, 1), 1) == 1
    b = _read(st, 11, 4)
    assert sealed(b, 0) and sealed(b, REC) and not sealed(b, 2 * REC) and sealed(b, 3 * REC)
    assert _key(b, 3 * REC) == 14
    assert len(fs.files["flash/ev0.dat"]) == 15 * REC  # header + 14 slots, aligned


def test_a_failed_write_is_counted_and_the_next_one_lands():
    fs = _fs()
    st = _open(fs)
    _fill(st, 5)
    fs.fail_writes = True
    assert st.append(_recs(6, 3), 3) == 0
    assert st.errors == 1 and st.stale and st.next == 6
    fs.fail_writes = False
    assert st.append(_recs(6, 3), 3) == 3
    _check_range(_open(fs), 1, 9)


def _junk(rng, n):
    return bytearray([rng.below(256) for _ in range(n)])


def _header(base):
    h = bytearray(REC)
    h[0:4] = b"CEV\x01"
    for i in range(4):
        h[4 + i] = (base >> (24 - 8 * i)) & 0xFF
    h[8] = 0
    h[9] = 128
    seal(h, 0)
    return h


def test_crafted_and_unreadable_files_never_raise():
    rng = Rng(12345)
    cases = 60 if not _MPY else 12
    for c in range(cases):
        fs = _fs()
        for k in range(SEG_N):
            kind = rng.below(6)
            p = "flash/ev%d.dat" % k
            if kind == 1:
                fs.files[p] = _junk(rng, rng.below(3000))
            elif kind == 2:  # a valid header, any base, junk slots
                fs.files[p] = _header(rng.below(SEQ_MOD) if c % 2 else rng.below(600)) + \
                    _junk(rng, rng.below(2500))
            elif kind == 3:  # a header and real records, an odd length
                fs.files[p] = _header(1 + 127 * k) + _recs(1 + 127 * k, 127)[:rng.below(2100)]
            elif kind == 4:
                fs.broken.add(p)
            elif kind == 5:
                fs.files[p] = _header(5) + _recs(5, 127)  # several claim the same base
        st = _open(fs)
        assert 0 <= st.n_seg <= SEG_N and (st.head < 0) == (st.n_seg == 0)
        kept = (st.next - st.oldest()) % SEQ_MOD
        assert kept <= SEG_N * SEG_RECORDS
        _read(st, st.oldest(), min(kept, 30))  # never raises
        nxt = st.next
        done = st.append(_recs(nxt, 3), 3)
        assert done in (0, 3)
        st2 = _open(fs)
        if done:
            b = _read(st2, nxt, 3)
            for i in range(3):
                assert sealed(b, i * REC) and _key(b, i * REC) == (nxt + i) & 0xFFFF
        else:
            assert st.errors >= 1
