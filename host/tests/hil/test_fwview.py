"""The runner's view of the firmware reads through the firmware's own Modbus server by
register name: what it samples, how it polls "everything", and its first contact."""

from __future__ import annotations

import struct

import pytest

from co2hr import status as S
from co2hr.io import N_IN
from co2hr.modbus import registers as R
from rig.boards import load_board
from rig.hil.fwview import FirmwareView
from rig.targets import open_target
from rig.targets.base import FirmwareError


@pytest.fixture(scope="module")
def sil():
    with open_target("sil", load_board("esp32_devkitc")) as t:
        t.step(0, [4.0] * N_IN, [1] * N_IN)
        yield t


def test_sample_is_status_counters_and_alarm_words_in_register_order(sil):
    fw = FirmwareView(sil)
    n0 = fw.requests
    s = fw.sample()
    assert fw.requests - n0 == 4  # status, counters, alarm words, identity: one each
    want = [r[0] for r in S.STATUS] + [r[0] for r in S.COUNTERS if r[0] != "uptime_s"] + \
        [n for n in s if n.startswith("alarm_word_")] + ["uptime_s"]
    assert list(s) == want
    assert fw.counters(s) == {c[0]: s[c[0]] for c in S.COUNTERS}
    # uptime_s: the identity block's (seconds since boot), not the counter of that name
    counter, ident = sorted(r[1] for r in R.rows() if r[0] == "input" and r[2] == "uptime_s")
    assert fw._sample_plan[-1][:3] == ("input", ident, 2)
    assert all(not (a0 <= counter < a0 + q) for t, a0, q, _m in fw._sample_plan)


def test_polling_everything_reads_each_register_once_and_only_declared_ones(sil):
    fw = FirmwareView(sil)
    plan = fw.poll_plan("all")
    declared = {(r[0], r[1] + k) for r in R.rows(hp=0) for k in range(2 if r[5] == "u32" else 1)}
    asked = [(t, a) for t, a0, q, _m in plan for a in range(a0, a0 + q)]
    assert len(asked) == len(set(asked)) and set(asked) == declared
    assert [p[0] for p in plan] == sorted((p[0] for p in plan),
                                          key=("input", "holding", "discrete", "coil").index)
    assert all(q <= (125 if t in ("input", "holding") else 2000) for t, _a, q, _m in plan)
    assert all(fw.poll(p) for p in plan)  # the firmware answers every one of them
    assert fw.exceptions == 0


def test_write_goes_through_the_service_unlock_and_reads_back(sil):
    fw = FirmwareView(sil)
    fw.write("p_rec_sp_bar", 36.5)
    assert fw.settings()["p_rec_sp_bar"] == 36.5
    assert fw.read(["service_unlock"])["service_unlock"] > 0  # left open, counting down


class _OtherMap:
    """A device on the Modbus line with another register map (FC 4 answers 0x1234)."""

    name = "fake"

    def modbus(self, unit, pdu):
        fc, _addr, qty = struct.unpack(">BHH", pdu)
        assert fc == 4 and qty == 1
        return bytes([4, 2, 0x12, 0x34])


def test_first_contact_refuses_a_firmware_with_another_register_map():
    with pytest.raises(FirmwareError, match="register map is 0x1234"):
        FirmwareView(_OtherMap()).connect()
