# Settings and counters storage (dual: CPython and MicroPython): two slots with
# sequence number and CRC survive a power cut after any byte of a save; a first boot
# writes the defaults and is no fault; a corrupt or unreadable copy is a fault and the
# other copy (or the defaults) is used; crafted files with a valid CRC boot; an
# accepted change is on flash within SAVE_WITHIN_MS; the boot count is kept.
import json
import sys

from fakefs import FakeFs, PowerCut
from storekit import (
    U32,
    Counters,
    Rng,
    assert_usable,
    boot,
    boot_controller,
    flash_with,
    good_payload,
    marked_file,
    marker_of,
    numeric_setting,
    slot_file,
)

from co2hr.alarms import A_STORAGE
from co2hr.io import DO_ALARM
from co2hr.settings import SCHEMA, Settings
from co2hr.storage import (
    COUNTERS_PERIOD_MS,
    LOAD_DEFAULTS,
    LOAD_FALLBACK,
    LOAD_FIRST_BOOT,
    LOAD_NEWEST,
    MIN_INTERVAL_MS,
    SAVE_WITHIN_MS,
    SETTLE_MS,
    Store,
    encode_slot,
)
from co2hr.store_load import decode_slot, load

# Every byte under CPython; under MicroPython (whose host build must not collect
# garbage inside a test) every byte of the header and then every 61st byte.
_MPY = sys.implementation.name == "micropython"
_TICKS_MAX = 0x3FFFFFFF


def _cut_points(size):
    if not _MPY:
        return list(range(size + 1))
    return [k for k in range(size + 1) if k < 64 or k % 61 == 0 or k >= size - 2]


# --- first boot, boot count -------------------------------------------------------------
def test_first_boot_writes_defaults_without_a_fault():
    fs = FakeFs()
    st, s, _c, _clock = boot(fs)
    assert st.fault == 0 and st.reason == "", st.reason
    assert st.first_boot and st.loaded == LOAD_FIRST_BOOT and not st.fallback
    assert st.boot_count == 1 and st.fault_count == 0
    assert s.values == Settings().values
    st.poll()  # the first poll writes the defaults
    assert st.saves == 1 and "flash/store_a.dat" in fs.files  # created the folder
    st2 = boot(fs)[0]
    assert st2.fault == 0 and not st2.first_boot and st2.loaded == LOAD_NEWEST
    assert st2.seq == 1 and st2.boot_count == 2


def test_first_boot_raises_no_storage_alarm():
    st, r = boot_controller(FakeFs())
    assert st.fault == 0 and not r.c.alarms.active[A_STORAGE]
    assert not any(r.c.alarms.active) and r.out[DO_ALARM] == 0.0


def test_boot_count_is_kept_and_saved_once_per_boot():
    fs = FakeFs()
    for n in range(1, 4):
        st, _s, _c, clock = boot(fs)
        assert st.boot_count == n
        st.poll()
        assert st.saves == 1
        for t in range(0, 5 * MIN_INTERVAL_MS, 500):
            clock[0] = t
            st.poll()
        assert st.saves == 1  # nothing changed: no second save
    assert json.loads(bytes(fs.files["flash/store_a.dat"]).split(b"\n", 1)[1])["boots"] == 3


# --- round trip, slots, power cuts ------------------------------------------------------
def test_settings_and_counters_round_trip():
    fs = FakeFs()
    st, s, c, clock = boot(fs)
    st.poll()
    i = numeric_setting()
    new = SCHEMA[i][1] + 1
    clock[0] = MIN_INTERVAL_MS
    s.set_index(i, new)
    c.counters[:] = [7, 123456789, U32]
    clock[0] += SETTLE_MS
    st.poll()
    _st2, s2, c2, _ = boot(fs)
    assert s2.values[i] == new
    assert c2.counters == [7, 123456789, U32]


def test_saves_alternate_slots_with_rising_sequence():
    fs = FakeFs()
    st, _s, _c, _clock = boot(fs)
    for _k in range(4):
        assert st.save()
    a = decode_slot(bytes(fs.files["flash/store_a.dat"]))[0]
    b = decode_slot(bytes(fs.files["flash/store_b.dat"]))[0]
    assert (a, b) == (3, 4)
    assert boot(fs)[0].seq == 4


def test_sequence_number_wraps_and_stays_newest():
    fs = flash_with(marked_file(0x3FFFFFFE, 1), marked_file(0x3FFFFFFF, 2))
    st, s, _c, _clock = boot(fs)
    assert st.seq == 0x3FFFFFFF and marker_of(s) == 2 and st.fault == 0
    i = numeric_setting()
    s.set_index(i, SCHEMA[i][1] + 3)
    assert st.save() and st.seq == 0  # written into slot a
    st2, s2, _c, _ = boot(fs)
    assert st2.seq == 0 and st2.slot == 0 and marker_of(s2) == 3 and st2.fault == 0


def test_power_cut_after_every_byte_keeps_the_last_good_or_the_new_copy():
    fs = FakeFs()
    st, s, c, _clock = boot(fs)
    i = numeric_setting()
    old = SCHEMA[i][1]
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
            st2.boot_count = st.boot_count
            load(st2)  # which slot holds the newest copy, as a boot finds it
            try:
                st2.save()
                assert cut == size, cut
            except PowerCut:
                assert cut < size, cut
            f2.budget = None
            rb, s3, c3, _ = boot(f2)  # reboot
            if cut == size:
                assert s3.values[i] == new and c3.counters[0] == 99 and rb.seq == 3
                assert rb.fault == 0, rb.reason
                outcomes["new"] += 1
            else:
                assert s3.values[i] == old and c3.counters[0] == 1 and rb.seq == 2, cut
                # a cut before the first byte leaves the slot as it was; after it, the
                # torn slot is a fault: the change being saved is lost
                assert rb.fault == (1 if cut > 0 else 0), (cut, rb.reason)
                assert rb.loaded == (LOAD_FALLBACK if cut > 0 else LOAD_NEWEST)
                outcomes["old"] += 1
    assert outcomes["new"] == 2 and outcomes["old"] == 2 * (len(cuts) - 1)


def test_power_cut_in_a_run_of_saves():
    fs = FakeFs()
    st, _s, c, _clock = boot(fs)
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
    rb, _s2, c2, _ = boot(fs)
    assert c2.counters[1] == 4 and rb.seq == 5
    assert rb.slot_state.count("ok 5") == 1
    assert [x for x in rb.slot_state if x.startswith("corrupt")]


# --- faults -------------------------------------------------------------------------------
def test_corrupt_newest_copy_raises_the_alarm_and_is_counted():
    fs = FakeFs()
    st, _s, c, _clock = boot(fs)
    c.counters[2] = 5
    st.save()
    c.counters[2] = 6
    st.save()  # newest in slot b
    data = fs.files["flash/store_b.dat"]
    data[len(data) - 3] ^= 0x01  # one bit flipped in the payload
    rb, _s2, c2, _ = boot(fs)
    assert rb.slot_state[1] == "corrupt: crc" and rb.slot_state[0] == "ok 1"
    assert c2.counters[2] == 5  # the older copy
    assert rb.fault == 1 and rb.fallback and rb.loaded == LOAD_FALLBACK
    assert "store_b.dat crc" in rb.reason and rb.fault_count == 1
    rb.poll()  # the next save goes over the corrupt slot
    assert decode_slot(bytes(fs.files["flash/store_b.dat"]))[0] == 2
    assert rb.fault == 1  # still this boot's fault
    rb.acknowledge()
    assert rb.fault == 0 and rb.reason == ""
    again = boot(fs)[0]
    assert again.fault == 0 and again.fault_count == 1  # counted on flash


def test_corrupt_copy_raises_the_controller_alarm():
    fs = flash_with(marked_file(4, 1), marked_file(5, 2)[:-7])  # the newest truncated
    st, r = boot_controller(fs)
    assert st.fault == 1 and st.loaded == LOAD_FALLBACK and marker_of(r.settings) == 1
    assert r.c.alarms.active[A_STORAGE] and r.out[DO_ALARM] == 1.0


def test_both_slots_corrupt_gives_defaults_fault_and_two_good_copies_after():
    fs = FakeFs()
    st, s, _c, _clock = boot(fs)
    i = numeric_setting()
    s.set_index(i, SCHEMA[i][1] + 1)
    st.save()
    st.save()
    fs.files["flash/store_a.dat"] = bytearray(b"\xff" * 100)
    fs.files["flash/store_b.dat"][5] = ord("X")
    rb, s2, _c2, _ = boot(fs)
    assert rb.fault == 1 and "unusable" in rb.reason and rb.loaded == LOAD_DEFAULTS
    assert s2.values[i] == SCHEMA[i][1]
    rb.poll()  # both slots written: the next boot is clean
    assert decode_slot(bytes(fs.files["flash/store_a.dat"]))[0] >= 0
    assert decode_slot(bytes(fs.files["flash/store_b.dat"]))[0] >= 0
    again = boot(fs)[0]
    assert again.fault == 0 and again.loaded == LOAD_NEWEST


def test_unreadable_slot_is_a_fault():
    fs = flash_with(marked_file(4, 1), marked_file(5, 2))
    fs.broken.add("flash/store_b.dat")
    st, s, _c, _clock = boot(fs)
    assert st.fault == 1 and st.loaded == LOAD_FALLBACK and marker_of(s) == 1
    assert "unreadable" in st.reason
    fs.broken.add("flash/store_a.dat")
    st2, s2, _c, _ = boot(fs)
    assert st2.fault == 1 and st2.loaded == LOAD_DEFAULTS and marker_of(s2) == 0
    st2.poll()  # and it cannot write either
    assert st2.save_errors == 1 and "cannot write" in st2.reason and "unusable" in st2.reason


def test_out_of_range_value_is_refused_alone():
    assert decode_slot(b"")[0] == -1
    assert decode_slot(b"co2hr-store 9 1 2 00000000\n{}")[1] == "format 9"
    assert decode_slot(encode_slot(1, b'{"v": 99}'))[1] == "schema"
    assert decode_slot(encode_slot(1, b'{"v": 1'))[1] == "json"
    nested = good_payload(3)
    nested["settings"]["no_such_setting"] = [[[[[[1]]]]]]  # ignored name, but 9 brackets
    assert decode_slot(slot_file(3, nested))[1] == "structure"
    good = slot_file(3, good_payload(3))
    assert decode_slot(good)[0] == 3
    assert decode_slot(good[:-1])[1] == "length"
    name = SCHEMA[0][0]
    d = good_payload(1, counters=[1])
    d["settings"] = {name: 10 ** 9, "gone_setting": [1, "x"]}
    rb, s, c, _ = boot(flash_with(slot_file(1, d), None))
    assert rb.rejected == [name] and rb.fault == 1 and name in rb.reason
    assert rb.loaded == LOAD_NEWEST and rb.fault_count == 1
    assert s.values[0] == SCHEMA[0][1]  # out of range: default kept
    assert c.counters == [1, 0, 0]  # shorter stored list: the rest stay


def test_file_from_older_firmware_loads_clean():
    s = Settings()
    i = numeric_setting()
    s.values[i] = SCHEMA[i][1] + 1
    legacy = {"v": 1, "settings": s.to_dict(), "counters": [0, 5]}  # no seq/boots/faults
    st, s2, c, _ = boot(flash_with(slot_file(7, legacy), None))
    assert st.fault == 0 and st.loaded == LOAD_NEWEST and st.seq == 7
    assert s2.values[i] == SCHEMA[i][1] + 1 and c.counters[1] == 5 and st.boot_count == 1


def test_a_changed_header_seq_cannot_roll_back():
    older = bytearray(marked_file(4, 1))
    older[len("co2hr-store 1 ")] = ord("6")  # header says 6, the payload under the CRC 4
    st, s, _c, _clock = boot(flash_with(bytes(older), marked_file(5, 2)))
    assert marker_of(s) == 2 and st.fault == 1 and "seq mismatch" in st.reason


# --- crafted files with a valid CRC ----------------------------------------------------------
def _header_crafted(seq_text, payload):
    from co2hr.storage import crc32_of

    return ("co2hr-store 1 %s %d %08x\n" % (seq_text, len(payload), crc32_of(payload))).encode() \
        + payload


def test_crafted_headers_boot():
    payload = json.dumps(good_payload(9)).encode()
    for seq in ("-5", "-1", "1073741824", "99999999999999999999", "+9", "09", "9.0", "x", "",
                "9 9", "0x9", "1e3"):
        fs = flash_with(marked_file(4, 1), _header_crafted(seq, payload))
        st, r = boot_controller(fs)
        assert st.loaded == LOAD_FALLBACK and st.fault == 1, (seq, st.reason)
        assert marker_of(r.settings) == 1, seq


def _crafted_payloads():
    """(what, payload dict or JSON text): each a copy this firmware must not load."""
    i = numeric_setting()
    name = SCHEMA[i][0]
    int_name = ""
    for row in SCHEMA:
        if row[5] == 1 and type(row[1]) is int:
            int_name = row[0]
    out = []
    for junk in ("x", ["1"], [[1]], [-1], [U32 + 1], [1.5], [True], [None], {"a": 1}, None,
                 7, [0] * 193):  # (192: the counters and their calendar)
        d = good_payload(9)
        d["counters"] = junk
        out.append(("counters %r" % (junk,), d))
    for junk in ("1", [1], {"a": 1}, None, True, False):
        d = good_payload(9)
        d["settings"][name] = junk
        out.append(("setting %r" % (junk,), d))
    d = good_payload(9)
    d["settings"][int_name] = 1.0
    out.append(("float in an int setting", d))
    for junk in ([], "x", None, 5):
        d = good_payload(9)
        d["settings"] = junk
        out.append(("settings %r" % (junk,), d))
    for key, junk in (("v", "1"), ("v", 1.0), ("v", True), ("v", 2), ("v", None), ("seq", 8),
                      ("seq", "9"), ("seq", 9.0), ("boots", -1), ("boots", "x"),
                      ("boots", U32 + 1), ("faults", 1.5), ("extra", 1)):
        d = good_payload(9)
        d[key] = junk
        out.append(("%s %r" % (key, junk), d))
    for key in ("v", "settings", "counters"):
        d = good_payload(9)
        del d[key]
        out.append(("no " + key, d))
    out.append(("a list", [1, 2]))
    out.append(("a number", 5))
    out.append(("a string", "co2hr"))
    text = json.dumps(good_payload(9)).replace('"boots": 1', '"boots": 1e999')
    out.append(("inf", text))
    out.append(("NaN", json.dumps(good_payload(9)).replace('"boots": 1', '"boots": NaN')))
    out.append(("deep", "[" * 3000 + "]" * 3000))
    out.append(("deep in a key", json.dumps(good_payload(9))[:-1] + ', "x": '
                + "{" * 9 + "}" * 9 + "}"))
    return out


def test_crafted_payloads_with_a_valid_crc_boot_on_the_other_copy():
    for what, d in _crafted_payloads():
        payload = (d if type(d) is str else json.dumps(d)).encode()
        for older in (marked_file(4, 1), None):
            fs = flash_with(older, encode_slot(9, payload))
            st, r = boot_controller(fs)
            assert st.fault == 1, (what, st.reason)
            if older is not None:
                assert st.loaded == LOAD_FALLBACK and marker_of(r.settings) == 1, what
            else:
                assert st.loaded == LOAD_DEFAULTS and marker_of(r.settings) == 0, what


def test_huge_and_junk_files_boot():
    mb = b"co2hr-store 1 5 1048500 00000000\n" + b"[" * 1048500
    junk = (mb, b"\xff" * 4096, b"\x00" * 300, b"\n" * 50, b"co2hr-store" * 40,
            encode_slot(5, b"{" * 16000))
    for data in junk:
        st, r = boot_controller(flash_with(marked_file(4, 1), data))
        assert st.fault == 1 and st.loaded == LOAD_FALLBACK and marker_of(r.settings) == 1
    st, _r = boot_controller(flash_with(mb, mb))
    assert st.loaded == LOAD_DEFAULTS


def test_largest_payload_fits_well_within_what_load_reads():
    s = Settings()
    for i in range(len(SCHEMA)):
        row = SCHEMA[i]
        s.values[i] = row[3] if type(row[1]) is int and row[5] == 1 else row[3] - 1 / 3
    c = Counters(32)
    c.counters[:] = [U32] * 32
    st, _s, _c, _clock = boot(FakeFs())
    st.settings, st.control = s, c
    st.boot_count = st.fault_count = U32
    data = encode_slot(st._next_seq(), st.payload())
    assert len(data) < 4096, len(data)  # load reads up to 16 KB
    assert decode_slot(data)[0] == 1


# --- when a change reaches the flash --------------------------------------------------------
def _run_schedule(gaps_ms, poll_ms=100, t0=0):
    """Changes after the given gaps, polls every poll_ms: (change times, save times,
    store, fs). Checks that every save holds the settings of its moment."""
    fs = FakeFs()
    st, s, _c, clock = boot(fs, t0)
    i = numeric_setting()
    row = SCHEMA[i]
    t = t0
    changes = []
    saves = []
    k = 0
    next_change = t0 + gaps_ms[0]
    end = t0 + sum(gaps_ms) + 3 * SAVE_WITHIN_MS
    while ticks_lt(t, end):
        clock[0] = t
        if k < len(gaps_ms) and t == next_change:
            s.set_index(i, row[2] + (k % 2) * (row[3] - row[2]))
            changes.append(t)
            k += 1
            if k < len(gaps_ms):
                next_change = (next_change + gaps_ms[k]) & _TICKS_MAX
        n = st.saves
        st.poll()
        if st.saves != n:
            saves.append(t)
            path = "flash/store_" + "ab"[st.slot] + ".dat"
            stored = decode_slot(bytes(fs.files[path]))[1]["settings"]
            assert stored[row[0]] == s.values[i]
        t = (t + poll_ms) & _TICKS_MAX
    return changes, saves


def ticks_lt(a, b):
    return ((a - b + 0x20000000) & _TICKS_MAX) - 0x20000000 < 0


def _check_bound(changes, saves, poll_ms=100):
    j = 0
    for tc in changes:  # the first save at or after each change, within the bound
        while j < len(saves) and ticks_lt(saves[j], tc):
            j += 1
        assert j < len(saves), ("never saved", tc)
        lag = (saves[j] - tc) & _TICKS_MAX
        assert lag <= SAVE_WITHIN_MS + poll_ms, (tc, lag)
    for k in range(2, len(saves)):  # the boot save (saves[0]) and then the floor
        gap = (saves[k] - saves[k - 1]) & _TICKS_MAX
        assert gap >= MIN_INTERVAL_MS, (saves[k - 1], saves[k])


def test_a_change_is_saved_once_it_settles():
    changes, saves = _run_schedule([MIN_INTERVAL_MS * 2])
    assert saves[1] - changes[0] == SETTLE_MS and len(saves) == 2


def test_an_accepted_change_is_on_flash_within_save_within_ms():
    assert SETTLE_MS <= MIN_INTERVAL_MS <= SAVE_WITHIN_MS <= 5000
    rng = Rng(12345)
    for t0 in (0, _TICKS_MAX - 30000):  # and across the ticks wrap
        gaps = []
        for _k in range(60 if not _MPY else 25):
            kind = rng.below(4)
            gaps.append(100 * (1 + rng.below(5 if kind < 2 else 90)))  # bursts and pauses
        changes, saves = _run_schedule(gaps, t0=t0)
        _check_bound(changes, saves)


def test_a_master_changing_settings_non_stop_is_rate_bounded():
    n = 3000 if not _MPY else 600  # one change every 100 ms: 300 s (60 s)
    changes, saves = _run_schedule([100] * n)
    _check_bound(changes, saves)
    assert len(saves) <= 2 + n * 100 // MIN_INTERVAL_MS, len(saves)


def test_counters_are_saved_every_period():
    fs = FakeFs()
    st, _s, c, clock = boot(fs)
    st.poll()
    for k in range(1, 4):
        c.counters[1] = k
        clock[0] = k * COUNTERS_PERIOD_MS - 1000
        st.poll()
        assert st.saves == k
        clock[0] = k * COUNTERS_PERIOD_MS
        st.poll()
        assert st.saves == k + 1
    assert boot(fs)[2].counters[1] == 3


def test_write_errors_set_fault_and_retry():
    fs = FakeFs()
    st, _s, _c, clock = boot(fs)
    st.poll()
    assert st.fault == 0 and st.saves == 1
    fs.fail_writes = True
    clock[0] = COUNTERS_PERIOD_MS
    st.poll()
    assert st.fault == 1 and "cannot write" in st.reason and st.save_errors == 1
    assert st.fault_count == 1
    clock[0] += MIN_INTERVAL_MS
    st.poll()  # retried, failing again: one fault, two errors
    assert st.save_errors == 2 and st.fault_count == 1
    fs.fail_writes = False
    clock[0] += 1000
    st.poll()
    assert st.saves == 1  # waits before retrying
    clock[0] += MIN_INTERVAL_MS
    st.poll()
    assert st.saves == 2 and st.fault == 0 and st.reason == ""
    assert_usable(st, st.settings, st.control.counters)


def test_stored_settings_reach_the_controller_after_a_boot():
    """boot.build makes the controller before the store loads the stored settings: the
    controller must take them at its first tick (the receiver setpoint, the heat meter),
    not run on the defaults it was made with until a setting is written."""
    fs = FakeFs()
    st, r = boot_controller(fs)
    r.settings.set("p_rec_sp_bar", 38)
    r.settings.set("hr_meter_wh_per_pulse", 10)
    st.save()
    _st2, r2 = boot_controller(fs)
    assert r2.settings.get("p_rec_sp_bar") == 38
    assert r2.c.rec.sp == 38
    assert r2.c.energy.meter.wh_per_pulse == 10
