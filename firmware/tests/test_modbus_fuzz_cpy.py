"""hypothesis: random and mutated Modbus frames against the real firmware (CPython).
The server never raises, never answers a frame with a bad CRC or for another
address, answers only well-formed responses, and the control tick keeps running."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from modbus_fixture import make_app, with_crc

from co2hr.modbus import crc

T35 = 2005
VALID = [bytes.fromhex(x.replace(" ", "")) for x in (
    "01 03 0000 0003", "01 04 0000 000f", "01 01 0000 0001", "01 02 0000 000f",
    "01 05 0000 ff00", "01 06 0258 0001", "01 10 0000 0001 02 0002",
    "01 0f 0000 0001 01 01", "01 2b 0e 01 00", "01 17 0000 0001 0000 0001 02 0002",
    "01 04 0384 0007")]

settings_ = settings(max_examples=150, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow])


def _mutate(data, flips):
    b = bytearray(data)
    for pos, val in flips:
        if b:
            b[pos % len(b)] = val
    return bytes(b)


frames = st.one_of(
    st.binary(min_size=0, max_size=300),
    st.builds(lambda b: with_crc(b), st.binary(min_size=1, max_size=260)),
    st.builds(lambda base, fl: with_crc(_mutate(base, fl)), st.sampled_from(VALID),
              st.lists(st.tuples(st.integers(0, 300), st.integers(0, 255)), max_size=4)),
    st.builds(lambda base, fl: _mutate(with_crc(base), fl), st.sampled_from(VALID),
              st.lists(st.tuples(st.integers(0, 300), st.integers(0, 255)), min_size=1,
                       max_size=3)),
)


def _check_response(req_pdu, resp):
    fc = req_pdu[0]
    assert resp[0] in (fc, (fc | 0x80) & 0xFF)
    if resp[0] & 0x80:
        assert len(resp) == 2 and 1 <= resp[1] <= 4


@settings_
@given(st.lists(st.tuples(frames, st.integers(0, 3 * T35)), min_size=1, max_size=6))
def test_rtu_random_and_mutated_frames(seq):
    app, hw = make_app()
    t = 0
    ticks0 = app.ticks
    for frame, gap in seq:
        # after any answer has left: the longest RTU frame is 256 characters (573 us
        # each at 19200 baud); 20 characters let a 35-byte answer overlap the next
        # request, whose late answer was then blamed on the frame after it
        t += gap + T35 + 256 * 573
        hw.now += 400  # the control clock runs on; service() ticks when due
        app.service()
        out = hw.bus.rtu_exchange(t, frame, app.modbus.poll)
        out += hw.bus.rtu_exchange(t + T35, b"", app.modbus.poll)
        if out:
            assert crc.check(frame, len(frame)), "answered a frame with a bad CRC"
            assert frame[0] == 1, "answered another address or a broadcast"
            assert crc.check(out, len(out)) and out[0] == 1
            _check_response(frame[1:-2], out[1:-2])
    assert app.ticks > ticks0 or hw.now < 1000
    assert app.overruns == 0


@settings_
@given(st.binary(min_size=0, max_size=260), st.sampled_from([0, 1, 2, 247]))
def test_pdu_core_never_raises(pdu, unit):
    app, hw = make_app()
    r = app.modbus.handle_pdu(unit, pdu)
    if unit in (0, 2, 247) or not pdu:
        assert r is None
    else:
        assert r is not None and len(r) <= 253
        _check_response(pdu, r)


@settings_
@given(st.lists(st.binary(min_size=0, max_size=80), min_size=1, max_size=8))
def test_tcp_random_stream_never_raises(chunks):
    app, hw = make_app()
    hw.bus.tcp_exchange(1, "open", b"", app.modbus.poll)
    for c in chunks:
        hw.now += 300
        app.service()
        out, closed = hw.bus.tcp_exchange(1, "data", c, app.modbus.poll)
        if closed:
            break
        if out:
            assert len(out) >= 9 and out[2:4] == b"\0\0"
            assert (out[4] << 8 | out[5]) == len(out) - 6 or len(out) > 9
    assert app.overruns == 0
