"""`rig events`: the controller's event log, decoded to words.

Why: the service technician's first question after a fault at 3 a.m.: what happened,
when, and who changed what. The entries come from the controller's flash log over
Modbus (the window at input 700.., docs/eventlog.md), exactly as a SCADA master reads
them; alarm names, setting names and values, sources and reset causes are decoded with
the firmware's own tables. --csv writes them for a spreadsheet.
"""

from __future__ import annotations

import csv
import sys

import rig  # noqa: F401  (puts the firmware on sys.path)
from rig.cli.modbus import _run, add_link_args
from rig.regs import events
from rig.regs.link import Link

CSV_COLUMNS = ("seq", "time", "boot", "kind", "source", "merged", "key", "a", "b", "text")


def add_parsers(sub) -> None:
    p = sub.add_parser("events", help="the controller's event log, decoded")
    p.add_argument("--since", type=int, default=0, metavar="SEQ",
                   help="entries from this seq on (default: the oldest kept)")
    p.add_argument("--last", type=int, default=0, metavar="N",
                   help="only the N newest entries")
    p.add_argument("--csv", action="store_true", help="CSV on stdout instead of a table")
    add_link_args(p)
    p.set_defaults(func=cmd_events)


def _row(e: events.Entry) -> list:
    return [e.seq, e.when(), e.boot, e.kind_name, e.source, e.merged, e.key, e.a, e.b,
            e.text()]


def cmd_events(args) -> int:
    def go(a):
        with Link(a) as link:
            got = events.read_events(link, since=a.since, last=a.last)
        if a.csv:
            w = csv.writer(sys.stdout)
            w.writerow(CSV_COLUMNS)
            for e in got:
                w.writerow(_row(e))
            return 0
        for e in got:
            print(f"{e.seq:>7}  {e.when():<22}  {e.text()}")
        print(f"{len(got)} entries" + (f" from seq {got[0].seq}" if got else ""))
        return 0

    return _run(go, args)
