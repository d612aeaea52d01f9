"""Hypothesis searches over stored copies (CPython): any JSON value in any field of a
copy with a valid CRC, any header, any damage to a good file, any pair of slots, and
any schedule of setting changes. Every file must boot (a controller built on what
load() left, ticking) with the outcome storekit.expect_payload states; every accepted
change must reach the flash within SAVE_WITHIN_MS. 4 000 files here and
test_storage_crafted.py's 6 400: over 10 000 in all."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from storekit import (
    CORRUPT,
    REFUSED,
    U32,
    boot_controller,
    expect_payload,
    flash_with,
    marked_payload,
    marker_of,
)
from test_storage import _check_bound, _run_schedule

from co2hr.settings import SCHEMA
from co2hr.storage import (
    LOAD_DEFAULTS,
    LOAD_FALLBACK,
    LOAD_NEWEST,
    SAVE_WITHIN_MS,
    crc32_of,
    encode_slot,
)


def profile(n):
    return settings(max_examples=n, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

_NAMES = [row[0] for row in SCHEMA]
_KEYS = ["v", "seq", "settings", "counters", "boots", "faults"]
_SEQ = 9

scalars = (st.none() | st.booleans() | st.integers(-(2 ** 70), 2 ** 70)
           | st.integers(-3, U32 + 3) | st.floats() | st.text(max_size=6))
values = st.recursive(scalars, lambda ch: st.lists(ch, max_size=4)
                      | st.dictionaries(st.text(max_size=4), ch, max_size=3), max_leaves=8)


def _near_range(i):
    row = SCHEMA[i]
    return (st.integers(int(row[2]) - 3, int(row[3]) + 3)
            | st.floats(row[2] - 2.0, row[3] + 2.0))


_OLDER = encode_slot(4, json.dumps(marked_payload(4, 1)).encode())


@st.composite
def edited_payloads(draw):
    d = marked_payload(_SEQ, 2)
    for _k in range(draw(st.integers(1, 4))):
        where = draw(st.sampled_from(["top", "drop", "setting", "near", "counter", "extra"]))
        if where == "top":
            d[draw(st.sampled_from(_KEYS))] = draw(values)
        elif where == "drop":
            d.pop(draw(st.sampled_from(_KEYS)), None)
        elif where == "extra":
            d[draw(st.text(max_size=6))] = draw(values)
        elif type(d.get("settings")) is dict and where in ("setting", "near"):
            i = draw(st.integers(0, len(SCHEMA) - 1))
            d["settings"][_NAMES[i]] = draw(values if where == "setting" else _near_range(i))
        elif type(d.get("counters")) is list and d["counters"]:
            c = d["counters"]
            c[draw(st.integers(0, len(c) - 1))] = draw(values)
    return json.dumps(d)


def _boot_expecting(fs, expect, other, what):
    st_, r = boot_controller(fs)
    marker = marker_of(r.settings)
    if expect == CORRUPT:
        assert st_.fault == 1 and st_.fallback, (what, st_.reason)
        assert st_.loaded == (LOAD_FALLBACK if other else LOAD_DEFAULTS), (what, st_.reason)
        assert marker == (other or 0), what
    else:
        assert st_.loaded == LOAD_NEWEST and st_.fault == (expect == REFUSED), (what, st_.reason)
    return st_


@profile(1200)
@given(text=edited_payloads(), other=st.sampled_from([1, None]))
def test_any_field_values_with_a_valid_crc(text, other):
    data = encode_slot(_SEQ, text.encode())
    _boot_expecting(flash_with(_OLDER if other else None, data), expect_payload(text, _SEQ),
                    other, text)


@profile(1000)
@given(fmt=st.sampled_from(["1", "1", "2", "01"]),
       seq=st.integers(-(2 ** 40), 2 ** 40).map(str) | st.text(max_size=8)
       | st.integers(0, 2 ** 30 + 2).map(str),
       dlen=st.sampled_from([0, 0, 0, 1, -1]), crc_xor=st.sampled_from([0, 0, 0, 1]),
       sep=st.sampled_from([" ", " ", "  ", "\t"]))
def test_any_header_with_a_valid_crc(fmt, seq, dlen, crc_xor, sep):
    payload = json.dumps(marked_payload(_SEQ, 2)).encode()
    head = sep.join(["co2hr-store", fmt, seq, str(len(payload) + dlen),
                     "%08x" % (crc32_of(payload) ^ crc_xor)]) + "\n"
    data = head.encode("utf-8", "surrogatepass") + payload
    ok = data == encode_slot(_SEQ, payload)
    st_, r = boot_controller(flash_with(_OLDER, data))
    marker = marker_of(r.settings)
    if ok:
        assert st_.fault == 0 and marker == 2  # 9 is newer than 4
    else:
        assert st_.fault == 1 and st_.loaded == LOAD_FALLBACK and marker == 1, head


@st.composite
def damaged(draw, good):
    kind = draw(st.sampled_from(["cut", "flip", "overwrite", "junk", "huge", "append"]))
    b = bytearray(good)
    if kind == "cut":
        b = b[:draw(st.integers(0, len(b) - 1))] + b"\xff" * draw(st.integers(0, 64))
    elif kind == "flip":
        for p, bit in draw(st.lists(st.tuples(st.integers(0, len(b) - 1), st.integers(0, 7)),
                                    min_size=1, max_size=8)):
            b[p] ^= 1 << bit
    elif kind == "overwrite":
        p = draw(st.integers(0, len(b) - 1))
        junk = draw(st.binary(min_size=1, max_size=32))
        b[p:p + len(junk)] = junk
    elif kind == "junk":
        b = bytearray(draw(st.binary(max_size=400)))
    elif kind == "huge":  # a header that promises 1 MB, and the megabyte
        b = bytearray(b"co2hr-store 1 9 1048576 00000000\n") + bytes(draw(st.binary(
            min_size=1, max_size=1))) * (1 << 20)
    else:
        b += draw(st.binary(min_size=1, max_size=8))
    return bytes(b)


_GOOD = encode_slot(_SEQ, json.dumps(marked_payload(_SEQ, 2)).encode())


@profile(1200)
@given(data=damaged(_GOOD), other=st.sampled_from([1, None]))
def test_any_damage_to_a_good_file(data, other):
    if data == _GOOD:
        return
    _boot_expecting(flash_with(_OLDER if other else None, data), CORRUPT, other, data[:80])


@profile(600)
@given(a=st.none() | damaged(_OLDER) | st.just(_OLDER), b=st.none() | damaged(_GOOD)
       | st.just(_GOOD) | edited_payloads().map(lambda t: encode_slot(_SEQ, t.encode())))
def test_any_pair_of_slots(a, b):
    st_, r = boot_controller(flash_with(a, b))
    marker = marker_of(r.settings)
    if a is None and b is None:
        assert st_.first_boot and st_.fault == 0
    if st_.loaded == LOAD_DEFAULTS:
        assert marker == 0 and st_.fault == 1
    if a == _OLDER and b == _GOOD:
        assert st_.fault == 0 and marker == 2
    r.step(3)  # and it goes on ticking after the save of the first poll


@profile(150)
@given(gaps=st.lists(st.integers(1, 120).map(lambda k: 100 * k), min_size=1, max_size=40),
       poll_ms=st.sampled_from([10, 100, 500, 1000]),
       t0=st.sampled_from([0, 0x3FFFFFFF - 20000]))
def test_any_change_schedule_reaches_the_flash_in_time(gaps, poll_ms, t0):
    gaps = [max(poll_ms, g - g % poll_ms) for g in gaps]  # changes fall on polls
    changes, saves = _run_schedule(gaps, poll_ms, t0)
    _check_bound(changes, saves, poll_ms)
    assert SAVE_WITHIN_MS <= 5000
