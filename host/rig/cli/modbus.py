"""The technician's commands: `rig read`, `watch`, `log`, `set`, `info`, `plot`.

Why: the same few jobs on a real board (USB-RS485 or TCP) and on the virtual rig:
read values by name with units, watch them, log them to CSV, change a setting safely
(range-checked before sending, service unlock first), identify the device. Every
failure ends the command with one line on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import csv
import math
import re
import sys
import time
from datetime import datetime

import rig  # noqa: F401  (puts the firmware on sys.path)
from co2hr.modbus import registers as R
from rig.cli import effects, view
from rig.regs import codec, order, table
from rig.regs.link import FieldError, Link


def add_link_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("connection (TCP or RTU)")
    g.add_argument("--tcp", metavar="HOST:PORT", help="Modbus TCP, e.g. 127.0.0.1:5020")
    g.add_argument("--port", metavar="DEV", help="RTU serial port, e.g. /dev/ttyUSB0")
    g.add_argument("--baud", type=int, default=19200, help="RTU baud rate (default 19200)")
    g.add_argument("--parity", choices=("N", "E", "O"), default="E",
                   help="RTU parity (default E, the Modbus default)")
    g.add_argument("--stop-bits", type=int, choices=(1, 2), default=1)
    g.add_argument("--unit", type=int, default=1, help="slave address / unit id (default 1)")
    g.add_argument("--timeout", type=float, default=1.0, help="seconds per try (default 1)")
    g.add_argument("--retries", type=int, default=1, help="extra tries on no answer")


def add_parsers(sub) -> None:
    p = sub.add_parser("read", help="read registers by name, decoded (all when no names)")
    p.add_argument("names", nargs="*", metavar="NAME")
    p.add_argument("--list", action="store_true",
                   help="list the register names (table, address, unit, access); no device")
    add_link_args(p)
    p.set_defaults(func=cmd_read)

    p = sub.add_parser("watch", help="a refreshing view of the main values and alarms")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between reads")
    p.add_argument("--count", type=int, default=0, help="stop after N refreshes (0: Ctrl-C)")
    add_link_args(p)
    p.set_defaults(func=cmd_watch)

    p = sub.add_parser("log", help="log registers to a CSV file")
    p.add_argument("names", nargs="*", metavar="NAME",
                   help="registers to log (default: the watch view's values)")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between rows")
    p.add_argument("--out", required=True, metavar="FILE.csv")
    p.add_argument("--count", type=int, default=0, help="stop after N rows (0: Ctrl-C)")
    add_link_args(p)
    p.set_defaults(func=cmd_log)

    p = sub.add_parser("set", help="change a setting or command (range-checked, unlocked); "
                       "several settings NAME VALUE ... go in one write, checked together")
    p.add_argument("name", metavar="NAME")
    p.add_argument("value", metavar="VALUE")
    p.add_argument("more", nargs="*", metavar="NAME VALUE",
                   help="more settings written with it (a linked group, e.g. the HP ladder)")
    p.add_argument("--code", type=int, default=R.UNLOCK_CODE,
                   help=f"service unlock code (default: the factory code {R.UNLOCK_CODE})")
    add_link_args(p)
    p.set_defaults(func=cmd_set)

    p = sub.add_parser("info", help="device identification (FC 43/14) and register map check")
    add_link_args(p)
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("plot", help="plot a `rig log` CSV file to a PNG")
    p.add_argument("csv", metavar="FILE.csv")
    p.add_argument("--out", metavar="FILE.png", help="default: FILE.png beside the CSV")
    p.set_defaults(func=cmd_plot)


def _fail(msg: str) -> int:
    print(f"rig: {msg}", file=sys.stderr)
    return 1


def _regs(names: list[str]) -> list[table.Reg]:
    return [table.lookup(n) for n in names] if names else table.all_regs()


_HIST = re.compile(r"alarm_hist_(\d+)_")
_EV_ENTRY = re.compile(r"ev(\d+)_")


def _grouped(regs: list[table.Reg]) -> list[list[table.Reg]]:
    """Consecutive registers of one group together, in the table's order."""
    out: list[list[table.Reg]] = []
    for r in regs:
        if out and (out[-1][0].table, out[-1][0].group) == (r.table, r.group):
            out[-1].append(r)
        else:
            out.append([r])
    return out


def _heading(regs: list[table.Reg]) -> str:
    r0, r1 = regs[0], regs[-1]
    last = r1.addr + r1.width - 1
    span = f"{r0.addr}..{last}" if last > r0.addr else f"{r0.addr}"
    fc = table.FUNCTION_CODES[r0.table][0]
    return f"{r0.group} ({r0.table} {span}, FC {fc})"


def _empty_slot(name: str, hist_n: int, ev_n: int) -> bool:
    """An alarm-history entry or event-log window slot beyond those filled (`rig events`
    decodes the log)."""
    m = _HIST.match(name)
    if m and int(m.group(1)) >= hist_n:
        return True
    m = _EV_ENTRY.match(name)
    return bool(m and int(m.group(1)) >= ev_n)


def _lines(regs: list[table.Reg], values: dict[str, float], all_: bool) -> list[str]:
    if not all_:
        return [f"{r.label:<24} {codec.fmt_value(r, values[r.label])}" for r in regs]
    out = []
    hist_n = int(values.get("alarm_hist_len", 0) or 0)
    ev_n = int(values.get("ev_window_n", 0) or 0)
    for group in _grouped(regs):
        shown = [r for r in group if not _empty_slot(r.name, hist_n, ev_n)]
        out += ["", _heading(group)]
        out += [f"{r.addr:>6}  {r.label:<24} {codec.fmt_value(r, values[r.label])}"
                for r in shown]  # (empty alarm-history and event-window slots left out)
    act = codec.active_alarms(values)
    out += ["", "active alarms: " + ("; ".join(f"{a[0]} {a[2]}" for a in act) or "none")]
    return out[1:]


def list_lines(regs: list[table.Reg]) -> list[str]:
    """`rig read --list`: every name by group, with its table, address, 1-based
    reference, unit and access."""
    out = []
    for group in _grouped(regs):
        out += ["", _heading(group)]
        for r in group:
            acc = {"r": "read", "rw": "read/write"}[r.access]
            if r.needs_unlock:
                acc += " (unlock)"
            out.append(f"  {r.table:<8} {r.addr:>5}  {r.reference:>6}  {r.label:<24} "
                       f"{r.unit or '-':<9} {acc}")
    return out[1:]


def _run(fn, args) -> int:
    try:
        return fn(args)
    except (FieldError, table.UnknownRegister, codec.OutOfRange, codec.ReadOnly,
            order.OrderError) as e:
        return _fail(str(e))


def cmd_read(args) -> int:
    def go(a):
        if a.list:
            regs = _regs(a.names) if a.names else table.REGS
            print("\n".join(list_lines(regs)))
            return 0
        regs = _regs(a.names)
        with Link(a) as link:
            values = link.read(regs)
        print("\n".join(_lines(regs, values, not a.names)))
        return 0

    return _run(go, args)


def cmd_watch(args) -> int:
    def go(a):
        regs = view.regs()
        screen = view.Screen(sys.stdout)
        n = 0
        with Link(a) as link:
            try:
                while True:
                    values = link.read(regs)
                    head = ["rig watch", link.where, f"unit {link.unit}",
                            f"{datetime.now():%H:%M:%S}", "Ctrl-C stops"]
                    screen.show(values, head)
                    n += 1
                    if a.count and n >= a.count:
                        break
                    time.sleep(a.interval)
            except KeyboardInterrupt:
                pass
            finally:
                screen.close()
        return 0

    return _run(go, args)


def cmd_log(args) -> int:
    def go(a):
        regs = _regs(a.names) if a.names else view.regs()
        n = 0
        with Link(a) as link, open(a.out, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["time", "t_s"] + [_col(r) for r in regs])
            t0 = time.monotonic()
            next_t = t0
            try:
                while True:
                    values = link.read(regs)
                    now = time.monotonic()
                    w.writerow([datetime.now().isoformat(timespec="milliseconds"),
                                f"{now - t0:.3f}"] + [_cell(values[r.label]) for r in regs])
                    f.flush()
                    n += 1
                    if a.count and n >= a.count:
                        break
                    next_t += a.interval
                    time.sleep(max(0.0, next_t - time.monotonic()))
            except KeyboardInterrupt:
                pass
        print(f"{n} rows of {len(regs)} registers -> {a.out}")
        return 0

    return _run(go, args)


def _col(r: table.Reg) -> str:
    # names carry their units (p_gc_bar); add the unit where the name does not say it
    if r.unit and not r.name.endswith(("_bar", "_c", "_pct", "_v", "_kw", "_s", "_wh")):
        return f"{r.label} [{r.unit}]"
    return r.label


def _cell(v: float) -> str:
    if math.isnan(v):
        return ""  # invalid signal: an empty cell, not a number
    return f"{v:g}"


def cmd_set(args) -> int:
    def go(a):
        if a.more:
            return _set_many(a)
        r = table.lookup(a.name, writable=True)
        raw = codec.encode(r, a.value)  # refused here, before anything is sent
        with Link(a) as link:
            if r.is_command:
                print("\n".join(_command(link, r, raw, a)))
                return 0
            before = link.read([r])[r.label]
            if r.is_comm:
                link.write(r, raw, a.code)
            else:  # an order refused by the controller is named (rig.regs.order)
                order.write_settings(link, {r.name: codec.decode(r, [raw])}, a.code)
            if r.is_comm:  # the next request may already need the new address/baud/parity
                new = codec.decode(r, [raw])
                print(f"{r.label}: {codec.fmt_value(r, before)} -> "
                      f"{codec.fmt_value(r, new)} written; the controller uses it from now "
                      "on: reconnect with the new setting (the service unlock closes by itself)")
                return 0
            after = link.read([r])[r.label]
            if r.needs_unlock:
                link.lock()
        print(f"{r.label}: {codec.fmt_value(r, before)} -> {codec.fmt_value(r, after)}")
        return 0

    return _run(go, args)


def _set_many(a) -> int:
    """Several settings in one block write (rig.regs.order): the controller checks them
    together, so a linked group (the HP ladder) moves at once."""
    words = [a.name, a.value] + list(a.more)
    if len(words) % 2:
        return _fail(f"set: {words[-1]} has no value (give NAME VALUE pairs)")
    regs, values = [], {}
    for name, text in zip(words[::2], words[1::2], strict=True):
        r = table.lookup(name, writable=True)
        if r.is_command or r.is_comm:
            return _fail(f"set: {r.name}: several at once are control settings only")
        values[r.name] = codec.decode(r, [codec.encode(r, text)])
        regs.append(r)
    with Link(a) as link:
        before = link.read(regs)
        order.write_settings(link, values, a.code)
        after = link.read(regs)
        link.lock()
    for r in regs:
        print(f"{r.label}: {codec.fmt_value(r, before[r.label])} -> "
              f"{codec.fmt_value(r, after[r.label])}")
    return 0


def _command(link: Link, r: table.Reg, raw: int, a) -> list[str]:
    """Write a command and say what it did (rig.cli.effects)."""
    watch = effects.watched(r)
    before = link.read(watch)
    link.write(r, raw, a.code)
    link.lock()
    effects.wait_tick(link.read)
    return effects.report(r, a.value, before, link.read(watch))


# FC 43/14 object ids (Modbus Application Protocol §6.21)
OBJECT_NAMES = {0: "vendor", 1: "product code", 2: "firmware version", 3: "vendor url",
                4: "product name", 5: "model (board)", 6: "application name"}


def cmd_info(args) -> int:
    def go(a):
        from co2hr.modbus import registers as R

        with Link(a) as link:
            info = link.device_info()
            ids = link.read([table.lookup(n) for n in ("regmap_id", "uptime_s")])
        for k in sorted(info):
            v = info[k]
            text = v.decode(errors="replace") if isinstance(v, bytes) else str(v)
            print(f"{OBJECT_NAMES.get(k, 'object %d' % k):<18} {text}")
        mine = R.regmap_id()
        dev = int(ids["regmap_id"])
        same = "matches this rig tool" if dev == mine else \
            f"DIFFERS from this rig tool's (0x{mine:04x}): decoding may be wrong, update rig"
        print(f"{'register map':<18} 0x{dev:04x} {same}")
        print(f"{'uptime':<18} {int(ids['uptime_s'])} s")
        return 0

    return _run(go, args)


def cmd_plot(args) -> int:
    from rig.cli import logplot

    out = args.out or (args.csv.rsplit(".", 1)[0] + ".png")
    try:
        print(logplot.plot(args.csv, out))
    except logplot.PlotError as e:
        return _fail(str(e))
    return 0
