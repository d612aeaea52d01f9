"""`rig alarms` and `rig ack`: the active alarms with what to do, and acknowledging them.

Why: the alarm words are bits; a technician needs each active alarm in words: what is
wrong, whether it is acknowledged, whether its cause is still there (and for a sensor,
what is wrong with the signal), the likely cause and what to check. `rig ack` says what
the acknowledgement cleared and what stays active, and why. The texts are the firmware
table's (rig.regs.fwdoc.alarms(), also docs/alarms.md); the states come from the device
(rig.regs.alarmstate). `rig alarms --list` prints the whole table without a device.
"""

from __future__ import annotations

import shutil
import textwrap

import rig  # noqa: F401  (puts the firmware on sys.path)
from co2hr.modbus import registers as R
from rig.cli import effects
from rig.cli.modbus import _fail, _run, add_link_args
from rig.regs import alarmstate, fwdoc, table
from rig.regs.link import Link


def add_parsers(sub) -> None:
    p = sub.add_parser("alarms", help="active alarms with their cause and what to do")
    p.add_argument("--list", action="store_true",
                   help="every alarm of the table (code, bit, priority, ...); no device")
    add_link_args(p)
    p.set_defaults(func=cmd_alarms)

    p = sub.add_parser("ack", help="acknowledge alarms and say what cleared and what not")
    p.add_argument("which", nargs="?", default="all", metavar="CODE|all",
                   help="an alarm code (rig alarms --list), or all (default)")
    p.add_argument("--code", type=int, default=R.UNLOCK_CODE, dest="unlock",
                   help=f"service unlock code (default: the factory code {R.UNLOCK_CODE})")
    add_link_args(p)
    p.set_defaults(func=cmd_ack)


def _width() -> int:
    return max(60, min(120, shutil.get_terminal_size((100, 24)).columns))


def _wrap(label: str, text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, initial_indent=f"    {label:<8}",
                         subsequent_indent=" " * 12) or [f"    {label}"]


def table_lines(width: int = 100) -> list[str]:
    """`rig alarms --list`: every alarm with code, bit, priority, latched, delay, text,
    cause and action."""
    out = []
    for a in fwdoc.alarms():
        out.append(f"{a.code:>3} {a.name}  bit {a.word_bit} of alarm_word_{a.word} "
                   f"(discrete input {200 + a.bit})  {a.priority_word}"
                   f"{', latched' if a.latched else ''}, delay {a.delay_s:g} s")
        out += _wrap("text", a.text, width)
        out += _wrap("cause", a.cause, width)
        out += _wrap("action", a.action, width)
    return out


def active_lines(values: dict[str, float], width: int = 100) -> list[str]:
    """`rig alarms`: the active alarms (and those whose delay runs), with what to do."""
    st = alarmstate.states(values)
    act = [s for s in st if s.active]
    out = [f"{len(act)} active alarm(s); alarm relay "
           f"{'on' if alarmstate.relay_on(values) else 'off'}"]
    for s in sorted(act, key=lambda s: (s.doc.priority, s.doc.bit)):
        ago = f", raised {s.raised_ago_s:.0f} s ago" if s.raised_ago_s is not None else ""
        out += ["", f"{alarmstate.headline(s.doc)}"]
        out += _wrap("state", s.state_words() + ago, width)
        out += _wrap("cause", s.doc.cause, width)
        out += _wrap("action", s.doc.action, width)
    pend = [s for s in st if s.pending]
    if pend:
        out += ["", "cause present, not (yet) active (its delay runs):"]
        out += [f"  {alarmstate.headline(s.doc)}, delay {s.doc.delay_s:g} s" for s in pend]
    return out


def cmd_alarms(args) -> int:
    def go(a):
        if a.list:
            print("\n".join(table_lines(_width())))
            return 0
        with Link(a) as link:
            values = link.read(alarmstate.regs())
        print("\n".join(active_lines(values, _width())))
        return 0

    return _run(go, args)


def cmd_ack(args) -> int:
    def go(a):
        code = None
        if a.which != "all":
            try:
                code = int(a.which)
                fwdoc.alarm_by_code(code)
            except (ValueError, KeyError):
                codes = ", ".join(str(x.code) for x in fwdoc.alarms())
                return _fail(f"no alarm {a.which!r}: give a code ({codes}) or all")
        cmd = table.lookup("alarm_ack" if code is None else "alarm_ack_code", writable=True)
        regs = alarmstate.regs()
        with Link(a) as link:
            before = link.read(regs)
            link.write(cmd, 1 if code is None else code, a.unlock)
            link.lock()
            effects.wait_tick(link.read)  # the relay follows at the next control tick
            after = link.read(regs)
        print("\n".join(alarmstate.ack_report(before, after, code)))
        return 0

    return _run(go, args)

