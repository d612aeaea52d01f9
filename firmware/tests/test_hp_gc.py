# The heat pump's HPEV loop and high-side protections (co2hr.hp_gc): the stop a tick
# ahead of a runaway, its causes and their hysteresis, the lockout after repeated
# pressure stops, and the valve waiting at its start opening. The loop on the plant,
# through a board: hil_tests/test_heatpump.py.
from co2hr.hp_gc import STOP_BLIND, STOP_DISCH, STOP_NONE, STOP_P_GC, STOP_SWITCH, HpGc
from co2hr.io import AI_P_GC, AI_T_DISCH, AI_T_GC_OUT, AI_T_W_IN, DI_HP_OK, N_IN
from co2hr.settings import Settings

TE_C = -8.0
SP_C = 70.0


class Sig:
    """The Signals a loop reads: values, their validity and the unfiltered samples."""

    def __init__(self):
        self.value = [0.0] * N_IN
        self.valid = [1] * N_IN
        self.sample = [0.0] * N_IN
        self.value[DI_HP_OK] = 1.0
        self.value[AI_T_GC_OUT] = 43.0
        self.value[AI_T_W_IN] = 40.0
        self.value[AI_T_DISCH] = 100.0
        self.p(90.0)

    def p(self, bar):
        self.value[AI_P_GC] = bar
        self.sample[AI_P_GC] = bar


def make():
    g = HpGc()
    g.configure(Settings())  # p_max 104, override 106, stop 108, start 40 %, disch 140
    return g


def run(g, sig, bars, now_s=0.0, running=True):
    for k in range(len(bars)):
        sig.p(bars[k])
        g.step(sig, 1.0, running, TE_C, SP_C, now_s + k)
    return g


def test_a_runaway_stops_a_tick_before_it_passes_the_stop():
    g, sig = make(), Sig()
    run(g, sig, [100.0, 103.0])
    assert g.stop == STOP_NONE
    run(g, sig, [106.5], 2.0)  # +3.5 bar a tick: 110 bar next tick, above the 108 stop
    assert g.stop == STOP_P_GC and g.stops == 1 and g.override


def test_a_steady_pressure_below_the_stop_runs_on():
    g, sig = make(), Sig()
    run(g, sig, [107.5] * 20)  # above the override, below the stop, not rising
    assert g.stop == STOP_NONE and g.override and g.out == 100.0


def test_the_pressure_stop_holds_until_well_below_the_override():
    g, sig = make(), Sig()
    run(g, sig, [108.5])
    assert g.stop == STOP_P_GC
    run(g, sig, [105.0, 103.0, 102.1], 1.0)  # above 106 - 4 bar: still stopped
    assert g.stop == STOP_P_GC
    run(g, sig, [101.9], 4.0)
    assert g.stop == STOP_NONE and g.stops == 1


def test_the_other_causes():
    g, sig = make(), Sig()
    sig.valid[AI_P_GC] = 0
    run(g, sig, [90.0])
    assert g.stop == STOP_BLIND and g.out >= 40.0  # blind: the valve at least at its start
    sig.valid[AI_P_GC] = 1
    sig.value[DI_HP_OK] = 0.0
    run(g, sig, [90.0], 1.0)
    assert g.stop == STOP_SWITCH
    sig.value[DI_HP_OK] = 1.0
    sig.value[AI_T_DISCH] = 141.0
    run(g, sig, [90.0], 2.0)
    assert g.stop == STOP_DISCH
    sig.value[AI_T_DISCH] = 131.0  # within the 10 K hysteresis
    run(g, sig, [90.0], 3.0)
    assert g.stop == STOP_DISCH
    sig.value[AI_T_DISCH] = 129.0
    run(g, sig, [90.0], 4.0)
    # one stop whose cause changed (counted once), and none of the pressure's: no lockout
    assert g.stop == STOP_NONE and g.stops == 1 and not g.locked


def _pressure_stop(g, sig, now_s):
    run(g, sig, [108.5], now_s)
    assert g.stop == STOP_P_GC
    run(g, sig, [95.0], now_s + 1.0)
    assert g.stop == STOP_NONE


def test_the_third_pressure_stop_within_the_hour_locks_out_until_acknowledged():
    g, sig = make(), Sig()
    for now_s in (0.0, 1000.0):
        _pressure_stop(g, sig, now_s)
        assert not g.locked
    _pressure_stop(g, sig, 3500.0)
    assert g.locked  # (the stop itself has gone: the lockout stays)
    g.ack()
    assert not g.locked
    _pressure_stop(g, sig, 3600.0)  # the acknowledgement forgot the stops before it
    assert not g.locked


def test_pressure_stops_spread_over_more_than_an_hour_do_not_lock_out():
    g, sig = make(), Sig()
    for now_s in (0.0, 1900.0, 3700.0, 5700.0):
        _pressure_stop(g, sig, now_s)
        assert not g.locked, now_s


def test_standing_still_the_valve_waits_at_its_start_opening():
    g, sig = make(), Sig()
    run(g, sig, [80.0] * 100)  # far below the reference: the loop closes the valve
    assert g.out < 40.0
    run(g, sig, [80.0], 100.0, running=False)
    assert g.out == 40.0


def test_a_pressure_above_the_reference_opens_the_valve():
    g, sig = make(), Sig()
    run(g, sig, [90.0])
    ref = g.ref_bar
    u0 = g.out
    run(g, sig, [ref + 3.0] * 20, 1.0)
    assert g.out > u0 and g.ref_bar <= 104.0
