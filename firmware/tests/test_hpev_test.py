# The HPEV flow test after an HP stop (co2hr.hpev_test; docs/control.md, "HPEV flow test
# after an HP stop") through the whole controller and its real signal layer: a valve
# that lets p_gc meet p_rec costs the restart nothing, one that does not locks the
# compressors out until its own alarm is acknowledged. The closed-loop proof against the
# plant (a drifting p_gc with the HPEV stuck) is hil_tests/test_faultsearch.py's.
from ctlkit import Rig, command_index

from co2hr import alarms as A
from co2hr import status as S
from co2hr.hpev_test import HpevTest
from co2hr.io import AI_P_GC, AI_P_REC, DO_COMP_ENABLE, DO_INJ_STOP, N_IN


def _hp_stop():
    """A rig running at the nominal point, then an HP stop (p_gc at 114 bar)."""
    r = Rig()
    r.comp_follows = True  # the compressors stand still while the enable is off
    r.through_start()
    r.step(30)
    r.eng[AI_P_GC] = 114.0
    r.step(2)
    assert r.c.gc.comp_stop and r.out[DO_COMP_ENABLE] == 0.0 and r.c.gc.stops == 1
    return r


def _blocked(r):
    return r.c.alarms.active[A.A_HPEV_BLOCKED]


def _enable_back_s(r, limit_s):
    for k in range(limit_s):
        if r.out[DO_COMP_ENABLE] > 0.5:
            return k
        r.step()
    return None


def test_a_valve_that_passes_flow_costs_the_restart_nothing():
    r = _hp_stop()
    r.meet(50.0)  # the open HPEV: p_gc falls to p_rec within seconds
    r.step(5)  # (the reading's filter follows)
    assert not r.c.hpev_test.pending and r.c.gc.comp_stop  # the test ended first
    assert _enable_back_s(r, 200) is not None
    assert not _blocked(r) and not r.c.hpev_test.blocked


def test_a_valve_that_does_not_locks_the_compressors_out_until_acknowledged():
    r = _hp_stop()
    r.move({AI_P_GC: 75.0}, 2.0)  # the gas cooler cools, but p_gc stays 40 bar over p_rec
    r.step(60)
    assert _blocked(r) and r.c.hpev_test.blocked
    assert _enable_back_s(r, 600) is None  # not after comp_restart_s, nor much later
    assert r.out[DO_INJ_STOP] == 1.0  # a safety stop, not the operator's
    r.c.command(command_index("alarm_ack_code"), r.c.alarms.code[A.A_HP_STOP])  # another alarm's
    r.step(5)
    assert _blocked(r) and r.out[DO_COMP_ENABLE] == 0.0
    r.c.command(command_index("alarm_ack_code"), r.c.alarms.code[A.A_HPEV_BLOCKED])
    r.step()
    assert not _blocked(r)
    assert _enable_back_s(r, 120) is not None  # through the start sequence again


def test_acknowledging_all_ends_the_lockout_too():
    r = _hp_stop()
    r.move({AI_P_GC: 75.0}, 2.0)
    r.step(60)
    assert _blocked(r)
    r.c.command(S.CMD_ALARM_ACK, 1)
    assert _enable_back_s(r, 120) is not None and not _blocked(r)


def test_without_p_rec_nothing_is_judged_and_the_restart_goes():
    r = _hp_stop()
    r.ok[AI_P_REC] = 0  # the receiver transmitter fails in the standstill
    r.move({AI_P_GC: 75.0}, 2.0)
    assert _enable_back_s(r, 300) is not None
    assert not _blocked(r)


class _Sig:
    def __init__(self, p_gc_bar, p_rec_bar):
        self.valid = bytearray([1] * N_IN)
        self.value = [0.0] * N_IN
        self.value[AI_P_GC] = p_gc_bar
        self.value[AI_P_REC] = p_rec_bar


def _run(t, sig, still, pct, s, now_s):
    held = 0
    for _k in range(s):
        now_s += 1.0
        held = t.step(sig, still, 1, pct, 1.0, now_s)
    return held, now_s


def test_only_standstill_with_the_hpev_open_counts():
    t = HpevTest()
    sig = _Sig(90.0, 40.0)
    held, now = _run(t, sig, 1, 20.0, 50, 0.0)  # the output ramping open: not counted
    held, now = _run(t, sig, 0, 60.0, 10, now)  # the compressors still turning: neither
    held, now = _run(t, sig, 1, 60.0, 59, now)
    assert held and t.pending and not t.blocked
    held, now = _run(t, sig, 1, 60.0, 1, now)  # the 60th second open and still
    assert held and t.blocked and not t.pending


def test_a_valve_held_shut_is_not_judged_and_the_restart_goes_after_180_s():
    t = HpevTest()
    sig = _Sig(90.0, 40.0)
    held, now = _run(t, sig, 1, 0.0, 180, 0.0)  # (the stop was seen at 1 s)
    assert held and t.pending
    held, now = _run(t, sig, 1, 0.0, 1, now)
    assert not held and not t.blocked


def test_each_hp_stop_starts_a_test():
    t = HpevTest()
    sig = _Sig(45.0, 40.0)
    assert t.step(sig, 1, 0, 50.0, 1.0, 1.0) == 0  # no HP stop yet: nothing held
    assert t.step(sig, 1, 1, 50.0, 1.0, 2.0) == 0  # met at once: nothing held
    sig.value[AI_P_GC] = 95.0
    assert t.step(sig, 1, 2, 50.0, 1.0, 3.0) == 1 and t.pending  # the next stop
