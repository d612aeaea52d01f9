"""The event log's ring on littlefs as MicroPython configures it (littlefs-python, the
image of tools/storage_wear.py): appends, segment rotations, a remount (a reboot) that
finds the same log, records reading back as written. littlefs commits a file at close,
so a cut there leaves the append whole or absent (test_evstore.py covers torn writes)."""

import sys
from pathlib import Path

from co2hr.evstore import CAPACITY, REC, SEG_N, SEG_RECORDS, EvStore, seal, sealed

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from storage_wear import Fs, littlefs_image  # noqa: E402


def _recs(first, n):
    b = bytearray(n * REC)
    for i in range(n):
        o = i * REC
        b[o + 6] = 4
        b[o + 8] = ((first + i) >> 8) & 0xFF
        b[o + 9] = (first + i) & 0xFF
        seal(b, o)
    return b


def test_the_ring_on_littlefs_rotates_and_survives_a_remount():
    from littlefs import LittleFS

    lfs, flash = littlefs_image(352, 40)
    lfs.mkdir("flash")
    st = EvStore(Fs(lfs), "flash")
    st.open()
    total = SEG_N * SEG_RECORDS * 3 + 11
    done = 0
    while done < total:
        m = 1 + done % 5
        assert st.append(_recs(st.next, m), m) == m
        done += m
    assert st.errors == 0 and st.next - st.oldest() >= CAPACITY
    lfs2 = LittleFS(context=flash, block_size=4096, block_count=352, read_size=32,
                    prog_size=32, cache_size=128, lookahead_size=32, block_cycles=100,
                    mount=True)
    st2 = EvStore(Fs(lfs2), "flash")
    st2.open()
    assert (st2.next, st2.oldest()) == (st.next, st.oldest())
    n = st2.next - st2.oldest()
    b = bytearray(n * REC)
    st2.read_run(st2.oldest(), n, b)
    for i in range(n):
        assert sealed(b, i * REC) and (b[i * REC + 8] << 8 | b[i * REC + 9]) == (
            st2.oldest() + i) & 0xFFFF
