# The PDU core against Modbus Application Protocol v1.1b3, with raw PDUs: every
# function code, every exception code in the specification's order of checks, the
# quantity limits and byte counts; served from the real firmware's register map.
from modbus_fixture import h, make_app, req, u16, unlock

from co2hr.io import AO_HPEV, INPUTS
from co2hr.modbus.pdu import PduCore
from co2hr.modbus.registers import HP_GROUPS, UNLOCK_CODE, rows
from co2hr.settings import SCHEMA, index

P_GC_MAX = index("p_gc_max_bar")  # holding 1, x10


def _addr(table, name):
    for r in rows():
        if r[0] == table and r[2] == name:
            return r[1]
    raise KeyError(name)


# --- FC 3 / 4: read registers


def test_fc3_reads_settings_scaled():
    app, hw = make_app()
    v = app.control.settings.values
    r = req(app, "03 0000 0002")
    assert r == "0304" + u16(v[0]) + u16(int(round(v[P_GC_MAX] * 10)))


def test_fc4_reads_inputs_invalid_as_8000():
    app, hw = make_app()
    r = req(app, "04 0000 %04x" % len(INPUTS))
    assert r[:4] == "04%02x" % (2 * len(INPUTS))
    assert r[4:8] == "8000"  # no tick yet: every signal invalid


def test_fc4_reads_a_valid_input_after_a_tick():
    app, hw = make_app()
    hw.raw[0] = 12.0  # 4-20 mA, 0..160 bar -> 80.0 bar
    hw.okv[0] = 1
    app.service()
    r = req(app, "04 0000 0001")
    assert r == "0402" + u16(800), r


def test_fc4_outputs_and_identity():
    app, hw = make_app()
    app.service()
    r = req(app, "04 %04x 0001" % (100 + AO_HPEV))
    assert r == "0402" + u16(int(round(app.out[AO_HPEV] * 10)))
    r = req(app, "04 0384 0003")  # 900: firmware version
    from co2hr import VERSION

    parts = [int(x) for x in VERSION.split(".")]
    assert r == "0406" + u16(parts[0]) + u16(parts[1]) + u16(parts[2])


def test_fc3_mirror_of_input_registers_is_read_only():
    app, hw = make_app()
    app.service()
    assert req(app, "03 03e8 0002")[4:] == req(app, "04 0000 0002")[4:]
    assert req(app, "06 03e8 0001") == "8602"


def test_read_register_quantity_limits():
    app, hw = make_app()
    assert req(app, "03 0000 0000") == "8303"
    assert req(app, "03 0000 007e") == "8303"
    assert req(app, "04 0000 0000") == "8403"
    assert req(app, "04 03e8 007e") == "8403"
    # 125 is allowed: the mirror of input blocks 0..99 and 100..199 reads whole
    assert req(app, "03 03e8 007d")[:4] == "03fa"


def test_read_unmapped_address_is_exception_2():
    app, hw = make_app()
    assert req(app, "03 ff00 0001") == "8302"
    assert req(app, "04 ff00 0001") == "8402"  # in no group's block
    assert req(app, "04 ffff 0002") == "8402"  # past the end of the address space


def test_reserved_addresses_of_a_block_read_0():
    # a group's block runs to the next group or the next hundred: one FC 4 poll of 20
    # registers from 0 reads every measurement and zeros after them
    app, hw = make_app()
    app.service()
    n = len(INPUTS)
    r = req(app, "04 0000 0014")
    assert r[:4] == "0428" and r[4:8 + 4 * (n - 1)] == req(app, "04 0000 %04x" % n)[4:]
    assert r[4 + 4 * n:] == "0000" * (20 - n)
    assert req(app, "04 %04x 0001" % n) == "04020000"  # one past the inputs
    assert req(app, "04 0063 0001") == "04020000"  # 99: the end of the inputs' block
    # inputs and outputs in one request across the block boundary at 100
    assert req(app, "04 0000 007d")[:4] == "04fa"
    # the FC 3 mirror follows the input registers it copies
    assert req(app, "03 %04x 0001" % (1000 + n)) == "03020000"


def test_reserved_addresses_are_never_writable():
    app, hw = make_app()
    unlock(app)
    n = len(INPUTS)
    assert req(app, "06 %04x 0001" % (1000 + n)) == "8602"  # mirror: read-only
    assert req(app, "06 0063 0001") == "8602"  # reserved holding 99: not a setting
    assert req(app, "10 0063 0001 02 0001") == "9002"


def test_quantity_checked_before_address():
    app, hw = make_app()
    assert req(app, "03 ff00 0000") == "8303"  # bad address and bad quantity: 03 first


def test_wrong_pdu_length_is_exception_3():
    app, hw = make_app()
    assert req(app, "03 0000 00") == "8303"
    assert req(app, "03 0000 0001 00") == "8303"


# --- FC 1 / 2: read bits


def test_fc2_reads_valid_bits_packed_lsb_first():
    app, hw = make_app()
    hw.raw[0] = 12.0
    hw.okv[0] = 1
    hw.raw[10] = 1.0  # comp_run
    hw.okv[10] = 1
    app.service()
    r = req(app, "02 0000 000f")
    assert r[:4] == "0202"
    b0, b1 = h(r[4:])
    assert b0 & 1 == 1 and b1 & (1 << 2) == 4  # inputs 0 and 10
    assert b1 & 0x80 == 0  # unused high bits are zero


def test_bit_quantity_limits():
    app, hw = make_app()
    assert req(app, "01 0000 0000") == "8103"
    assert req(app, "01 0000 07d1") == "8103"
    assert req(app, "02 0000 07d1") == "8203"
    assert req(app, "02 0000 07d0") == "8202"  # 2000 allowed, the range is not mapped


def test_fc1_reads_coils():
    app, hw = make_app()
    assert req(app, "01 0000 0001") == "010100"


def test_fc1_non_boolean_command_coil_reads_0_and_is_not_writable():
    app, hw = make_app()
    unlock(app)
    assert req(app, "01 0000 0002") == "010100"  # coil 1 is not a boolean command
    assert req(app, "05 0001 ff00") == "8502"


# --- FC 5 / 15: write coils


def test_fc5_value_must_be_0000_or_ff00():
    app, hw = make_app()
    assert req(app, "05 0000 0001") == "8503"
    assert req(app, "05 0000 ff01") == "8503"
    assert req(app, "05 ff00 1234") == "8503"  # value checked before the address


def test_fc5_echoes_and_acts():
    app, hw = make_app()
    unlock(app)
    assert req(app, "05 0000 ff00") == "050000ff00"
    assert req(app, "05 0000 0000") == "0500000000"
    assert req(app, "05 0001 ff00") == "8502"  # not a coil


def test_fc15_limits_and_byte_count():
    app, hw = make_app()
    unlock(app)
    assert req(app, "0f 0000 0001 01 01") == "0f00000001"
    assert req(app, "0f 0000 0000 00") == "8f03"
    assert req(app, "0f 0000 07b1 f7" + "00" * 247) == "8f03"
    assert req(app, "0f 0000 0001 02 0100") == "8f03"  # byte count != ceil(qty/8)
    assert req(app, "0f 0000 0001 01") == "8f03"  # data missing
    assert req(app, "0f 0000 0002 01 03") == "8f02"


# --- FC 6 / 16 / 23: write registers, unlock, ranges


def test_settings_locked_until_unlock_code():
    app, hw = make_app()
    s = app.control.settings
    before = s.values[P_GC_MAX]
    assert req(app, "06 0001 0410") == "8601"  # locked: wrong state for this request
    assert s.values[P_GC_MAX] == before
    assert req(app, "06 0258 0001") == "8601"  # wrong code: refused like the write
    unlock(app)
    assert req(app, "03 0258 0001") == "0302" + u16(600)  # seconds left
    assert req(app, "06 0001 0410") == "0600010410"
    assert abs(s.values[P_GC_MAX] - 104.0) < 1e-9
    assert req(app, "02 012c 0001") == "020101"  # settings_unlocked


def test_unlock_times_out_on_the_app_clock():
    app, hw = make_app()
    unlock(app)
    hw.now += 600 * 1000 + 1
    assert req(app, "06 0001 0410") == "8601"
    unlock(app)
    assert req(app, "06 0258 0000") == "0602580000"  # 0 locks again
    assert req(app, "06 0001 0410") == "8601"


def test_setting_out_of_range_is_exception_3_nothing_changes():
    app, hw = make_app()
    unlock(app)
    s = app.control.settings
    v0 = s.version
    assert req(app, "06 0001 0064") == "8603"  # 10.0 bar < min 60
    assert req(app, "06 0001 ffff") == "8603"
    # FC16: one bad value in the block -> nothing written
    assert req(app, "10 0000 0002 04 0001 0064") == "9003"
    assert s.version == v0


def test_fc16_writes_block_and_echoes():
    app, hw = make_app()
    unlock(app)
    s = app.control.settings
    assert req(app, "10 0000 0002 04 0001 0400") == "1000000002"
    assert s.values[0] == 1 and abs(s.values[P_GC_MAX] - 102.4) < 1e-9


def test_fc16_limits_and_byte_count():
    app, hw = make_app()
    unlock(app)
    assert req(app, "10 0000 0000 00") == "9003"
    assert req(app, "10 0000 007c f8" + "00" * 248) == "9003"
    assert req(app, "10 0000 0001 04 0001 0002") == "9003"  # byte count != 2*qty
    assert req(app, "10 0000 0002 04 0001") == "9003"  # data short
    assert req(app, "10 ff00 0001 02 0001") == "9002"


def test_read_only_registers_refuse_writes_exception_2():
    app, hw = make_app()
    unlock(app)
    assert req(app, "06 %04x 0001" % 1000) == "8602"  # mirror of an input
    assert req(app, "06 0190 0000") == "8603"  # mb_unit 0 is out of range (exists)
    assert req(app, "06 ffff 0000") == "8602"


def test_fc23_writes_then_reads():
    app, hw = make_app()
    unlock(app)
    r = req(app, "17 0001 0001 0001 0001 02 0401")
    assert r == "170204 01".replace(" ", "") or r == "17020401", r
    assert abs(app.control.settings.values[P_GC_MAX] - 102.5) < 1e-9


def test_fc23_limits():
    app, hw = make_app()
    unlock(app)
    assert req(app, "17 0000 0000 0001 0001 02 0001") == "9703"
    assert req(app, "17 0000 007e 0001 0001 02 0001") == "9703"
    assert req(app, "17 0000 0001 0001 007a f4" + "00" * 244) == "9703"
    assert req(app, "17 0000 0001 0001 0001 04 0001") == "9703"
    assert req(app, "17 ff00 0001 0001 0001 02 0400") == "9702"
    assert req(app, "17 0000 0001 ff00 0001 02 0400") == "9702"


def test_commands_and_their_range():
    app, hw = make_app()
    unlock(app)
    assert req(app, "06 01f4 0001") == "0601f40001"  # alarm_ack
    assert req(app, "06 01f4 0002") == "8603"
    assert req(app, "06 01f5 fff6") == "0601f5fff6"  # man_hpev_pct -1.0 (auto)


# --- FC 43 / 14


def test_device_identification_basic_stream():
    app, hw = make_app()
    r = h(req(app, "2b 0e 01 00"))
    assert r[:7] == h("2b 0e 01 82 00 00 03")
    objs = {}
    p = 7
    while p < len(r):
        objs[r[p]] = bytes(r[p + 2:p + 2 + r[p + 1]])
        p += 2 + r[p + 1]
    from co2hr import VERSION

    assert objs[2] == VERSION.encode() and objs[1] == b"CO2HR-CTL" and 0 in objs


def test_device_identification_regular_has_board_name():
    app, hw = make_app()
    r = h(req(app, "2b 0e 02 00"))
    assert r[6] == 5
    assert b"testboard" in r


def test_device_identification_individual_and_errors():
    app, hw = make_app()
    r = h(req(app, "2b 0e 04 05"))
    assert r[:9] == h("2b 0e 04 82 00 00 01 05 09") and r[9:] == b"testboard"
    assert req(app, "2b 0e 04 03") == "ab02"  # object 3 not present: individual -> 02
    assert req(app, "2b 0e 05 00") == "ab03"  # bad read-device-id code
    assert req(app, "2b 0e 00 00") == "ab03"
    assert req(app, "2b 0d 01 00") == "ab01"  # other MEI type
    r = h(req(app, "2b 0e 01 7f"))  # unknown object in stream access: restart at 0
    assert r[6] == 3 and r[7] == 0


# --- unsupported functions, broadcast, unit filter


def test_unsupported_function_codes_are_exception_1():
    app, hw = make_app()
    for fc in (0x07, 0x08, 0x11, 0x14, 0x16, 0x18, 0x2a, 0x7f, 0x83):
        assert req(app, "%02x 0000 0001" % fc) == "%02x01" % ((fc | 0x80) & 0xFF)


def test_broadcast_never_writes_and_never_answers():
    app, hw = make_app()
    unlock(app)
    assert req(app, "06 0001 03fc", unit=0) is None
    assert app.control.settings.values[P_GC_MAX] == 105
    assert req(app, "03 0000 0001", unit=0) is None
    assert req(app, "06 0001 0000", unit=0) is None  # an exception is not answered either


def test_other_unit_is_ignored():
    app, hw = make_app()
    assert req(app, "03 0000 0001", unit=2) is None


def test_exception_4_when_the_application_fails():
    class Broken:
        def readable(self, t, a, q):
            return True

        def read(self, t, a):
            raise RuntimeError("sensor bus down")

    core = PduCore(Broken(), ())
    out = bytearray(253)
    n = core.handle(h("04 0000 0001"), 0, 5, out, 0)
    assert bytes(out[:n]) == h("84 04") and core.exc == 4


def test_diagnostic_counters_over_modbus():
    app, hw = make_app()
    req(app, "03 0000 0001")
    req(app, "03 0000 0000")
    r = h(req(app, "04 0190 0006"))  # 400: served, crc errors, exceptions (u32 each)
    served = (r[2] << 24) | (r[3] << 16) | (r[4] << 8) | r[5]
    exc = (r[10] << 24) | (r[11] << 16) | (r[12] << 8) | r[13]
    assert served == 2 and exc == 1


def test_counters_are_u32_high_word_first():
    app, hw = make_app()
    app.control.counters[1] = 0x12345678
    r = req(app, "04 %04x 0002" % _addr("input", "run_refrig_s"))
    assert r == "040412345678", r


def _hp_register(r):
    """A register of the heat pump's own groups (served on a heat pump only)."""
    t = ("coil", "discrete", "holding", "input").index(r[0])
    return any(g[0] == t and g[1] <= r[1] < g[1] + g[3] * g[4] for g in HP_GROUPS)


def test_every_documented_register_is_readable():
    app, hw = make_app()
    app.service()
    fc = {"coil": 1, "discrete": 2, "holding": 3, "input": 4}
    for r in rows():
        q = 2 if r[5] == "u32" else 1
        out = req(app, "%02x %04x %04x" % (fc[r[0]], r[1], q))
        if _hp_register(r) or (r[0] == "holding" and r[1] >= 1000 and _hp_register(
                ("input", r[1] - 1000))):  # not on this plant: refused, or reserved (0)
            assert out == "%02x02" % (0x80 | fc[r[0]]) or int(out[4:], 16) == 0, (r, out)
        else:
            assert out[:2] == "%02x" % fc[r[0]], (r, out)


def test_unlock_register_in_the_map():
    found = [r for r in rows() if r[2] == "service_unlock"]
    assert found and found[0][:2] == ("holding", 600) and found[0][6] == "rw"
    assert found[0][9] == ""  # descriptions come from the host (rig.regs.fwdoc)
    assert SCHEMA[index("unlock_code")][1] == UNLOCK_CODE == 7321  # the factory code
    # nothing writable sits next to it: a block write that reaches it is refused whole
    assert all(r[1] not in (599, 601) for r in rows() if r[0] == "holding")


def test_reserved_reads_answer_zeros_and_allocate_nothing():
    # the reserved-address rule adds no allocation to the byte path: measured where it
    # matters, inside MicroPython (gc.mem_alloc; this module runs there too, see
    # test_in_micropython_cpy.py). Reads of reserved addresses only: a scaled value
    # boxes a float wherever it is read. Both interpreters check the replies.
    import gc

    app, hw = make_app()
    app.service()
    core = app.modbus.core
    n = len(INPUTS)
    reqs = [bytearray(h(x % (n, 100 - n))) for x in ("04 %04x %04x", "02 %04x %04x")]
    reqs += [bytearray(h("03 %04x %04x" % (1000 + n, 100 - n)))]
    resp = bytearray(260)
    for r in reqs:
        k = core.handle(r, 0, 5, resp, 0)
        assert k > 2 and resp[0] == r[0] and not any(resp[2:k]), resp[:k]
    if hasattr(gc, "mem_alloc"):  # MicroPython
        before = gc.mem_alloc()
        for _ in range(20):
            for r in reqs:
                core.handle(r, 0, 5, resp, 0)
        assert gc.mem_alloc() - before == 0
