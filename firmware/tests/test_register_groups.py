# The register groups as a board reads them (co2hr.modbus.registers GROUP_RECORDS, the
# build packs GROUPS and HP_GROUPS): every record reads back as its tuple, and each
# application is served its own groups in the tables' order. Runs in CPython and in
# MicroPython (where a module's private consts are not attributes: the sources are
# found by their groups' addresses).
from co2hr.modbus import registers as R
from co2hr.modbus.evregs import S_FROM
from co2hr.modbus.pdu import HOLDING, INPUT

GROUPS = R.GROUPS + R.HP_GROUPS
REC = len(R.GROUP_RECORDS) // len(GROUPS)


def _src_at(table, base):
    return [g[2] for g in GROUPS if g[0] == table and g[1] == base][0]


def test_every_group_record_reads_back_as_its_tuple():
    assert len(R.GROUP_RECORDS) == len(GROUPS) * REC
    for k in range(len(GROUPS)):
        g = GROUPS[k]
        assert R._group(k * REC) == g, g
        assert R._end(k * REC) == g[1] + g[3] * g[4]


def test_each_application_is_served_its_own_groups():
    cal = (_src_at(INPUT, 2000), _src_at(INPUT, 2100))  # the supermarket's calendar
    assert R.served(0) == R.GROUPS
    assert R.served(1) == tuple(g for g in R.GROUPS if g[2] not in cal) + R.HP_GROUPS
    assert len(R.group_records(1)) == len(R.served(1))


def test_setting_addresses_and_unlock_rules_follow_the_groups():
    free = (_src_at(HOLDING, 600), S_FROM)  # the unlock register, the log's index
    for g in GROUPS:
        if g[2] == R.S_SETTING:
            for i in range(g[3]):
                assert R.setting_address(g[6] + i) == g[1] + i
        for a in (g[1], g[1] + g[3] * g[4] - 1):
            assert R.needs_unlock(g[0], a) == (g[5] == "rw" and g[2] not in free), (g, a)
    assert R.setting_address(10000) == 0xFFFF
