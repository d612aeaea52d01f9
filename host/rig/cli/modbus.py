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
from rig.cli import view
from rig.regs import codec, table
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

    p = sub.add_parser("set", help="change a setting or command (range-checked, unlocked)")
    p.add_argument("name", metavar="NAME")
    p.add_argument("value", metavar="VALUE")
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


def _lines(regs: list[table.Reg], values: dict[str, float], all_: bool) -> list[str]:
    out = []
    hist_n = int(values.get("alarm_hist_len", 0) or 0)
    ev_n = int(values.get("ev_window_n", 0) or 0)
    for r in regs:
        m = _HIST.match(r.name)
        if all_ and m and int(m.group(1)) >= hist_n:
            continue  # empty history slots
        m = _EV_ENTRY.match(r.name)
        if all_ and m and int(m.group(1)) >= ev_n:
            continue  # empty event-log window slots (`rig events` decodes the log)
        v = values[r.label]
        out.append(f"{r.label:<24} {codec.fmt_value(r, v)}")
    if all_:
        act = codec.active_alarms(values)
        out.append("active alarms: " + ("; ".join(f"{a[0]} {a[2]}" for a in act) or "none"))
    return out


def _run(fn, args) -> int:
    try:
        return fn(args)
    except (FieldError, table.UnknownRegister, codec.OutOfRange, codec.ReadOnly) as e:
        return _fail(str(e))


def cmd_read(args) -> int:
    def go(a):
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
                    head = (f"rig watch  {link.where}  unit {link.unit}  "
                            f"{datetime.now():%H:%M:%S}  (Ctrl-C stops)")
                    screen.show(view.render(values, head))
                    n += 1
                    if a.count and n >= a.count:
                        break
                    time.sleep(a.interval)
            except KeyboardInterrupt:
                pass
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
        r = table.lookup(a.name, writable=True)
        raw = codec.encode(r, a.value)  # refused here, before anything is sent
        with Link(a) as link:
            before = link.read([r])[r.label]
            link.write(r, raw, a.code)
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
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    try:
        with open(args.csv, newline="") as f:
            rows = list(csv.reader(f))
    except OSError as e:
        return _fail(f"cannot read {args.csv}: {e.strerror}")
    if len(rows) < 2 or rows[0][:2] != ["time", "t_s"]:
        return _fail(f"{args.csv} is not a `rig log` file (header time,t_s,...) or has no rows")
    head, data = rows[0], rows[1:]
    t = [float(r[1]) for r in data]
    groups: dict[str, list[int]] = {}
    for i, name in enumerate(head[2:], start=2):
        base = name.split(" [")[0].split(":")[-1]
        unit = table.BY_NAME[base].unit if base in table.BY_NAME else ""
        if name.startswith("alarm_word") or not unit:
            continue
        groups.setdefault(unit, []).append(i)
    if not groups:
        return _fail(f"{args.csv}: no columns with a unit to plot")
    fig, axes = plt.subplots(len(groups), 1, sharex=True, figsize=(10, 2.6 * len(groups)),
                             squeeze=False)
    for ax, (unit, cols) in zip(axes[:, 0], groups.items(), strict=True):
        for i in cols:
            ys = [float(r[i]) if r[i] != "" else math.nan for r in data]
            ax.plot(t, ys, label=head[i])
        ax.set_ylabel(unit)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="upper left", ncol=3)
    axes[-1, 0].set_xlabel("t [s]")
    fig.suptitle(args.csv)
    fig.tight_layout()
    out = args.out or (args.csv.rsplit(".", 1)[0] + ".png")
    fig.savefig(out, dpi=90)
    print(f"{len(data)} rows, {sum(len(c) for c in groups.values())} traces -> {out}")
    return 0
