"""The committed register documents are exactly what the firmware's table generates."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "tools"))

import gen_registers_doc as gen  # noqa: E402


def test_registers_docs_are_not_stale():
    for path, text in ((gen.DOCS / "registers.md", gen.render_md()),
                       (gen.DOCS / "registers.csv", gen.render_csv())):
        assert path.exists(), f"{path} missing: run make docs"
        assert path.read_text() == text, f"{path.name} is stale: run make docs"


def test_csv_has_the_agreed_columns_and_unique_addresses():
    import csv

    rows = list(csv.DictReader((gen.DOCS / "registers.csv").open()))
    assert tuple(rows[0].keys()) == gen.COLUMNS
    seen = set()
    for r in rows:
        key = (r["table"], int(r["address"]))
        assert key not in seen, key
        seen.add(key)
        if r["type"] == "u32":
            seen.add((r["table"], int(r["address"]) + 1))


def test_check_mode_exit_status():
    p = subprocess.run([sys.executable, str(REPO / "tools" / "gen_registers_doc.py"), "--check"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
