# Alarm state machine: delay, hysteresis, latching, acknowledge, bits, history ring.
from co2hr.alarms import (
    A_HP_HIGH,
    A_MANUAL,
    A_P_REC_SENSOR,
    ALARMS,
    HIST_N,
    N_ALARMS,
    Alarms,
)


def test_table_rows():
    codes = [r[0] for r in ALARMS]
    names = [r[1] for r in ALARMS]
    assert len(set(codes)) == N_ALARMS and len(set(names)) == N_ALARMS
    for r in ALARMS:
        assert r[3] in (1, 2, 3, 4) and r[4] >= 0 and r[5] >= 0.0


def test_delay_and_auto_reset():
    a = Alarms()
    i = A_P_REC_SENSOR  # delay 2 s, auto-reset
    a.set(i, 1, 0.0)
    a.set(i, 1, 1.0)
    assert a.active[i] == 0
    a.set(i, 1, 2.0)
    assert a.active[i] == 1 and a.relay() == 1
    a.set(i, 0, 3.0)
    assert a.active[i] == 0 and a.relay() == 0
    a.set(i, 1, 4.0)
    a.set(i, 0, 5.0)  # shorter than the delay: never active
    assert a.active[i] == 0 and a.activations == 1


def test_hysteresis_latch_and_ack():
    a = Alarms()
    i = A_HP_HIGH  # limit, delay 5 s, hyst 3 bar, latched
    for t in range(6):
        a.high(i, 110.0, 108.0, float(t))
    assert a.active[i] == 1
    a.high(i, 106.0, 108.0, 6.0)  # above limit - hyst: cause persists
    assert a.cause[i] == 1
    a.high(i, 104.0, 108.0, 7.0)
    assert a.cause[i] == 0 and a.active[i] == 1  # latched
    assert a.relay() == 1
    a.ack_all(8.0)
    assert a.active[i] == 0 and a.relay() == 0


def test_ack_while_cause_present():
    a = Alarms()
    i = A_HP_HIGH
    for t in range(6):
        a.high(i, 110.0, 108.0, float(t))
    a.ack_all(6.0)
    assert a.active[i] == 1 and a.relay() == 0
    a.high(i, 100.0, 108.0, 7.0)
    assert a.active[i] == 0


def test_words_and_history():
    a = Alarms()
    a.set(A_MANUAL, 1, 10.0)
    a.set(A_HP_HIGH, 1, 10.0)
    a.set(A_HP_HIGH, 1, 15.0)
    w = a.word(A_MANUAL // 16)
    assert w & (1 << (A_MANUAL % 16))
    assert a.word(0) & 1
    assert a.history_len() == 2
    assert a.history_entry(0) == (15, ALARMS[A_HP_HIGH][0], 1)
    assert a.history_entry(1) == (10, ALARMS[A_MANUAL][0], 1)
    for t in range(100):
        a.set(A_MANUAL, t % 2, 20.0 + t)
    assert a.history_len() == HIST_N
    assert a.history_entry(0)[0] == 119
    try:
        a.history_entry(HIST_N)
        raise AssertionError("no IndexError")
    except IndexError:
        pass
    a.history_clear()
    assert a.history_len() == 0


def test_the_board_columns_are_the_tables_fields():
    # What a board reads of ALARMS (the build computes the columns; the table itself
    # stays on the host): every row's code, priority, delay, hysteresis and latch.
    from co2hr.alarms import (
        ALARM_CODE,
        ALARM_DELAY_S,
        ALARM_HYST,
        ALARM_LATCHED,
        ALARM_PRIO,
        ALARMS,
        N_ALARMS,
    )

    a = Alarms()
    assert N_ALARMS == len(ALARMS) == len(ALARM_CODE) == len(a.delay_s)
    for i in range(N_ALARMS):
        code, _name, _text, prio, delay_s, hyst, latched = ALARMS[i]
        assert (ALARM_CODE[i], ALARM_PRIO[i], ALARM_HYST[i]) == (code, prio, hyst)
        assert ALARM_DELAY_S[2 * i] | ALARM_DELAY_S[2 * i + 1] << 8 == delay_s == a.delay_s[i]
        assert ALARM_LATCHED[i] == (1 if latched else 0) == a.latched[i]
        assert (a.code[i], a.prio[i], a.hyst[i]) == (code, prio, hyst)


def test_the_sensor_columns_are_the_pairs():
    from co2hr.alarms import SENSOR_ALARM, SENSOR_ALARMS, SENSOR_INPUT

    assert list(zip(SENSOR_INPUT, SENSOR_ALARM)) == [tuple(p) for p in SENSOR_ALARMS]
