# Crafted and corrupted slot files boot (dual: CPython and MicroPython). A seeded
# generator mutates a good copy (with a valid CRC: wrong types, out-of-range values,
# missing and extra fields, nested junk, wrong versions and sequence numbers; and
# byte-level: truncations, bit flips, overwrites, junk files); each file is booted
# with a real controller, which must tick, and the outcome must be what the rules
# say (storekit.expect_payload): the copy loaded, loaded with a value refused, or
# counted corrupt with the other copy (or the defaults) in use and the alarm on.
# CPython runs 6 400 cases, MicroPython 400 (test_storage_fuzz_cpy.py adds the
# hypothesis searches).
import json
import sys

from storekit import (
    CORRUPT,
    REFUSED,
    U32,
    VALID,
    Rng,
    boot_controller,
    expect_payload,
    flash_with,
    marked_payload,
    marker_of,
)

from co2hr.settings import SCHEMA, Settings
from co2hr.storage import LOAD_DEFAULTS, LOAD_FALLBACK, LOAD_NEWEST, crc32_of, encode_slot

_MPY = sys.implementation.name == "micropython"
_PER_TEST = 100 if _MPY else 1600  # four tests

_JUNK = (-1, 0, 1, 7, U32, U32 + 1, 2 ** 40, -(2 ** 40), 10 ** 30, 0.5, -1e300, 1e300, "", "x",
         "1", [], [1], [[1]], {}, {"a": 1}, None, True, False)
_KEYS = ("v", "seq", "settings", "counters", "boots", "faults")
_NAMES = [row[0] for row in SCHEMA]
_SEQ = 9  # the crafted copy's; the good one beside it has 4


def _edit(rng, d):
    """One field-level change to the payload dict d."""
    kind = rng.below(10)
    junk = rng.pick(_JUNK)
    if kind == 0:
        d[rng.pick(_KEYS)] = junk
    elif kind == 1:
        d.pop(rng.pick(_KEYS), None)
    elif kind == 2 and type(d.get("settings")) is dict:
        d["settings"][rng.pick(_NAMES)] = junk
    elif kind == 3 and type(d.get("settings")) is dict:  # near the range: refused or valid
        row = SCHEMA[rng.below(len(SCHEMA))]
        d["settings"][row[0]] = rng.pick((row[2] - 1, row[3] + 1, row[2], row[3],
                                          row[3] + 0.5, row[2] * 1.0))
    elif kind == 4 and type(d.get("settings")) is dict:  # unknown names are ignored
        d["settings"]["no_such_%d" % rng.below(5)] = junk
    elif kind == 5 and type(d.get("counters")) is list and d["counters"]:
        c = d["counters"]
        c[rng.below(len(c))] = junk
    elif kind == 6:
        d["counters"] = rng.pick(([0] * 193, [U32] * 192, [], [1, 2, 3, 4, 5], junk))
    elif kind == 7:
        d[rng.pick(("x", "V", "Settings", "seq ", ""))] = junk
    elif kind == 8:
        d["seq"] = rng.pick((_SEQ, _SEQ + 1, -_SEQ, float(_SEQ), str(_SEQ)))
    else:
        d["v"] = rng.pick((1, 1.0, 2, 0, "1", True))


def _check(fs, expect, what, other, boots=4):
    """Boot fs with a controller; the crafted copy should count as `expect`; `other`:
    the marker of the good copy beside it (None: no other copy); boots: the boot count
    a loaded crafted copy gives."""
    st, r = boot_controller(fs)
    marker = marker_of(r.settings)
    if expect == CORRUPT:
        assert st.fault == 1 and st.fallback, (what, st.reason)
        if other is None:
            assert st.loaded == LOAD_DEFAULTS and marker == 0, (what, st.reason)
        else:
            assert st.loaded == LOAD_FALLBACK and marker == other, (what, st.reason)
    else:
        assert st.loaded == LOAD_NEWEST and not st.fallback, (what, st.reason)
        assert st.fault == (1 if expect == REFUSED else 0), (what, st.reason)
        assert (len(st.rejected) > 0) == (expect == REFUSED), (what, st.rejected)
        assert st.boot_count == boots, (what, st.boot_count)


def test_field_edits_with_a_valid_crc():
    rng = Rng(0x5EED0001)
    seen = {VALID: 0, REFUSED: 0, CORRUPT: 0}
    for n in range(_PER_TEST):
        d = marked_payload(_SEQ, 2)
        for _k in range(1 + rng.below(3)):
            _edit(rng, d)
        text = json.dumps(d)
        expect = expect_payload(text, _SEQ)
        seen[expect] += 1
        other = 1 if n % 3 else None
        older = encode_slot(4, json.dumps(marked_payload(4, 1)).encode()) if other else None
        _check(flash_with(older, encode_slot(_SEQ, text.encode())), expect, text, other,
               min(d.get("boots", 0) + 1, U32) if expect != CORRUPT else 0)
    for k in seen:  # the generator reaches every outcome
        assert seen[k] > _PER_TEST // 20, seen


def _header(rng, payload):
    n, crc = len(payload), crc32_of(payload)
    seq = rng.pick(("%d" % _SEQ, "-%d" % _SEQ, "+%d" % _SEQ, "0%d" % _SEQ, "%d.0" % _SEQ,
                    "1073741824", "%d" % (2 ** 40), "x", "", "%d %d" % (_SEQ, _SEQ)))
    fields = ["co2hr-store", "1", seq, "%d" % n, "%08x" % crc]
    k = rng.below(4)
    if k == 0:
        fields[1] = rng.pick(("0", "2", "-1", "1.0", "01"))
    elif k == 1:
        fields[3] = rng.pick(("%d" % (n + 1), "%d" % (n - 1), "-%d" % n, "%x" % n))
    elif k == 2:
        fields[4] = rng.pick(("%08X" % crc, "%x" % crc, "%08x" % (crc ^ 1), "0x%08x" % crc))
    sep = rng.pick((" ", " ", "  ", "\t"))
    return (sep.join(fields) + "\n").encode() + payload


def test_crafted_headers_with_a_valid_crc():
    rng = Rng(0x5EED0002)
    payload = json.dumps(marked_payload(_SEQ, 2)).encode()
    canonical = encode_slot(_SEQ, payload)
    for n in range(_PER_TEST):
        data = _header(rng, payload)
        expect = VALID if data == canonical else CORRUPT
        other = 1 if n % 3 else None
        older = encode_slot(4, json.dumps(marked_payload(4, 1)).encode()) if other else None
        _check(flash_with(older, data), expect, data[:60], other)


def _damage(rng, data):
    kind = rng.below(5)
    b = bytearray(data)
    if kind == 0:  # a cut save, the rest missing or erased
        cut = rng.below(len(b))
        b = b[:cut] + (b"\xff" * rng.below(64) if rng.below(2) else b"")
    elif kind == 1:  # bit flips
        for _k in range(1 + rng.below(4)):
            p = rng.below(len(b))
            b[p] ^= 1 << rng.below(8)
    elif kind == 2:  # a run of bytes overwritten
        p = rng.below(len(b))
        for k in range(p, min(len(b), p + 1 + rng.below(16))):
            b[k] = rng.below(256)
    elif kind == 3:  # a junk file
        b = bytearray(rng.below(256) for _k in range(rng.below(300)))
    else:  # twice the file, or an extra byte
        b = b + (b if rng.below(2) else b"\n")
    return bytes(b)


def test_damaged_files():
    rng = Rng(0x5EED0003)
    good = encode_slot(_SEQ, json.dumps(marked_payload(_SEQ, 2)).encode())
    older = encode_slot(4, json.dumps(marked_payload(4, 1)).encode())
    for n in range(_PER_TEST):
        data = _damage(rng, good)
        if data == good:
            continue
        other = 1 if n % 3 else None
        _check(flash_with(older if other else None, data), CORRUPT, data[:60], other)


def test_both_slots_damaged():
    rng = Rng(0x5EED0004)
    good_b = encode_slot(_SEQ, json.dumps(marked_payload(_SEQ, 2)).encode())
    good_a = encode_slot(4, json.dumps(marked_payload(4, 1)).encode())
    for _n in range(_PER_TEST):
        a = _damage(rng, good_a) if rng.below(4) else None
        b = _damage(rng, good_b)
        if a == good_a or b == good_b:
            continue
        st, r = boot_controller(flash_with(a, b))
        assert st.loaded == LOAD_DEFAULTS and st.fault == 1
        assert r.settings.values == Settings().values
