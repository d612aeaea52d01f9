"""The calendar counters (input 2000.. per season, 2100.. per month: co2hr.encal) read
and turned into the figures an accountant asks for, per period: hours, compressor energy
and recovered heat per operating state, the forced state's heat above three times its
compressor energy, and the EHR. Rates are the user's (options of `rig energy`)."""

from __future__ import annotations

from dataclasses import dataclass

from co2hr.encal import N_MONTHS, N_SEASONS, N_VALS, SLOT_WORDS
from co2hr.status import COUNTERS
from rig.regs.master import Master

SEASONS_AT, MONTHS_AT = 2000, 2100
NAMES = tuple(c[0] for c in COUNTERS[1:1 + N_VALS])  # run_refrig_s .. comp_extra_wh
_CHUNK = 120  # words per FC 4 request (at most 125)


@dataclass(frozen=True)
class Period:
    kind: str  # "season" or "month"
    label: str  # "2026-10", "heating 2026/27", "rest 2026"
    heating: bool  # the period lies in the heating season (a month: Oct..Mar)
    v: dict  # counter name -> value

    def hours(self, state: str) -> float:
        return self.v[f"run_{state}_s"] / 3600.0

    def kwh(self, name: str) -> float:
        return self.v[name] / 1000.0

    @property
    def heat_above_3x_kwh(self) -> float:
        """Heat recovered while forced beyond three times the compressor energy then."""
        return max(0.0, self.kwh("hr_forced_wh") - 3.0 * self.kwh("comp_forced_wh"))

    @property
    def ehr(self) -> float | None:
        x = self.v["comp_extra_wh"]
        return self.v["hr_forced_wh"] / x if x > 0 else None


def _words(master: Master, addr: int, n: int) -> list[int]:
    out: list[int] = []
    while len(out) < n:
        k = min(_CHUNK, n - len(out))
        out += master.read_words("input", addr + len(out), k)
    return out


def decode(words: list[int], months: bool) -> list[Period]:
    """The slots of one ring (SLOT_WORDS each, newest first), empty ones left out."""
    out = []
    for j in range(len(words) // SLOT_WORDS):
        w = words[j * SLOT_WORDS:(j + 1) * SLOT_WORDS]
        year, sub = w[0], w[1]
        if not year:
            continue
        v = {n: (w[2 + 2 * k] << 16) | w[3 + 2 * k] for k, n in enumerate(NAMES)}
        if months:
            out.append(Period("month", f"{year}-{sub:02d}", sub >= 10 or sub <= 3, v))
        elif sub:
            out.append(Period("season", f"heating {year}/{(year + 1) % 100:02d}", True, v))
        else:
            out.append(Period("season", f"rest {year}", False, v))
    return out


def read_calendar(master: Master) -> tuple[list[Period], list[Period]]:
    """(seasons, months) from the controller, newest first."""
    s = _words(master, SEASONS_AT, N_SEASONS * SLOT_WORDS)
    m = _words(master, MONTHS_AT, N_MONTHS * SLOT_WORDS)
    return decode(s, False), decode(m, True)


COLUMNS = ("period", "heating_season", "h_refrig", "h_forced", "comp_refrig_kwh",
           "comp_forced_kwh", "heat_refrig_kwh", "heat_forced_kwh", "heat_forced_above_3x_kwh",
           "comp_extra_kwh", "ehr")


def row(p: Period) -> list:
    ehr = p.ehr
    return [p.label, 1 if p.heating else 0, round(p.hours("refrig"), 2),
            round(p.hours("forced"), 2), round(p.kwh("comp_refrig_wh"), 3),
            round(p.kwh("comp_forced_wh"), 3), round(p.kwh("hr_refrig_wh"), 3),
            round(p.kwh("hr_forced_wh"), 3), round(p.heat_above_3x_kwh, 3),
            round(p.kwh("comp_extra_wh"), 3), "" if ehr is None else round(ehr, 2)]
