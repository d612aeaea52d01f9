# Every name on the register map is unique: settings, status, counters, commands,
# alarms, inputs and outputs share one namespace in the Modbus table, its docs and the
# technician tools (a setting named like an output could not be read back by name).
from co2hr.alarms import ALARMS
from co2hr.io import INPUTS, OUTPUTS
from co2hr.settings import SCHEMA
from co2hr.status import COMMANDS, COUNTERS, STATUS


def _names():
    out = []
    for table, col in ((SCHEMA, 0), (STATUS, 0), (COUNTERS, 0), (COMMANDS, 0),
                       (ALARMS, 1)):
        for row in table:
            out.append(row[col])
    for n in INPUTS:
        out.append(n)
    for n in OUTPUTS:
        out.append(n)
    return out


def test_register_names_unique():
    names = _names()
    seen = {}
    dup = []
    for n in names:
        if n in seen:
            dup.append(n)
        seen[n] = 1
    assert not dup, "names used twice: %s" % ",".join(dup)
    assert len(names) > 100


def test_pump_setting_renamed():
    names = [row[0] for row in SCHEMA]
    assert "hr_pump_run_pct" in names and "hr_pump_pct" not in names
    assert "hr_pump_pct" in OUTPUTS
