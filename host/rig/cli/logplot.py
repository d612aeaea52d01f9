"""`rig plot`: a `rig log` CSV file as one PNG, in the HIL report's style
(rig.hil.report): an axis per unit, the on/off signals as a logic trace, each enumerated
value (mode, HR stage ...) on an axis of its words, and the alarm words as one bar per
alarm over the time it was active.
"""

from __future__ import annotations

import csv
import math

from rig.regs import codec, table


class PlotError(ValueError):
    pass


def _columns(head: list[str]):
    """Columns by what they are: {unit: [i]}, switches [i], enumerations [i], alarm
    words {name: i}."""
    units: dict[str, list[int]] = {}
    switches, enums, words = [], [], {}
    for i, col in enumerate(head[2:], start=2):
        name = col.split(" [")[0]
        r = table.BY_NAME.get(name) or table.BY_NAME.get(name.split(":")[-1])
        if r is None:
            continue
        if r.name.startswith("alarm_word_"):
            words[r.name] = i
        elif r.enum:
            enums.append(i)
        elif codec.is_switch(r) or r.bits:
            switches.append(i)
        else:
            units.setdefault(r.unit_multiple[1] or "count", []).append(i)
    return units, switches, enums, words


def _logic(head: list[str], data: list[list[str]], cols: list[int]):
    """[(label, 0/1 series)] of the on/off signals and of every flag of a bit field that
    was ever set ("overrides: fan safety")."""
    out = []
    for i in cols:
        r = table.BY_NAME[head[i].split(" [")[0].split(":")[-1]]
        ys = _series(data, i)
        if not r.bits:
            out.append((head[i], ys))
            continue
        for b, word in r.bits.items():
            bit = [math.nan if math.isnan(v) else float(int(v) & b != 0) for v in ys]
            if any(x == 1.0 for x in bit):
                out.append((f"{r.name}: {word}", bit))
    return out


def _series(data: list[list[str]], i: int) -> list[float]:
    return [float(r[i]) if r[i] != "" else math.nan for r in data]


def plot(path: str, out: str) -> str:
    """Draw the CSV at path into out; a one-line summary."""
    import matplotlib.pyplot as plt

    fig, n, rows = figure(path)
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return f"{rows} rows, {n} traces -> {out}"


def figure(path: str):
    """(the figure, traces drawn, rows) of the `rig log` CSV at path."""
    from rig.hil import metrics, report

    try:
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
    except OSError as e:
        raise PlotError(f"cannot read {path}: {e.strerror}") from None
    if len(rows) < 2 or rows[0][:2] != ["time", "t_s"]:
        raise PlotError(f"{path} is not a `rig log` file (header time,t_s,...) or has no rows")
    head, data = rows[0], rows[1:]
    t = [float(r[1]) for r in data]
    units, logic_cols, enums, words = _columns(head)
    switches = _logic(head, data, logic_cols)
    n_rows = len(units) + bool(switches) + len(enums) + bool(words)
    if not n_rows:
        raise PlotError(f"{path}: no column of this firmware's register map to plot")
    heights = [1.0] * len(units) + ([0.3 + 0.25 * len(switches)] if switches else []) + \
        [0.7] * len(enums) + ([0.9] if words else [])
    fig, axes = report.figure(n_rows, heights)
    k = 0
    for unit, cols in units.items():
        for i in cols:
            axes[k].plot(t, _series(data, i), label=head[i], linewidth=1.0)
        axes[k].set_ylabel(unit)
        k += 1
    if switches:  # a logic trace: each signal on its own level, high = on
        ax = axes[k]
        for j, (label, ys) in enumerate(switches):
            ax.step(t, [j + 0.7 * v for v in ys], where="post", label=label)
        ax.set_yticks([j + 0.35 for j in range(len(switches))])
        ax.set_yticklabels([report._tick(label, 30) for label, _y in switches], fontsize=7)
        ax.set_ylim(-0.3, len(switches))
        k += 1
    for i in enums:
        axes[k].step(t, _series(data, i), where="post", label=head[i])
        report.state_axis(axes[k], table.BY_NAME[head[i]].enum)
        k += 1
    if words:
        tr = {"t_s": t} | {f"fw.{n}": _series(data, i) for n, i in words.items()}
        from co2hr.alarms import ALARMS

        report.alarm_bars(axes[k], metrics.alarm_intervals(tr, [a[1] for a in ALARMS]),
                          t[-1], 1.0)
    for ax in axes:
        report.legend(ax)
    axes[-1].set_xlabel("t [s]")
    report.set_title(fig, path)
    n = sum(len(c) for c in units.values()) + len(logic_cols) + len(enums) + len(words)
    return fig, n, len(data)
