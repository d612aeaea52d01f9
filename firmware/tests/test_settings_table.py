# The packed settings table (co2hr.settings_table) against the row tables it is made
# from: every row reads back as written, types included (a whole number stays an int,
# so a setting that holds ints keeps holding ints), names are found exactly, a table
# cut to the supermarket's rows hides the heat pump's, and a row that cannot be packed
# is refused. Runs in CPython and in MicroPython.
from co2hr.settings_comm import COMM_SCHEMA
from co2hr.settings_control import CONTROL_SCHEMA
from co2hr.settings_hp import HP_SCHEMA
from co2hr.settings_table import SettingsTable, pack

ROWS = CONTROL_SCHEMA + COMM_SCHEMA + HP_SCHEMA
N_SUPERMARKET = len(CONTROL_SCHEMA) + len(COMM_SCHEMA)


def _table(n=None):
    return SettingsTable(pack((CONTROL_SCHEMA, COMM_SCHEMA, HP_SCHEMA)), n)


def test_every_row_reads_back_as_written_types_included():
    t = _table()
    assert len(t) == len(ROWS)
    for i in range(len(ROWS)):
        row = ROWS[i]
        got = t[i]
        assert got == row, (got, row)
        for k in range(6):
            assert type(got[k]) is type(row[k]), (row, k)
        assert t.name(i) == row[0] and t.unit(i) == row[4] and t.scale(i) == row[5]
        assert (t.default(i), t.lo(i), t.hi(i)) == row[1:4]
        assert t.holds_int(i) == (row[5] == 1)
        assert t.signed(i) == (row[2] < 0)
    assert [r for r in t] == list(ROWS)
    assert t[-1] == ROWS[-1]


def test_names_are_found_exactly():
    t = _table()
    for i in range(len(ROWS)):
        assert t.find(ROWS[i][0]) == i
    for name in ("", "p_gc", "max_bar", "p_gc_max_ba", "p_gc_max_bar_", "mode_cmd\0",
                 "bar", "%"):
        assert t.find(name) == -1, name


def test_a_table_cut_to_the_supermarket_hides_the_heat_pump_rows():
    t = _table(N_SUPERMARKET)
    assert len(t) == N_SUPERMARKET
    assert t.find(HP_SCHEMA[0][0]) == -1 and t.find(COMM_SCHEMA[-1][0]) == N_SUPERMARKET - 1
    try:
        t[N_SUPERMARKET]
        raise AssertionError("a hidden row was served")
    except IndexError:
        pass
    assert [r for r in t] == list(CONTROL_SCHEMA + COMM_SCHEMA)


def test_a_row_that_cannot_be_packed_is_refused():
    for bad in (("x", 1, 0, 2, "", 0), ("x", 1, 0, 2, "", 1000)):
        try:
            pack(((bad,),))
            raise AssertionError("packed %r" % (bad,))
        except ValueError:
            pass


def test_the_commands_limits_read_back_as_written():
    from co2hr.status import (
        COMMAND_TABLE,
        COMMANDS,
        HP_STATUS,
        HP_STATUS_SCALE,
        STATUS,
        STATUS_SCALE,
    )

    assert len(COMMAND_TABLE) == len(COMMANDS)
    for i in range(len(COMMANDS)):
        name, lo, hi, unit, scale = COMMANDS[i]
        t = COMMAND_TABLE
        assert (t.name(i), t.lo(i), t.hi(i), t.unit(i), t.scale(i)) == (name, lo, hi, unit,
                                                                          scale)
        assert type(t.lo(i)) is type(lo) and type(t.hi(i)) is type(hi)
    assert list(STATUS_SCALE) == [r[2] for r in STATUS]
    assert list(HP_STATUS_SCALE) == [r[2] for r in HP_STATUS]
