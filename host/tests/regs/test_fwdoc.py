"""Register descriptions come from the `#:` comments above the firmware's table rows
(rig.regs.fwdoc): every row has one, they line up with the rows, and a missing one is an
error that names the file and line."""

import pytest

from co2hr.io import INPUTS, OUTPUTS
from co2hr.modbus import registers as R
from co2hr.settings import SCHEMA
from co2hr.status import COMMANDS, COUNTERS, STATUS
from rig.regs import fwdoc


@pytest.mark.parametrize("table,rows", [("settings", SCHEMA), ("status", STATUS),
                                        ("counters", COUNTERS), ("commands", COMMANDS),
                                        ("diag", R.DIAG), ("ident", R.IDENT)])
def test_every_table_row_has_a_description(table, rows):
    d = fwdoc.docs(table)
    assert len(d) == len(rows)
    assert all(len(x) > 5 for x in d), [r for r, x in zip(rows, d, strict=True) if len(x) <= 5]


def test_descriptions_line_up_with_their_rows():
    d = dict(zip((r[0] for r in SCHEMA), fwdoc.docs("settings"), strict=True))
    assert d["p_rec_sp_bar"] == "Receiver pressure setpoint"
    assert d["mb_baud_x100"].startswith("RTU baud rate in hundreds of baud")
    assert dict(zip(STATUS, fwdoc.docs("status"), strict=True))[STATUS[0]].startswith(
        "Active mode: 0 Off")


def test_every_register_described_and_unlock_code_documented():
    rows = fwdoc.rows()
    assert len(rows) == len(R.rows()) and all(r[9].text for r in rows)
    unlock = next(r for r in rows if r[2] == "service_unlock")
    assert str(R.UNLOCK_CODE) in unlock[9].text
    p_max = next(r for r in rows if r[2] == "p_gc_max_bar")
    assert p_max[9].text.startswith("Maximum gas cooler pressure")
    assert "default" not in p_max[9].text  # plain words: the default is a field of its own
    assert fwdoc.default(p_max[9]) == 105


def test_inputs_and_outputs_are_described_by_their_io_constants():
    ins, outs = fwdoc.io_docs()
    assert len(ins) == len(INPUTS) and len(outs) == len(OUTPUTS)
    assert ins[INPUTS.index("p_gc_bar")] == "Gas cooler (high side) pressure, bar a"
    assert outs[OUTPUTS.index("alarm_relay")].startswith("Common alarm relay")


def test_every_register_group_has_a_title():
    titles = [fwdoc.group_title(g) for g in R.GROUPS]
    assert "Measurements" in titles and "Control settings" in titles
    # one title per (table, title): the groups are told apart in rig read and the docs
    assert len({(g[0], t) for g, t in zip(R.GROUPS, titles, strict=True)}) == len(R.GROUPS)
    with pytest.raises(fwdoc.DocError, match="no title for the register group at input 640"):
        fwdoc.group_title((R.GROUPS[0][0], 640, 999, 1, 1, "r", 0))


def test_missing_description_is_an_error_with_its_place(tmp_path):
    f = tmp_path / "t.py"
    f.write_text('T = (\n    #: first\n    ("a", 1),\n    # a plain comment\n    ("b", 2),\n)\n')
    with pytest.raises(fwdoc.DocError, match=r"t.py:5: row of T has no '#:' description"):
        fwdoc.table_docs(f, "T")
    f.write_text('T = (\n    #: first,\n    #: continued\n    ("a", 1),\n)\n')
    assert fwdoc.table_docs(f, "T") == ["first, continued"]
