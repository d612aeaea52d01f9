# The order between settings (co2hr.settings_control ORDER: the HP ladder, the receiver
# limits, the min/max pairs) as a master on the bus meets it, with raw Modbus frames
# (dual: CPython and MicroPython): a write that would break an order gets exception 3
# and changes nothing (read back, settings version, event log); one FC 16 over several
# settings is checked as a whole; a stored copy out of order boots with that group's
# defaults and the storage alarm. The truth the random writes are held to is computed
# here on the raw register words read back with FC 3, not by the firmware's check.
import sys

import evkit as K
from fakefs import FakeFs
from modbus_fixture import BOARD, FlashHw, h, make_app, req, u16, unlock
from storekit import Rng, boot_controller, flash_with, good_payload

from co2hr.boot import build
from co2hr.modbus.registers import setting_address
from co2hr.settings import HP_FIRST, ORDER, SCHEMA, Settings, index
from co2hr.storage import encode_slot

_MPY = sys.implementation.name == "micropython"
# random writes per test_random_writes_* (8 of them): 10 000 inside MicroPython, in
# batches because the in-MicroPython runner collects between tests, never inside one (see
# rig.targets.vm on collections inside live frames); 3 000 in CPython, where
# test_settings_order_props_cpy adds 10 000 from hypothesis
_N_RANDOM = 1250 if _MPY else 375
# every setting some order names, and the span of holding addresses they cover
# The supermarket's constraints (the heat pump's settings are served on a heat pump
# only: test_hp_app.py checks its order over Modbus).
_SM = [c for c in range(0, len(ORDER), 3) if ORDER[c] < HP_FIRST]
_ORDERED = sorted(set([ORDER[c] for c in _SM] + [ORDER[c + 1] for c in _SM]))
_LO = setting_address(_ORDERED[0])
_HI = setting_address(_ORDERED[-1])


def _raw(k, v):
    return int(round(v * SCHEMA[k][5])) & 0xFFFF


def _read(app, a, n):
    r = h(req(app, "03 %04x %04x" % (a, n)))
    assert r[0] == 3 and r[1] == 2 * n, r
    return [(r[2 + 2 * j] << 8) | r[3 + 2 * j] for j in range(n)]


def _fc6(app, k, v):
    return req(app, "06 %04x %04x" % (setting_address(k), _raw(k, v)))


def _fc16(app, a, words):
    return req(app, "10 %04x %04x %02x " % (a, len(words), 2 * len(words))
               + "".join(u16(w) for w in words))


def _ordered_words(words, base):
    """Whether the raw holding words from address base keep every order (the ladder's
    members share their scale, so raw words compare directly)."""
    for c in _SM:
        lo = words[setting_address(ORDER[c]) - base]
        hi = words[setting_address(ORDER[c + 1]) - base]
        if hi - lo < ORDER[c + 2]:
            return False
    return True


def test_defaults_keep_every_order_and_each_pair_shares_its_scale():
    assert Settings().broken() == -1
    for c in range(0, len(ORDER), 3):
        a, b = SCHEMA[ORDER[c]], SCHEMA[ORDER[c + 1]]
        assert a[5] == b[5] and a[4] == b[4], (a, b)
        assert ORDER[c + 2] >= 0
        if ORDER[c] < HP_FIRST:
            assert a[2] >= 0  # (unsigned words compare as numbers: _ordered_words)


def test_hp_ladder_maxima_stay_below_the_design_limit():
    """The ranges alone keep the ladder 1 bar apart and the stop 1 bar below 110 bar."""
    top = [SCHEMA[index(n)][3] for n in ("p_gc_max_bar", "p_hp_ovr_bar", "p_hp_stop_bar")]
    assert top == [107, 108, 109]
    for n in ("p_hr_max_bar", "p_ref_fail_bar", "p_hp_alarm_bar"):
        assert SCHEMA[index(n)][3] <= 108, n


def test_fc6_that_breaks_an_order_gets_exception_3_and_changes_nothing():
    fs = FakeFs()
    fs.dirs.add("flash")
    app = build(FlashHw(fs), BOARD, "flash")
    s = app.control.settings
    unlock(app)
    n_set = len(_settings_logged(app))
    before = _read(app, 0, _HI + 1)
    ver = s.version
    k = index("p_hp_stop_bar")
    assert _fc6(app, k, 100) == "8603"  # below the override (106.5) + 1
    assert _fc6(app, index("p_gc_max_bar"), 107) == "8603"  # above the alarm (106)
    assert _fc6(app, index("p_hp_alarm_bar"), 106.5) == "8603"  # not below the override
    assert _fc6(app, index("p_rec_lo_bar"), 40) == "8603"  # above the setpoint (35) - 1
    assert _fc6(app, index("p_rec_hi_bar"), 35.5) == "8603"  # below the setpoint + 1
    assert _fc6(app, index("fan_cut_pct"), 20) == "8603"  # above fan_min_pct (15)
    assert _fc6(app, index("t_w_out_sp_c"), 86) == "8603"  # within 5 K of t_w_max (90)
    assert _read(app, 0, _HI + 1) == before
    assert s.version == ver
    assert len(_settings_logged(app)) == n_set  # refused writes are not logged as changes
    # the same register, in order, is taken (and logged once)
    assert _fc6(app, k, 108) == "06%04x%04x" % (setting_address(k), 1080)
    assert s.version == ver + 1 and len(_settings_logged(app)) == n_set + 1


def _settings_logged(app):
    return [e for e in _entries(app.events) if e[0] == K.EV_SETTING]


def test_fc16_moves_a_whole_ladder_in_one_write_and_refuses_it_inverted():
    app, _hw = make_app()
    unlock(app)
    a0 = setting_address(index("p_gc_max_bar"))
    n = setting_address(index("p_hp_stop_bar")) - a0 + 1
    words = _read(app, a0, n)
    up = list(words)
    for name, v in (("p_gc_max_bar", 107), ("p_hp_alarm_bar", 107.5), ("p_hp_ovr_bar", 108),
                    ("p_hp_stop_bar", 109)):
        up[setting_address(index(name)) - a0] = _raw(index(name), v)
    # one at a time p_gc_max 107 is refused (the alarm and override are still lower) ...
    assert _fc6(app, index("p_gc_max_bar"), 107) == "8603"
    # ... the block is taken whole
    assert _fc16(app, a0, up) == "10%04x%04x" % (a0, n)
    assert _read(app, a0, n) == up
    # inverted (each value in its range) and a change elsewhere in the block: nothing
    inv = list(up)
    inv[setting_address(index("p_rec_sp_bar")) - a0] = 400  # 40 bar: alone it is fine
    for name, v in (("p_gc_max_bar", 100), ("p_hp_alarm_bar", 105), ("p_hp_ovr_bar", 104),
                    ("p_hp_stop_bar", 106)):
        inv[setting_address(index(name)) - a0] = _raw(index(name), v)
    assert _fc16(app, a0, inv) == "9003"
    assert _read(app, a0, n) == up
    # FC 23 writes the same way
    assert req(app, "17 %04x 0001 %04x 0001 02 %04x" % (a0, setting_address(
        index("p_hp_ovr_bar")), 1000)) == "9703"
    assert _read(app, a0, n) == up


def _random_writes(seed):
    """Random FC 6 and FC 16 writes over the ordered settings, values in and out of range:
    each is taken exactly when every value is in range and the words after it keep
    every order (computed on the words), else refused with nothing changed."""
    app, _hw = make_app()
    unlock(app)
    rng = Rng(seed)
    n = _HI - _LO + 1
    words = _read(app, _LO, n)
    taken = 0
    for _ in range(_N_RANDOM):
        new = list(words)
        if rng.below(2):
            ks = [_ORDERED[rng.below(len(_ORDERED))]]
        else:
            ks = [k for k in _ORDERED if rng.below(3) == 0] or [_ORDERED[0]]
        in_range = True
        for k in ks:
            row = SCHEMA[k]
            lo, hi = int(row[2] * row[5]), int(row[3] * row[5])
            w = lo + rng.below(hi - lo + 3) - 1  # one step outside now and then
            in_range = in_range and lo <= w <= hi
            new[setting_address(k) - _LO] = w & 0xFFFF
        if len(ks) == 1:
            r = _fc6(app, ks[0], new[setting_address(ks[0]) - _LO] / SCHEMA[ks[0]][5])
        else:
            r = _fc16(app, _LO, new)
        ok = in_range and _ordered_words(new, _LO)
        got = _read(app, _LO, n)
        if ok:
            assert not r.startswith("86") and not r.startswith("90"), (ks, new, r)
            assert got == new
            words = new
            taken += 1
        else:
            assert r in ("8603", "9003"), (ks, new, r)
            assert got == words, ks
        assert _ordered_words(got, _LO)
    assert taken > _N_RANDOM // 20, taken  # the search does move the settings


def test_random_writes_never_leave_an_order_broken_0():
    _random_writes(0x0DE12 + 0)


def test_random_writes_never_leave_an_order_broken_1():
    _random_writes(0x0DE12 + 1)


def test_random_writes_never_leave_an_order_broken_2():
    _random_writes(0x0DE12 + 2)


def test_random_writes_never_leave_an_order_broken_3():
    _random_writes(0x0DE12 + 3)


def test_random_writes_never_leave_an_order_broken_4():
    _random_writes(0x0DE12 + 4)


def test_random_writes_never_leave_an_order_broken_5():
    _random_writes(0x0DE12 + 5)


def test_random_writes_never_leave_an_order_broken_6():
    _random_writes(0x0DE12 + 6)


def test_random_writes_never_leave_an_order_broken_7():
    _random_writes(0x0DE12 + 7)


def _entries(ev):
    import test_eventlog as T

    return T._entries(ev)


def test_a_stored_copy_out_of_order_boots_with_the_group_defaults_and_the_alarm():
    s = Settings()
    s.values[index("p_hp_stop_bar")] = 100  # in its range, below the override
    s.values[index("p_gc_max_bar")] = 100  # of the same group: back to its default too
    s.values[index("p_rec_sp_bar")] = 40  # another group, in order: kept
    fs = flash_with(encode_slot(5, _json(good_payload(5, s))), None)
    st, r = boot_controller(fs)
    v = r.settings.values
    assert st.fault == 1 and "p_hp_stop_bar" in st.reason, st.reason
    assert v[index("p_hp_stop_bar")] == 109 and v[index("p_gc_max_bar")] == 105
    assert v[index("p_rec_sp_bar")] == 40
    assert r.settings.broken() == -1
    assert "p_hp_stop_bar" in st.rejected and "p_gc_max_bar" in st.rejected


def _json(d):
    import json

    return json.dumps(d).encode()
