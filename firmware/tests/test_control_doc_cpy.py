"""docs/control.md quotes the firmware's numbers: they must be the firmware's.

* every setting named in backticks and followed by a number is quoted at its default;
* the HP ladder, the fan safety and the bypass levels it gives are what the loops
  compute from the defaults;
* every firmware module the page names exists.
"""

import re
from pathlib import Path

import rig.fw  # noqa: F401  (firmware importable)
from co2hr.fans import Fans
from co2hr.gc_bypass import GcBypass
from co2hr.gc_pressure import GcPressure
from co2hr.hr_staging import HrStaging
from co2hr.receiver import Receiver
from co2hr.settings import SCHEMA, Settings

REPO = Path(rig.fw.FIRMWARE_DIR).parent
DOC = REPO / "docs" / "control.md"
TEXT = DOC.read_text()


def _num(x):
    return "%g" % x


def test_settings_are_quoted_at_their_defaults():
    defaults = {r[0]: r[1] for r in SCHEMA}
    quoted = re.findall(r"`([a-z0-9_]+)`\)?,? \(?(-?[0-9]+(?:\.[0-9]+)?)", TEXT)
    seen = [(n, float(v)) for n, v in quoted if n in defaults]
    assert len(seen) > 30  # the page names the settings of every loop
    wrong = [(n, v, defaults[n]) for n, v in seen if v != defaults[n]]
    assert not wrong, wrong


def test_derived_levels_are_the_loops_own():
    s = Settings()
    g = GcPressure()
    g.configure(s)
    f = Fans()
    f.configure(s, g.p_max)
    b = GcBypass()
    r = Receiver()
    r.configure(s)
    b.configure(s, r.sp)
    h = HrStaging()
    h.configure(s)
    levels = {
        "reference ceiling": g.p_lim, "override ends": g.p_ovr_off, "early stop": g.p_stop_early,
        "restart": g.p_restart, "fan safety on": f.p_near_max, "fan safety off": f.p_safe,
        "fan floor": f.t_floor, "reference floor": round(g.p_min, 1),
        "low-ambient opens below": b.p_on, "closes above": b.p_off,
        "boiling protection ends": h.w_cool,
    }
    for what, x in levels.items():
        assert _num(x) + " bar" in TEXT or _num(x) + " degC" in TEXT, (what, x)


def test_named_modules_exist():
    for mod in set(re.findall(r"`co2hr\.([a-z0-9_]+)", TEXT)):
        assert (Path(rig.fw.FIRMWARE_DIR) / "co2hr" / (mod + ".py")).exists(), mod


def test_firmware_comments_point_to_sections_that_exist():
    cited = []
    for p in (Path(rig.fw.FIRMWARE_DIR) / "co2hr").rglob("*.py"):
        src = p.read_text()
        for page in re.findall(r"[A-Za-z0-9_./-]+\.md\b", src):
            # every page a comment names is one of the repository's own
            assert (REPO / page).is_file(), (p.name, page, "not in the repository")
        for page, name in re.findall(r'(docs/[a-z_]+\.md),? \(?"([^"]+)"', src):
            cited.append((p.name, page, name))
    assert sum(page == "docs/control.md" for _, page, _ in cited) >= 5
    headings = {}
    for page in {c[1] for c in cited}:
        headings[page] = set(re.findall(r"^#+ (.+)$", (REPO / page).read_text(), re.M))
    # a citation names its section: the heading, or the words of it that matter
    # ("Maintenance boot" for "4. The maintenance boot")
    missing = [c for c in cited
               if not any(c[2].lower() in h.lower() for h in headings[c[1]])]
    assert not missing, missing
