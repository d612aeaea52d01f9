"""`rig run`'s live view on a real pseudo-terminal, read back through a terminal emulator
(pyte), at 80x24 and, resized as a window is, at 120x40: every shown value is whole (each
cell is its label and a complete value of its register: number, resolution and unit, or
its words; never cut at the edge or split across lines), enumerations are in words, a
wider terminal shows more, and an alarm injected with `rig fault` shows whole."""

from __future__ import annotations

import re

import pytest
from ptyterm import PtyTerminal
from rigproc import free_port, run_cli

from co2hr.alarms import ALARMS
from rig.cli import view
from rig.regs import codec, table

TITLE_COLS = view.LABEL_COLS


def _value_pattern(name: str) -> str:
    """Every text the view may show for register `name`, from the firmware's table."""
    r = table.lookup(name)
    alts = ["INVALID"]
    if r.enum:
        alts += [re.escape(w) for w in list(r.enum.values()) + ["none"]]
    elif codec.is_switch(r):
        m = re.search(r"\(1 = ([^)]+)\)", r.desc)
        alts += [re.escape(m.group(1)), "NOT " + re.escape(m.group(1))] if m else ["on", "off"]
    else:
        mult, unit = r.unit_multiple
        dec = max(0, len(str(r.scale)) - 1)
        num = r"-?\d+" + (rf"\.\d{{{dec}}}" if dec else "")
        alts.append(num + (" " + re.escape(unit) if unit else "") + r"( \([^()]*\))?")
    if name == "t3_sp_c":
        alts.append("none: fans on safety")
    return "(" + "|".join(alts) + ")"


def _blocks(lines: list[str]) -> dict[str, list[str]]:
    """Section title -> the cells of its lines (a title line and its continuations)."""
    out: dict[str, list[str]] = {}
    cur = None
    for ln in lines:
        head, body = ln[:TITLE_COLS].strip(), ln[TITLE_COLS:]
        if head:
            cur = head
            out[cur] = []
        if cur is not None and body.strip():
            out[cur] += [c for c in re.split(r" {2,}", body.strip()) if c]
    return out


def check_screen(lines: list[str], cols: int) -> dict[str, list[str]]:
    # nothing reaches the last column: no line was cut by the terminal's edge
    assert all(len(ln) == cols and ln[-1] == " " for ln in lines), "\n".join(lines)
    blocks = _blocks([ln for ln in lines if ln[:TITLE_COLS].strip() or ln.startswith(" ")])
    sections = {t: cells for t, _p, cells in view._sections(cols - 1)}
    for title, cells in sections.items():
        assert title in blocks, f"section {title} missing at {cols} columns:\n" + \
            "\n".join(lines)
        want = {label: name for label, name in cells if name in table.BY_NAME}
        shown = blocks[title]
        assert len(shown) == len(want), (title, shown)
        for cell in shown:
            label = next((lb for lb in want if cell.startswith(lb + " ")), None)
            assert label is not None, f"{cell!r}: not a whole cell of {title}"
            value = cell[len(label) + 1:]
            assert re.fullmatch(_value_pattern(want[label]), value), \
                f"{title}: {label} shows {value!r}, not a whole {want[label]} value"
    state = blocks["state"]
    for label, name in view.STATE:
        cell = next(c for c in state if c.startswith(label + " "))
        assert re.fullmatch(_value_pattern(name), cell[len(label) + 1:]), cell
    assert any(c.startswith("overrides ") for c in state)
    return blocks


@pytest.fixture(scope="module")
def term():
    port = free_port()
    t = PtyTerminal(["-m", "rig.cli", "run", "--target", "sil", "--speed", "20",
                     "--tcp-port", str(port), "--view-interval", "0.2"], 80, 24)
    t.port = port
    yield t
    assert t.stop() == 0


def test_80x24_shows_every_value_whole(term):
    lines = term.wait_for("ALARMS", 60)
    term.pump(1.0)  # a few frames more: values settle into the plant's
    lines = term.display()
    blocks = check_screen(lines, 80)
    assert blocks["ALARMS"] == ["none"]
    assert not any(t in blocks for t, _p, _c in view.WIDE_SECTIONS)  # only when wider
    text = "\n".join(lines)
    assert re.search(r"mode (Off|Standby|Max-COP|Heat recovery|Manual)\b", text)
    assert f"TCP 127.0.0.1:{term.port}" in text


def test_fault_alarm_shows_whole_then_120x40_shows_more(term):
    rc, out, err = run_cli("fault", "--tcp-port", str(term.port), "open", "p_gc_bar")
    assert rc == 0, err
    a = next(r for r in ALARMS if r[1] == "p_gc_sensor")
    alarm = f"{a[0]} {a[2]} (priority {a[3]})"
    term.wait_for(f"{a[0]} {a[2].split()[0]}", 30)
    term.pump(0.5)
    blocks = check_screen(term.display(), 80)
    assert alarm in " ".join(blocks["ALARMS"]), blocks["ALARMS"]  # (wrapped, not cut)
    term.resize(120, 40)
    term.wait_for("PI outputs", 20)
    term.pump(0.5)
    blocks = check_screen(term.display(), 120)
    assert alarm in " ".join(blocks["ALARMS"])
    assert "PI outputs" in blocks and "more" in blocks
    assert any(c == "p_gc INVALID" for c in blocks["pressure"])
    rc, out, err = run_cli("fault", "--tcp-port", str(term.port), "clear", "all")
    assert rc == 0, err
