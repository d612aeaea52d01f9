# The p_gc trust guard (co2hr.hp_guard) through the whole controller and its real signal
# layer: a frozen transmitter, readings that disagree with p_rec, T3, the discharge
# temperature or the HP switch, and what the controller does while it cannot trust p_gc
# (docs/control.md, "When p_gc cannot be trusted"). The closed-loop proof that the true
# pressure stays below 110 bar is the HIL suite's (hil_tests/test_faultsearch.py).
from ctlkit import Rig

from co2hr import alarms as A
from co2hr import status as S
from co2hr.hp_guard import IMPLAUSIBLE, INVALID, TRUSTED, WAIT
from co2hr.io import (
    AI_P_GC,
    AI_P_REC,
    AI_T_AMB,
    AI_T_DISCH,
    AI_T_GC_OUT,
    AO_BEV,
    AO_FAN,
    AO_HPEV,
    DI_FAN_OK,
    DI_HP_OK,
    DO_COMP_ENABLE,
)
from co2hr.signals import F_STUCK

_LEARNED_S = 2400  # running long enough for the discharge model to learn its bias (~3 tau)


def _running(s=_LEARNED_S, eng=None):
    """A rig through its start sequence and s seconds of running at the nominal point."""
    r = Rig()
    for i, v in (eng or {}).items():
        r.eng[i] = v
    r.through_start()
    r.step(s)
    assert r.c.guard.trust == TRUSTED
    return r


def _move(r, i, to, per_s=20.0):
    """Input i moved to `to` at a rate the signal layer accepts (no rate fault)."""
    r.move({i: to}, per_s)


def _active(r, a):
    return r.c.alarms.active[a]


def test_a_frozen_transmitter_is_stuck_after_p_stuck_s_and_not_before():
    r = _running(200)
    r.noise = []  # the p_gc terminal stops moving at all
    r.step(25)
    assert r.c.sig.valid[AI_P_GC]
    r.step(10)
    assert r.c.sig.fault[AI_P_GC] == F_STUCK
    assert r.c.guard.trust == INVALID and r.c.gc.fallback


def test_a_noisy_transmitter_at_a_constant_pressure_is_never_stuck():
    r = _running(200)
    r.step(600)
    assert r.c.sig.valid[AI_P_GC] and r.c.guard.trust == TRUSTED


def test_below_the_receiver_is_implausible_and_latches_until_acknowledged():
    r = _running(200)
    _move(r, AI_P_GC, 36.5)  # still above p_rec 35: plausible
    r.step(5)
    assert r.c.guard.trust == TRUSTED
    _move(r, AI_P_GC, 32.0)  # 3 bar below p_rec while the compressors run
    r.step(2)
    assert r.c.guard.trust == IMPLAUSIBLE and _active(r, A.A_P_GC_IMPLAUSIBLE)
    _move(r, AI_P_GC, 90.0)
    r.step(120)
    assert r.c.guard.trust == IMPLAUSIBLE, "a sensor that lied is not believed by itself"
    r.c.command(0, 1)  # alarm_ack
    r.step(1)
    assert r.c.guard.trust == WAIT
    r.step(60)
    assert r.c.guard.trust == TRUSTED


def test_below_saturation_at_a_subcritical_t3_is_implausible():
    r = _running(200, {AI_T_GC_OUT: 20.0, AI_T_AMB: 15.0, AI_P_GC: 60.0, AI_T_DISCH: 75.0})
    _move(r, AI_P_GC, 55.0)  # p_sat(20 degC) = 57.3 bar: 2.3 bar below, plausible
    r.step(5)
    assert r.c.guard.trust == TRUSTED
    _move(r, AI_P_GC, 53.5)  # 3.8 bar below
    r.step(5)
    assert r.c.guard.trust == IMPLAUSIBLE


def test_the_checks_wait_for_a_settled_run_and_a_warm_day():
    r = _running(200, {AI_T_AMB: 5.0, AI_T_GC_OUT: 8.0, AI_P_GC: 50.0, AI_P_REC: 35.0})
    _move(r, AI_P_GC, 32.0)  # below p_rec, but at 5 degC ambient the checks are off
    r.step(5)
    assert r.c.guard.trust == TRUSTED


def test_a_discharge_temperature_the_reading_cannot_explain():
    r = _running()
    g = r.c.guard
    assert abs(g.residual) < 1.0, "learned: the residual is back near 0"
    r.eng[AI_T_DISCH] += 5.0  # within the 6 K band
    r.step(120)
    assert g.trust == TRUSTED
    r.eng[AI_T_DISCH] += 3.0  # 8 K: p_gc higher than it reads
    r.step(60)
    assert g.trust == IMPLAUSIBLE


def _at_the_ceiling():
    """Running learned at p_gc_max's ceiling on a 40 degC day (reference 104.6 bar)."""
    return _running(eng={AI_T_AMB: 40.0, AI_T_GC_OUT: 41.0, AI_P_GC: 104.0,
                         AI_T_DISCH: 122.0})


def test_a_residual_below_the_latch_already_opens_the_hpev_at_the_ceiling():
    # the same run twice, the discharge temperature 5 K higher in one (p_gc ~4 bar
    # higher than it reads): the limiter opens the HPEV on the hint, trust is kept
    hot, same = _at_the_ceiling(), _at_the_ceiling()
    assert abs(hot.c.guard.residual) < 1.0 and not hot.c.gc.limiting
    assert hot.c.guard.p_hint < 0.0
    hot.eng[AI_T_DISCH] += 5.0
    hot.step(30)
    same.step(30)
    g = hot.c.guard
    assert g.trust == TRUSTED and abs(g.p_hint - (104.0 + (g.residual - 3.0))) < 0.2
    assert hot.c.gc.limiting and not same.c.gc.limiting
    assert hot.out[AO_HPEV] > same.out[AO_HPEV] + 5.0
    hot.eng[AI_T_DISCH] -= 5.0  # back: the hint goes with the residual
    hot.step(60)
    assert g.p_hint < 0.0 and g.trust == TRUSTED


def test_the_fan_alarm_narrows_the_discharge_band():
    r = _running()
    r.eng[DI_FAN_OK] = 0
    r.eng[AI_T_DISCH] += 5.0  # within 6 K, above the 4 K of a failed fan
    r.step(60)
    assert r.c.guard.trust == IMPLAUSIBLE


def test_blind_with_the_fans_failed_stops_the_compressors_until_trusted_again():
    r = _running()
    hpev_before = r.out[AO_HPEV]
    r.eng[DI_FAN_OK] = 0
    r.ok[AI_P_GC] = 0  # the p_gc channel fails
    r.step(3)
    c = r.c
    assert c.guard.blind and c.guard.stop and _active(r, A.A_P_GC_BLIND_STOP)
    assert r.out[DO_COMP_ENABLE] == 0
    r.step(30)
    assert r.out[AO_FAN] == 100.0
    assert r.out[AO_HPEV] >= max(hpev_before, c.gc.fail_pct) - 1e-9
    r.ok[AI_P_GC] = 1
    r.eng[DI_FAN_OK] = 1
    r.eng[10] = 0  # comp_run: the compressors stand still now
    r.step(55)
    assert r.out[DO_COMP_ENABLE] == 0, "valid again, but not trusted for 60 s yet"
    r.step(10)
    assert not c.guard.blind and not c.guard.stop
    r.step(c.start.delay_s + 5)
    assert r.out[DO_COMP_ENABLE] == 1


def test_blind_with_healthy_fans_stops_too_and_reports_the_substitute():
    r = _running()
    c = r.c
    r.ok[AI_P_GC] = 0
    r.step(60)
    assert c.guard.blind and c.guard.stop and r.out[DO_COMP_ENABLE] == 0
    assert r.out[AO_FAN] == 100.0
    # the substitute reads the operating point back from the discharge temperature
    assert abs(c.status[S.ST_P_GC_SUB] - 90.0) < 2.0, c.status[S.ST_P_GC_SUB]


def test_the_protections_act_on_the_substitute_when_it_is_higher():
    r = _running()
    c = r.c
    r.ok[AI_P_GC] = 0  # last good 90 bar
    r.step(40)
    for _ in range(40):  # the discharge temperature climbs: the pressure behind it too
        r.eng[AI_T_DISCH] += 0.5
        r.step(1)
    assert c.guard.p_sub > 100.0 and c.gc.p_prot == c.guard.p_sub
    assert c.fans.safety  # the HP fan safety acts on it


def test_no_start_while_blind():
    r = Rig()
    r.ok[AI_P_GC] = 0
    r.eng[10] = 0  # comp_run off: standing still from boot
    r.step(200)
    assert r.out[DO_COMP_ENABLE] == 0 and r.c.guard.stop


def test_p_rec_invalid_while_running_opens_the_bev():
    r = _running(200)
    r.ok[AI_P_REC] = 0
    r.step(15)
    assert r.out[AO_BEV] == 100.0


def test_p_rec_below_suction_while_running_is_implausible_and_opens_the_bev():
    r = _running(200)
    _move(r, AI_P_REC, 26.5, per_s=5.0)  # p_suc 27: within the 1 bar
    r.step(3)
    assert not r.c.guard.rec_bad
    _move(r, AI_P_REC, 25.0, per_s=5.0)
    r.step(2)
    assert r.c.guard.rec_bad and _active(r, A.A_P_REC_IMPLAUSIBLE)
    r.step(15)
    assert r.out[AO_BEV] == 100.0
    _move(r, AI_P_REC, 35.0, per_s=5.0)
    r.step(30)
    assert r.c.guard.rec_bad, "latched until acknowledged"
    r.c.command(0, 1)
    r.step(1)
    assert not r.c.guard.rec_bad


def test_a_p_gc_frozen_while_the_receiver_moves_is_distrusted_within_seconds():
    r = _running(200)
    r.noise = [1, 2]  # p_gc's terminal freezes; p_rec and p_suc live on
    r.step(2)
    assert r.c.guard.trust == TRUSTED, "a couple of equal samples is no fault"
    for _ in range(3):  # p_rec falls 0.5 bar/s, as when the HPEV sticks nearly shut
        r.eng[AI_P_REC] -= 0.5
        r.step(1)
    assert r.c.guard.trust == IMPLAUSIBLE and r.out[DO_COMP_ENABLE] == 0


def test_a_p_gc_frozen_in_a_steady_plant_waits_for_p_stuck_s():
    r = _running(200)
    r.noise = [1, 2]
    r.step(20)
    assert r.c.guard.trust == TRUSTED


def test_the_hp_switch_open_below_its_re_arm_pressure_distrusts_p_gc():
    r = _running(200)
    assert 80.0 < r.eng[AI_P_GC] < 95.0
    r.eng[DI_HP_OK] = 0  # opened at 115 bar while p_gc reads the nominal ~90 bar
    r.step(3)  # (the switch reaches the guard through the HP ladder: a tick later)
    assert r.c.guard.trust == IMPLAUSIBLE and r.out[DO_COMP_ENABLE] == 0
    r.eng[DI_HP_OK] = 1
    r.step(120)
    assert r.c.guard.trust == IMPLAUSIBLE, "latched until acknowledged"


def test_the_hp_switch_open_with_p_gc_reading_high_is_no_contradiction():
    r = _running(200)
    _move(r, AI_P_GC, 104.0, per_s=2.0)
    r.eng[DI_HP_OK] = 0
    r.step(3)
    assert r.c.guard.trust != IMPLAUSIBLE
