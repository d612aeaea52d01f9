"""One alarm table: the firmware's rows (co2hr.alarms.ALARMS and the `#: cause:` /
`#: action:` lines above each, read here by a parser of this test's own), the generated
docs/alarms.md, `rig alarms --list` and `rig alarms` against a device with every alarm
active agree for every alarm; every row has a cause and an action."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from co2hr.alarms import ALARMS
from rig.cli import alarms as cli
from rig.regs import alarmstate, fwdoc

REPO = Path(__file__).resolve().parents[3]
SRC = REPO / "firmware" / "co2hr" / "alarms.py"
PRIORITY = {1: "critical", 2: "alarm", 3: "warning", 4: "information"}


def _source_rows() -> list[dict]:
    """Each ALARMS row of the source with its comment block, by lines and regexes."""
    lines = SRC.read_text().splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("ALARMS = ("))
    rows, block = [], []
    for ln in lines[start + 1:]:
        s = ln.strip()
        if s == ")":
            break
        if s.startswith("#:"):
            block.append(s[2:].strip())
        elif s.startswith("("):
            m = re.match(r'\((\d+), "(\w+)"', s)
            assert m, s
            text = " ".join(block)
            cause = re.search(r"cause:(.*?)(action:|$)", text)
            action = re.search(r"action:(.*)$", text)
            rows.append({"code": int(m.group(1)), "name": m.group(2),
                         "cause": " ".join(cause.group(1).split()) if cause else "",
                         "action": " ".join(action.group(1).split()) if action else ""})
            block = []
    return rows


def test_every_row_has_a_cause_and_an_action():
    rows = _source_rows()
    assert [(r["code"], r["name"]) for r in rows] == [(a[0], a[1]) for a in ALARMS]
    for r in rows:
        assert len(r["cause"]) > 20 and len(r["action"]) > 20, r


def _doc_rows() -> dict[int, dict]:
    md = (REPO / "docs" / "alarms.md").read_text().splitlines()
    head = next(i for i, ln in enumerate(md) if ln.startswith("| code |"))
    cols = [c.strip() for c in md[head].strip("|").split("|")]
    out = {}
    for ln in md[head + 2:]:
        if not ln.startswith("|"):
            break
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", ln)[1:-1]]
        row = dict(zip(cols, cells, strict=True))
        out[int(row["code"])] = row
    return out


def test_docs_alarms_md_has_every_alarm_as_the_table():
    doc = _doc_rows()
    src = {r["code"]: r for r in _source_rows()}
    assert sorted(doc) == sorted(a[0] for a in ALARMS)
    for bit, a in enumerate(ALARMS):
        d = doc[a[0]]
        assert d["name"] == a[1] and d["text"] == a[2]
        assert d["bit"] == f"alarm_word_{bit // 16} bit {bit % 16}"
        assert d["priority"] == f"{a[3]} {PRIORITY[a[3]]}"
        assert d["latched"] == ("yes" if a[6] else "no")
        assert d["delay"] == f"{a[4]:g} s"
        assert d["cause"] == src[a[0]]["cause"] and d["action"] == src[a[0]]["action"]


def test_rig_alarms_list_shows_every_alarm_as_the_table():
    text = "\n".join(cli.table_lines(width=10_000))
    src = {r["code"]: r for r in _source_rows()}
    for bit, a in enumerate(ALARMS):
        head = (f"{a[0]:>3} {a[1]}  bit {bit % 16} of alarm_word_{bit // 16} (discrete input "
                f"{200 + bit})  {PRIORITY[a[3]]}{', latched' if a[6] else ''}, delay {a[4]:g} s")
        assert head in text.splitlines(), head
        for label, want in (("text", a[2]), ("cause", src[a[0]]["cause"]),
                            ("action", src[a[0]]["action"])):
            assert f"    {label:<8}{want}" in text, (a[1], label)


def test_rig_alarms_from_a_device_with_every_alarm_active():
    """The words as a device serves them (every bit set in active, unacknowledged and
    cause words): every alarm is listed with its table texts and state."""
    n = alarmstate.N_WORDS
    values = {f"{kind}_{k}": float(0xFFFF) for k in range(n)
              for kind in ("alarm_word", "alarm_unacked_word", "alarm_cause_word")}
    values["alarm_relay"] = 1.0
    lines = cli.active_lines(values, width=10_000)
    assert lines[0] == f"{len(ALARMS)} active alarm(s); alarm relay on"
    text = "\n".join(lines)
    src = {r["code"]: r for r in _source_rows()}
    for a in ALARMS:
        head = f"{a[0]} {a[1]} ({PRIORITY[a[3]]}{', latched' if a[6] else ''}): {a[2]}"
        assert head in lines, head
        block = text[text.index(head):]
        assert f"    cause   {src[a[0]]['cause']}" in block
        assert f"    action  {src[a[0]]['action']}" in block
        assert "not acknowledged, cause present" in block.splitlines()[1]


@pytest.mark.parametrize("comments,missing", [
    (["cause: the fan failed"], "action"),
    (["action: check the fan"], "cause"),
    ([], "cause"),
])
def test_a_row_without_cause_or_action_is_refused(tmp_path, monkeypatch, comments, missing):
    src = SRC.read_text()
    first = src.index("    (1, \"hp_high\"")
    block_start = src.index("\n", src.rindex("ALARMS = (", 0, first)) + 1
    new = src[:block_start] + "".join(f"    #: {c}\n" for c in comments) + src[first:]
    fake = tmp_path / "co2hr"
    fake.mkdir()
    (fake / "alarms.py").write_text(new)
    monkeypatch.setattr(fwdoc.fw, "FIRMWARE_DIR", tmp_path)
    fwdoc.alarms.cache_clear()
    try:
        with pytest.raises(fwdoc.DocError, match=f"no '#: {missing}:'"):
            fwdoc.alarms()
    finally:
        fwdoc.alarms.cache_clear()
