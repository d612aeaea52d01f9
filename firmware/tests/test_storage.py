# Settings and counters storage (dual: CPython and MicroPython): two slots with
# sequence number and CRC survive a power cut after any byte of a save; a corrupt
# slot is detected; missing or corrupt storage gives defaults and a fault; saves
# are debounced.
import sys

from fakefs import FakeFs, PowerCut

from co2hr.settings import SCHEMA, Settings
from co2hr.storage import (
    COUNTERS_PERIOD_MS,
    MIN_INTERVAL_MS,
    SETTINGS_DELAY_MS,
    Store,
    decode_slot,
    encode_slot,
)

# Every byte under CPython; under MicroPython (whose host build must not collect
# garbage inside a test) every byte of the header and then every 61st byte.
_MPY = sys.implementation.name == "micropython"


def _cut_points(size):
    if not _MPY:
        return list(range(size + 1))
    return [k for k in range(size + 1) if k < 64 or k % 61 == 0 or k >= size - 2]


class Counters:
    """Stands in for the Controller's counters interface (restore_counters)."""

    def __init__(self, n=3):
        self.counters = [0] * n

    def restore_counters(self, values):
        for i in range(min(len(values), len(self.counters))):
            self.counters[i] = values[i]


def _numeric_setting():
    for i in range(len(SCHEMA)):
        row = SCHEMA[i]
        if row[3] > row[2] and row[1] + 1 <= row[3]:
            return i
    raise AssertionError("no setting to change")


def _boot(fs, t=0):
    clock = [t]
    s = Settings()
    c = Counters()
    st = Store(fs, "flash")
    st.attach(s, c, lambda: clock[0])
    return st, s, c, clock


def test_first_boot_defaults_with_fault_then_saved():
    fs = FakeFs()
    st, s, _c, clock = _boot(fs)
    assert st.fault == 1 and "no stored settings" in st.reason
    assert s.values == Settings().values
    clock[0] = SETTINGS_DELAY_MS
    st.poll()
    assert st.saves == 1 and "flash/store_a.dat" in fs.files  # created the folder
    st2, _s, _c, _ = _boot(fs)
    assert st2.fault == 0 and st2.reason == "" and st2.seq == 1


def test_settings_and_counters_round_trip():
    fs = FakeFs()
    st, s, c, clock = _boot(fs)
    i = _numeric_setting()
    new = SCHEMA[i][1] + 1
    s.set_index(i, new)
    c.counters[:] = [7, 123456789, 4000000000]
    clock[0] = SETTINGS_DELAY_MS + 1
    st.poll()
    _st2, s2, c2, _ = _boot(fs)
    assert s2.values[i] == new
    assert c2.counters == [7, 123456789, 4000000000]


def test_saves_alternate_slots_with_rising_sequence():
    fs = FakeFs()
    st, _s, _c, _clock = _boot(fs)
    for _k in range(4):
        assert st.save()
    a = decode_slot(bytes(fs.files["flash/store_a.dat"]))[0]
    b = decode_slot(bytes(fs.files["flash/store_b.dat"]))[0]
    assert (a, b) == (3, 4)
    assert _boot(fs)[0].seq == 4


def test_power_cut_after_every_byte_keeps_the_last_good_or_the_new_copy():
    fs = FakeFs()
    st, s, c, _clock = _boot(fs)
    i = _numeric_setting()
    row = SCHEMA[i]
    old = row[1]
    for k in range(2):  # two good copies, one in each slot
        c.counters[0] = k
        assert st.save()
    new = old + 1
    s.set_index(i, new)
    c.counters[0] = 99
    size = len(encode_slot(st.seq + 1, st.payload()))
    outcomes = {"old": 0, "new": 0}
    cuts = _cut_points(size)
    for erased in (0, 64):
        for cut in cuts:
            f2 = fs.copy()
            f2.erased = erased
            f2.budget = cut
            st2 = Store(f2, "flash")
            st2.settings = s
            st2.control = c
            st2.load()
            try:
                st2.save()
                assert cut == size, cut
            except PowerCut:
                assert cut < size, cut
            f2.budget = None
            rb, s3, c3, _ = _boot(f2)  # reboot
            assert rb.fault == 0, (cut, rb.reason)
            if cut == size:
                assert s3.values[i] == new and c3.counters[0] == 99 and rb.seq == 3
                outcomes["new"] += 1
            else:
                assert s3.values[i] == old and c3.counters[0] == 1 and rb.seq == 2, cut
                outcomes["old"] += 1
    assert outcomes["new"] == 2 and outcomes["old"] == 2 * (len(cuts) - 1)


def test_power_cut_in_a_run_of_saves():
    fs = FakeFs()
    st, _s, c, _clock = _boot(fs)
    for k in range(6):  # cut the 6th save at a few points; earlier ones complete
        c.counters[1] = k
        if k == 5:
            fs.budget = 40
            try:
                st.save()
                raise AssertionError("no cut")
            except PowerCut:
                pass
        else:
            st.save()
    fs.budget = None
    rb, _s2, c2, _ = _boot(fs)
    assert c2.counters[1] == 4 and rb.seq == 5
    assert rb.slot_state.count("ok 5") == 1
    assert [x for x in rb.slot_state if x.startswith("corrupt")]


def test_corrupt_slot_detected_other_used():
    fs = FakeFs()
    st, _s, c, _clock = _boot(fs)
    c.counters[2] = 5
    st.save()
    c.counters[2] = 6
    st.save()  # newest in slot b
    data = fs.files["flash/store_b.dat"]
    data[len(data) - 3] ^= 0x01  # one bit flipped in the payload
    rb, _s2, c2, _ = _boot(fs)
    assert rb.slot_state[1] == "corrupt: crc"
    assert rb.slot_state[0] == "ok 1"
    assert c2.counters[2] == 5 and rb.fault == 0
    rb.save()  # the next save goes over the corrupt slot
    assert decode_slot(bytes(fs.files["flash/store_b.dat"]))[0] == 2


def test_both_slots_corrupt_gives_defaults_and_fault():
    fs = FakeFs()
    st, s, _c, _clock = _boot(fs)
    i = _numeric_setting()
    s.set_index(i, SCHEMA[i][1] + 1)
    st.save()
    st.save()
    fs.files["flash/store_a.dat"] = bytearray(b"\xff" * 100)
    fs.files["flash/store_b.dat"][5] = ord("X")
    rb, s2, _c2, _ = _boot(fs)
    assert rb.fault == 1 and "corrupt" in rb.reason
    assert s2.values[i] == SCHEMA[i][1]


def test_format_schema_and_rejected_values():
    assert decode_slot(b"")[0] == -1
    assert decode_slot(b"co2hr-store 9 1 2 00000000\n{}")[1] == "format 9"
    assert decode_slot(encode_slot(1, b'{"v": 99}'))[1] == "schema 99"
    assert decode_slot(encode_slot(1, b'{"v": 1'))[1] == "json"
    good = encode_slot(3, b'{"v": 1}')
    assert decode_slot(good) == (3, {"v": 1})
    assert decode_slot(good[:-1])[1] == "length"
    fs = FakeFs()
    fs.dirs.add("flash")
    name = SCHEMA[0][0]
    payload = ('{"v": 1, "settings": {"%s": 1e9, "gone_setting": 1}, "counters": [1]}'
               % name).encode()
    fs.files["flash/store_a.dat"] = bytearray(encode_slot(1, payload))
    rb, s, c, _ = _boot(fs)
    assert rb.rejected == [name] and rb.fault == 1 and name in rb.reason
    assert s.values[0] == SCHEMA[0][1]  # out of range: default kept
    assert c.counters == [1, 0, 0]  # shorter stored list: the rest stay


def test_debounce_settings_and_counters():
    fs = FakeFs()
    st, s, _c, clock = _boot(fs)
    clock[0] = SETTINGS_DELAY_MS
    st.poll()  # the first-boot save of the defaults
    assert st.saves == 1
    i = _numeric_setting()
    t = clock[0] + MIN_INTERVAL_MS
    for k in range(20):  # a burst of changes, one a second
        clock[0] = t + k * 1000
        s.set_index(i, SCHEMA[i][1] + 1 + (k % 2))
        st.poll()
    assert st.saves == 1
    clock[0] += SETTINGS_DELAY_MS
    st.poll()
    assert st.saves == 2
    st.poll()
    assert st.saves == 2
    s.set_index(i, SCHEMA[i][1])
    clock[0] += SETTINGS_DELAY_MS
    st.poll()
    assert st.saves == 2  # within MIN_INTERVAL_MS of the last save
    clock[0] += MIN_INTERVAL_MS
    st.poll()
    assert st.saves == 3
    clock[0] += COUNTERS_PERIOD_MS
    st.poll()
    assert st.saves == 4  # counters, hourly


def test_write_errors_set_fault_and_retry():
    fs = FakeFs()
    st, _s, _c, clock = _boot(fs)
    st.save()
    fs.fail_writes = True
    st.fault = 0
    clock[0] = COUNTERS_PERIOD_MS
    st.poll()
    assert st.fault == 1 and "cannot write" in st.reason and st.save_errors == 1
    fs.fail_writes = False
    clock[0] += 1000
    st.poll()
    assert st.save_errors == 1 and st.saves == 1  # waits before retrying
    clock[0] += 60000
    st.poll()
    assert st.saves == 2 and st.fault == 0
