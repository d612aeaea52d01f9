# Modbus RTU framing (Modbus over Serial Line v1.02 §2.5) on the firmware's RTU server,
# fed through the loopback port at the bus boundary with the port's own clock:
# 3.5-character silence, CRC, address filter, broadcast, split and back-to-back
# frames, RS-485 direction timing, communication settings applied after the answer.
from modbus_fixture import T35, UNLOCK_CODE, h, make_app, req, rtu, rtu_req, u16, with_crc

from co2hr.modbus.crc import crc16
from co2hr.modbus.rtu import silence_us


def diag(app, k):
    r = h(req(app, "04 %04x 0002" % (400 + 2 * k)))
    return (r[2] << 24) | (r[3] << 16) | (r[4] << 8) | r[5]


def test_crc16_modbus_check_value():
    assert crc16(b"123456789", 0, 9) == 0x4B37
    assert with_crc(h("01 03 0000 0001")) == h("01 03 0000 0001 840a")


def test_silence_times():
    assert silence_us(19200, 2, 1) == T35
    assert silence_us(9600, 0, 2) == 4010
    assert silence_us(38400, 2, 1) == 1750  # fixed above 19200
    assert silence_us(115200, 0, 1) == 1750


def test_answer_only_after_t35_silence():
    app, hw = make_app()
    f = with_crc(h("01 03 0000 0001"))
    assert rtu(app, hw, 1000, f) == b""
    assert rtu(app, hw, 1000 + T35 - 1) == b""
    out = rtu(app, hw, 1000 + T35)
    v = app.control.settings.values[0]
    assert out == with_crc(h("01 03 02" + u16(v)))
    assert hw.bus.rtu.last_rx_us == 1000


def test_bad_crc_never_answered_and_counted():
    app, hw = make_app()
    f = bytearray(with_crc(h("01 03 0000 0001")))
    f[-1] ^= 0x01
    assert rtu(app, hw, 0, bytes(f)) + rtu(app, hw, 5000) == b""
    assert diag(app, 1) == 1


def test_other_address_ignored_broadcast_not_answered():
    app, hw = make_app()
    assert rtu(app, hw, 0, with_crc(h("02 03 0000 0001"))) + rtu(app, hw, 3000) == b""
    f = with_crc(h("00 03 0000 0001"))
    assert rtu(app, hw, 10000, f) + rtu(app, hw, 13000) == b""
    assert diag(app, 0) == 1  # the broadcast was taken (and not answered)
    assert diag(app, 3) == 1


def test_split_frame_within_t35_is_one_frame():
    app, hw = make_app()
    f = with_crc(h("01 04 0384 0001"))
    assert rtu(app, hw, 0, f[:3]) == b""
    assert rtu(app, hw, 1500, f[3:]) == b""  # gap < t3.5: same frame
    assert rtu(app, hw, 1500 + T35)[:3] == h("01 04 02")


def test_gap_of_t35_splits_into_two_bad_frames():
    app, hw = make_app()
    f = with_crc(h("01 04 0384 0001"))
    rtu(app, hw, 0, f[:4])
    rtu(app, hw, T35 + 10, f[4:])  # the first part ended by the silence
    assert rtu(app, hw, 2 * T35 + 20) == b""
    assert diag(app, 1) + diag(app, 4) == 2


def test_back_to_back_frames_each_answered():
    app, hw = make_app()
    a = with_crc(h("01 03 0000 0001"))
    b = with_crc(h("01 04 0384 0001"))
    out1 = rtu(app, hw, 0, a)
    out1 += rtu(app, hw, T35)
    t = T35 + 7 * 573 + 100  # after our answer has left
    out2 = rtu(app, hw, t, b) + rtu(app, hw, t + T35)
    assert out1[:3] == h("01 03 02") and out2[:3] == h("01 04 02")


def test_frames_without_silence_merge_and_fail_crc():
    app, hw = make_app()
    a = with_crc(h("01 03 0000 0001"))
    assert rtu(app, hw, 0, a + a) + rtu(app, hw, T35) == b""
    assert diag(app, 1) == 1


def test_next_frame_arriving_after_silence_closes_the_previous():
    app, hw = make_app()
    a = with_crc(h("01 03 0000 0001"))
    other = with_crc(h("05 03 0000 0001"))
    rtu(app, hw, 0, other)
    out = rtu(app, hw, T35 + 5, a)  # first poll after the silence sees new bytes too
    out += rtu(app, hw, 2 * T35 + 10)
    assert out[:3] == h("01 03 02")
    assert diag(app, 3) == 1


def test_de_raised_before_tx_and_held_until_last_stop_bit():
    app, hw = make_app()
    port = hw.bus.rtu
    f = with_crc(h("01 03 0000 0002"))
    rtu(app, hw, 0, f)
    out = rtu(app, hw, T35)
    assert len(out) == 9
    assert port.de_level == 1 and port.de_rise_us == T35
    end = T35 + 9 * port.char_us
    assert port.tx_end_us == end
    rtu(app, hw, end - 1, h("ff"))  # a byte while we send: on the line only after us
    assert port.de_level == 1
    rtu(app, hw, end)
    assert port.de_level == 0 and port.de_fall_us == end
    assert port.de_errors == 0
    assert rtu(app, hw, end + 3 * T35) == b""  # a 1-byte frame: dropped, not answered
    assert diag(app, 4) == 1


def test_frame_too_long_dropped():
    app, hw = make_app()
    rtu(app, hw, 0, bytes(300))
    assert rtu(app, hw, T35) == b""
    assert diag(app, 4) == 1
    out = rtu(app, hw, 10000, with_crc(h("01 03 0000 0001"))) + rtu(app, hw, 10000 + T35)
    assert out[:2] == h("01 03")


def test_exception_frame():
    app, hw = make_app()
    out = rtu(app, hw, 0, with_crc(h("01 03 0000 0000"))) + rtu(app, hw, T35)
    assert out == with_crc(h("01 83 03"))


def test_unit_and_baud_change_after_the_answer():
    app, hw = make_app()
    port = hw.bus.rtu
    assert rtu_req(app, hw, "06 0258" + u16(UNLOCK_CODE)) == "060258" + u16(UNLOCK_CODE)
    t = hw.t_us + 300000
    f = with_crc(h("01 10 0190 0002 04 0007 0480"))  # mb_unit 7, 115200 baud
    out = rtu(app, hw, t, f) + rtu(app, hw, t + T35)
    assert out == with_crc(h("01 10 0190 0002"))
    assert port.baud == 19200  # still sending the answer the old way
    t += T35 + 8 * 573 + 10
    rtu(app, hw, t)
    assert port.baud == 115200 and port.de_level == 0
    t += 5000
    assert rtu(app, hw, t, with_crc(h("01 03 0000 0001"))) + rtu(app, hw, t + 1750) == b""
    t += 5000
    out = rtu(app, hw, t, with_crc(h("07 03 0000 0001")))
    assert rtu(app, hw, t + 1749) == b""
    out += rtu(app, hw, t + 1750)
    assert out[:3] == h("07 03 02")
    assert app.modbus.rtu.turnaround_us == 1750


def test_port_clock_wraps():
    app, hw = make_app()
    f = with_crc(h("01 03 0000 0001"))
    t = 0x3FFFFFFF - 1000  # the frame ends across the 2**30 wrap of the port clock
    for k in range(3):
        out = rtu(app, hw, t, f) + rtu(app, hw, (t + T35) & 0x3FFFFFFF)
        assert out[:3] == h("01 03 02"), k
        t = (t + 400000000) & 0x3FFFFFFF  # long idle gaps (a poll at least every half wrap)
        rtu(app, hw, t)


def test_loop_port_keeps_held_bytes_ahead_of_later_ones():
    # Bytes a master sent while we were still transmitting are held, and must
    # reach the receiver before anything it sent afterwards.
    from co2hr.modbus.ports import LoopRtuPort

    p = LoopRtuPort()
    p.de(1)
    p.write(b"\x01\x02\x03")  # 3 characters on the line
    p.feed(p.char_us, b"AB")  # arrives during our transmission: held
    assert p.held == bytearray(b"AB")
    p.de(0)
    p.feed(10 * p.char_us, b"CD")  # after the transmission ended
    buf = bytearray(8)
    n = p.readinto(memoryview(buf))
    assert bytes(buf[:n]) == b"ABCD"
