"""docs/eventlog.md quotes the firmware's numbers: each one it states is the value in the
source (the log's private consts, the ring's geometry, the clock's years and alarm, the
register addresses), and every event kind is in its table with its number."""

import re

from co2hr import dates
from co2hr.alarms import ALARMS
from co2hr.evstore import CAPACITY, REC, SEG_N, SEG_RECORDS, SEG_SLOTS
from co2hr.modbus import evregs as EV
from co2hr.modbus.registers import GROUPS
from rig.fw import REPO
from rig.regs.fwdoc import consts

DOC = (REPO / "docs" / "eventlog.md").read_text()
LOG = {n: v for n, v, _d in consts("eventlog.py", "_")}


def _says(text):
    assert text in " ".join(DOC.split()), text


def test_the_log_numbers():
    _says(f"a RAM buffer of {LOG['_N_PEND']} records ({LOG['_N_PEND'] * REC} bytes")
    _says(f"once the oldest is {LOG['_FLUSH_WITHIN_MS'] // 1000} s old")
    _says(f"{LOG['_QUOTA_BURST']} at once, then one a minute")
    assert LOG["_QUOTA_REFILL_MS"] == 60000
    _says(f"at most every {LOG['_LOST_WITHIN_MS'] // 60000} min")
    _says(f"retried every {LOG['_RETRY_MS'] // 1000} s")
    _says(f"{CAPACITY} entries are always kept, up to {SEG_N * SEG_RECORDS}")
    _says(f"five segment files `flash/ev0.dat .. ev{SEG_N - 1}.dat` of {SEG_SLOTS} slots of "
          f"{REC} bytes")
    _says(f"retires the oldest {SEG_RECORDS} entries")


def test_every_kind_is_in_the_table():
    for name, v, _d in consts("eventlog.py", "_EV_"):
        kind = name[4:].lower()
        assert re.search(r"\b%d %s\b" % (v, kind), DOC), (v, kind)


def test_the_clock_numbers_and_alarms():
    _says(f"only in {dates.MIN_YEAR}..2099")
    for code, name, delay in ((50, "clock_not_set", 60), (51, "event_log_fault", 0)):
        row = next(a for a in ALARMS if a[0] == code)
        assert row[1] == name and row[4] == delay
        _says(f"`{name}` (code {code}")
    _says("after 60 s)")


def test_the_register_addresses():
    base = {g[2]: g[1] for g in GROUPS}
    _says(f"holding {base[EV.S_CLOCKSET]}..{base[EV.S_CLOCKSET] + 5}")
    _says(f"holding {base[EV.S_FROM]}..{base[EV.S_FROM] + 1} `ev_from_seq`")
    _says(f"Input registers {base[EV.S_CLOCK]}..{base[EV.S_CLOCK] + len(EV.CLOCK) - 1}")
    _says(f"{base[EV.S_CLOCK32]}: Unix time")
    _says(f"Input registers {base[EV.S_EVLOG32]}..{base[EV.S_EVLOG] + len(EV.EVLOG) - 1}")
    _says(f"input {EV.WIN_BASE}..{EV.WIN_BASE + EV.WIN_WORDS - 1}")
    _says(f"then {EV.WIN_ENTRIES} entries of {EV.ENTRY_WORDS} words")
