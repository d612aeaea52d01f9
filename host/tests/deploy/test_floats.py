"""The build writes the firmware's whole float literals as ints (rig.deploy.floats): a
float constant is a 16-byte object per module on the board's heap, a small int none.
What must stay a float does: -0.0, values beyond MicroPython's small ints, lines marked
`# float`; strings, comments and other numbers are left as they are."""

import ast

import rig.fw as fw
from rig.deploy.consts import module_name
from rig.deploy.floats import ints_for_whole_floats


def test_whole_floats_become_ints_and_the_rest_stays():
    src = ("a = 0.0\nb = (1.0, 2.5, -50.0, 1e3, 5., 100.00)\nc = x - 0.0\n"
           "d = -0.0\ne = 4.0e9\nf = 1.0  # float\ng = '1.0 and 2.0'  # 3.0\n"
           "h = 0x10 + 7 + 1.5j + 2.0j\ni = 1_000.0\n")
    out = ints_for_whole_floats(src)
    assert out.splitlines() == [
        "a = 0", "b = (1, 2.5, -50, 1000, 5, 100)", "c = x - 0", "d = -0.0",
        "e = 4.0e9", "f = 1.0  # float", "g = '1.0 and 2.0'  # 3.0",
        "h = 0x10 + 7 + 1.5j + 2.0j", "i = 1000"]
    ns: dict = {"x": 3.5}
    exec(out, ns)  # noqa: S102 (the rewritten sample)
    assert ns["c"] == 3.5 and type(ns["c"]) is float and str(ns["d"]) == "-0.0"


def test_the_firmware_keeps_its_lines_and_no_whole_float_but_the_kept_ones():
    root = fw.FIRMWARE_DIR / "co2hr"
    changed = 0
    for p in sorted(root.rglob("*.py")):
        text = p.read_text()
        out = ints_for_whole_floats(text)
        tree = ast.parse(out)
        assert out.count("\n") == text.count("\n"), module_name(root, p)
        lines = out.splitlines()
        for n in ast.walk(tree):
            if isinstance(n, ast.Constant) and type(n.value) is float and n.value == int(n.value):
                line = lines[n.lineno - 1]
                signed_zero = n.value == 0 and line[:n.col_offset].rstrip()[-1:] in "-+"
                kept = signed_zero or abs(n.value) >= 2 ** 30 or "# float" in line
                assert kept, (module_name(root, p), n.lineno, n.value)
        changed += out != text
    assert changed >= 20
