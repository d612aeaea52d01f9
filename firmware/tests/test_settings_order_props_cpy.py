# The order between settings under a hypothesis search (CPython; a seeded sample runs
# inside MicroPython in test_settings_order.py): 10 000 random single and multi-register
# writes (FC 6, FC 16 over spans of the ordered settings, FC 23) never leave an ordered
# group out of order, each is taken exactly when its values are in range and keep every
# order (computed on the words read back), and a refused one changes nothing. Also: the
# index constants ORDER is written with name the rows they stand for.
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from modbus_fixture import make_app, req, unlock
from test_settings_order import _HI, _LO, _ORDERED, _fc16, _ordered_words, _read

from co2hr.modbus.registers import setting_address
from co2hr.settings import SCHEMA

_EXAMPLES = 200
_WRITES = 50  # per example: 10 000 writes in all


def _word(k):
    row = SCHEMA[k]
    lo, hi = int(row[2] * row[5]), int(row[3] * row[5])
    return st.integers(lo - 2, hi + 2)  # a little outside the range too


def _write():
    one = st.sampled_from(_ORDERED).flatmap(lambda k: st.tuples(st.just("fc6"), st.just([k]),
                                                                st.lists(_word(k), min_size=1,
                                                                         max_size=1)))
    many = st.lists(st.sampled_from(_ORDERED), min_size=1, unique=True).flatmap(
        lambda ks: st.tuples(st.sampled_from(["fc16", "fc23"]), st.just(sorted(ks)),
                             st.tuples(*[_word(k) for k in sorted(ks)]).map(list)))
    return one | many


@settings(max_examples=_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_write(), min_size=_WRITES, max_size=_WRITES))
def test_random_writes_keep_every_order(writes):
    app, _hw = make_app()
    unlock(app)
    n = _HI - _LO + 1
    words = _read(app, _LO, n)
    for fc, ks, ws in writes:
        new = list(words)
        in_range = True
        for k, w in zip(ks, ws):
            row = SCHEMA[k]
            in_range = in_range and row[2] * row[5] <= w <= row[3] * row[5]
            new[setting_address(k) - _LO] = w & 0xFFFF
        if fc == "fc6":
            a = setting_address(ks[0])
            r = req(app, "06 %04x %04x" % (a, new[a - _LO]))
        elif fc == "fc16":
            r = _fc16(app, _LO, new)
        else:  # FC 23: the block written, then one register read
            r = req(app, "17 %04x 0001 %04x %04x %02x " % (_LO, _LO, n, 2 * n)
                    + "".join("%04x" % w for w in new))
        ok = in_range and _ordered_words(new, _LO)
        got = _read(app, _LO, n)
        if ok:
            assert r[:2] in ("06", "10", "17"), (fc, ks, ws, r)
            assert got == new
            words = new
        else:
            assert r in ("8603", "9003", "9703"), (fc, ks, ws, r)
            assert got == words
        assert _ordered_words(got, _LO)


def test_order_index_constants_name_their_rows():
    src = (Path(__file__).resolve().parents[1] / "co2hr" / "settings_control.py").read_text()
    names = [row[0] for row in SCHEMA]
    found = 0
    for m in re.finditer(r"^_([A-Z0-9_]+) = const\((\d+)\)", src, re.M):
        name = m.group(1).lower()
        if name in names:
            assert names.index(name) == int(m.group(2)), name
            found += 1
    assert found >= 14
