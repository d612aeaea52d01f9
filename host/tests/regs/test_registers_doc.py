"""The committed register documents (docs/registers.md, .csv and the Home Assistant
package) are exactly what the firmware's table generates, and each carries what an
integrator imports: the CSV its fields, the YAML every register with its function
code, address, data type and scale, parsed back and checked against the firmware's own
rows (co2hr.modbus.registers.rows(), not the host's table that generated it)."""

import csv
import io
import subprocess
import sys
from pathlib import Path

import yaml

from co2hr.io import N_IN
from co2hr.modbus import registers as R
from co2hr.settings_comm import COMM_SCHEMA
from co2hr.settings_control import CONTROL_SCHEMA
from rig.regs import homeassistant as ha

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "tools"))

import gen_registers_doc as gen  # noqa: E402

FIRMWARE_ROWS = {(r[0], r[1]): r for r in R.rows()}  # (table, address) -> row


def test_generated_files_are_not_stale():
    for path, text in gen.generated().items():
        assert path.exists(), f"{path} missing: run make docs"
        assert path.read_text() == text, f"{path.name} is stale: run make docs"


def test_check_mode_exit_status():
    p = subprocess.run([sys.executable, str(REPO / "tools" / "gen_registers_doc.py"), "--check"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr


def _csv_rows():
    return list(csv.DictReader(io.StringIO((gen.DOCS / "registers.csv").read_text())))


def test_csv_has_every_register_once_with_the_integrators_fields():
    rows = _csv_rows()
    assert tuple(rows[0].keys()) == gen.COLUMNS
    assert {(r["table"], int(r["address"])) for r in rows} == set(FIRMWARE_ROWS)
    assert len(rows) == len(FIRMWARE_ROWS)
    prefix = {"coil": 0, "discrete": 1, "input": 3, "holding": 4}
    fc = {"coil": "1", "discrete": "2", "holding": "3", "input": "4"}
    for r in rows:
        fw = FIRMWARE_ROWS[(r["table"], int(r["address"]))]
        assert (r["name"], r["type"], int(r["scale"] or 1)) == (fw[2], fw[5], int(fw[4] or 1))
        assert int(r["reference"]) == prefix[r["table"]] * 10000 + int(r["address"]) + 1
        assert r["read_fc"] == fc[r["table"]]
        assert (r["word_order"] == "high word first") == (r["type"] == "u32")
        assert r["needs_unlock"] == ("yes" if R.needs_unlock(
            R.TABLE_NAMES.index(r["table"]), int(r["address"])) else "no")
        assert r["write_fc"] == ("" if fw[6] == "r" else ("6/16" if r["table"] == "holding"
                                                           else "5/15"))
        assert r["description"] and r["group"]


def test_csv_descriptions_are_plain_words():
    rows = {(r["table"], r["name"]): r for r in _csv_rows()}
    p = rows[("input", "p_gc_bar")]
    assert p["description"].startswith("Gas cooler (high side) pressure")
    assert " x 10" not in p["description"]
    s = rows[("holding", "p_gc_max_bar")]
    assert s["default"] == "105" and s["needs_unlock"] == "yes" and s["unit"] == "bar"
    assert "default" not in s["description"] and "unlock" not in s["description"]
    # the mirror is a group of its own, its rows say what they copy
    m = [r for r in _csv_rows() if r["table"] == "holding" and int(r["address"]) == 1000][0]
    assert m["group"] != rows[("holding", "p_gc_max_bar")]["group"]
    assert m["description"].startswith("Read-only copy of input register 0: Gas cooler")


def test_markdown_has_a_section_per_group_and_the_mirror_titled_apart():
    md = (gen.DOCS / "registers.md").read_text()
    assert "### Measurements (input 0..%d)" % (N_IN - 1) in md
    assert "### Control settings (holding 0.." in md
    assert "## Read-only mirror of the input registers (holding 1000..1999" in md
    assert "30001" in md and "40001" in md


def _package():
    return yaml.safe_load((gen.DOCS / ha.FILE_NAME).read_text())


def test_home_assistant_package_loads_and_has_every_exported_register():
    pkg = _package()
    hub = pkg["modbus"][0]
    assert hub["type"] == "tcp" and hub["port"] == 502
    data_types = {"i16": "int16", "u16": "uint16", "u32": "uint32"}
    sensors = {(s["input_type"], s["address"]): s for s in hub["sensors"]}
    # the rule: every input register but the alarm history, every setting; from the
    # firmware's rows (the supermarket's map)
    want = {(t, a) for t, a, *r in R.rows(hp=0)
            if (t == "input" and not r[0].startswith("alarm_hist_"))
            or (t == "holding" and a < R.MIRROR_BASE and r[0] in
                {row[0] for row in CONTROL_SCHEMA + COMM_SCHEMA})}
    assert set(sensors) == want
    for (t, a), s in sensors.items():
        fw = FIRMWARE_ROWS[(t, a)]
        assert s["data_type"] == data_types[fw[5]]
        mult = 100 if fw[3] == "100 baud" else 1
        assert abs(s["scale"] * int(fw[4] or 1) - mult) < 1e-9, (fw, s["scale"])
        assert s["slave"] == 1 and s["name"].startswith("co2hr ")
        if t == "input" and a < N_IN:
            assert s["nan_value"] == "0x8000"  # an invalid signal is unavailable, not -3276.8
    binary = {b["address"] for b in hub["binary_sensors"]}
    assert binary == {a for (t, a) in FIRMWARE_ROWS if t == "discrete"}
    assert all(b["input_type"] == "discrete_input" for b in hub["binary_sensors"])
    names = [s["name"] for s in hub["sensors"]] + [b["name"] for b in hub["binary_sensors"]]
    assert len(names) == len(set(names))  # Home Assistant refuses duplicate names


def test_home_assistant_templates_give_every_enumeration_in_words():
    pkg = _package()
    texts = {t["name"]: t["state"] for t in pkg["template"][0]["sensor"]}
    mode = texts["co2hr mode text"]
    assert "states('sensor.co2hr_mode')" in mode
    for word in ("Off", "Standby", "Max-COP", "Heat recovery", "Manual"):
        assert f"'{word}'" in mode
    assert "'fan safety'" in texts["co2hr overrides text"]
    assert "bitwise_and" in texts["co2hr overrides text"]
    assert "Gas cooler pressure high" in texts["co2hr alarm_word_0 text"]
    # every template reads a sensor of the hub
    ids = {"sensor." + s["name"].replace(" ", "_").lower()
           for s in pkg["modbus"][0]["sensors"]}
    for state in texts.values():
        ref = state.split("states('", 1)[1].split("')", 1)[0]
        assert ref in ids, ref
