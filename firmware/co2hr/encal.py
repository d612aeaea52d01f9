# Calendar counters: the operating-state counters per tax season and per month
# (docs/control.md, "Calendar counters").
#
# Kept for the counters run_refrig_s .. comp_extra_wh (co2hr.status COUNTERS 1..8; on a
# heat pump its own hp_run_s .. hp_grid_off_s, HP_COUNTERS, from `first`): per
# season (the heating season 1 October - 31 March and the rest of the year, local
# time, as co2hr.clock decides it) for the current and the last three, and per month for
# the current and the last twelve. The table is a slice of the controller's counter list
# (co2hr.energy: counters[N_COUNTERS:]), so it is persisted with the other counters and
# is all small ints. Each slot is (key, 8 values): key 0 = empty, season key =
# season_year * 2 + heating, month key = year * 12 + month - 1. A closed slot holds its
# totals; the current slot (the first of each ring) holds the lifetime counters as
# they were when it began, and reads as their difference to now. So nothing is added
# per tick: the rings move once a month and season, on the first tick of a new local
# day (a closed slot is made then; the slice copy allocates once a month, never per
# tick), and a read computes the current figures.
# The calendar begins when the clock is first set; counts while it is not set go to
# the slot that is current when it is. A clock set into another period closes the
# current slot and starts one for the new period, so a ring may show a period twice.
from micropython import const

N_VALS = const(8)  # counters 1..8 of co2hr.status COUNTERS
N_SEASONS = const(4)
N_MONTHS = const(13)
SLOT = const(9)  # key + N_VALS values
SLOT_WORDS = const(18)  # over Modbus: year, month (or 1 heating / 0 rest), 8 x u32
N_SAVED = const(153)  # (N_SEASONS + N_MONTHS) * SLOT
_MONTHS_AT = const(36)  # N_SEASONS * SLOT: where the month ring starts
_WRAP = const(0x40000000)  # (as two small ints: 2 * _WRAP = 2**32, a u32 wrap)


class Calendar:
    def __init__(self, counters, base, first=1):
        """counters: the controller's counter list; base: where the table starts in it;
        first: the first of the N_VALS counters it keeps."""
        self.c = counters
        self.base = base
        self.first = first
        self._lday = -1  # the local day the rings were last checked on

    def tick(self, clock):
        """Move the rings when the clock's local date entered a new month or season."""
        if clock is None or not clock.valid or clock.lday == self._lday:
            return
        self._lday = clock.lday
        self._roll(self.base, N_SEASONS, clock.season_year * 2 + clock.heating)
        self._roll(self.base + _MONTHS_AT, N_MONTHS, clock.year * 12 + clock.month - 1)

    def _roll(self, o, n, key):
        c = self.c
        f = self.first
        if c[o] == key:
            return
        if c[o]:  # close the current slot: its totals, then make room
            for k in range(N_VALS):
                c[o + 1 + k] = _diff(c[f + k], c[o + 1 + k])
            c[o + SLOT:o + n * SLOT] = c[o:o + (n - 1) * SLOT]
        c[o] = key
        for k in range(N_VALS):
            c[o + 1 + k] = c[f + k]

    def value(self, months, j, k):
        """Counter k (0..7: run_refrig_s ..) of slot j (0: current) of a ring."""
        c = self.c
        o = self.base + (_MONTHS_AT if months else 0) + j * SLOT
        if j == 0 and c[o]:
            return _diff(c[self.first + k], c[o + 1 + k])
        return c[o + 1 + k]

    def word(self, months, off):
        """Register word at off in a ring's Modbus group (SLOT_WORDS per slot, newest
        first): year, month 1..12 (seasons: 1 heating, 0 the rest), then the values as
        u32, high word first; an empty slot reads 0."""
        j = off // SLOT_WORDS
        w = off - j * SLOT_WORDS
        key = self.c[self.base + (_MONTHS_AT if months else 0) + j * SLOT]
        if not key:
            return 0
        per = 12 if months else 2
        if w == 0:
            return key // per
        if w == 1:
            return key % per + (1 if months else 0)
        v = self.value(months, j, (w - 2) >> 1)
        return (v >> 16) & 0xFFFF if w & 1 == 0 else v & 0xFFFF


def _diff(now, then):
    """now - then for 32-bit counters that may have wrapped."""
    d = now - then
    if d < 0:
        d += _WRAP
        d += _WRAP
    return d
