"""The UART line model of the virtual rig's RTU pty (rig.targets.uart_line) against an
independent one: the same characters drawn as levels on a 1 ns grid and sampled as a
UART does, in integer time; and the cases a field technician knows from a real line."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rig.targets.uart_line import LineFormat, receive

BAUDS = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
formats = st.builds(LineFormat, st.sampled_from(BAUDS), st.sampled_from("NEO"),
                    st.sampled_from((1, 2)), st.sampled_from((7, 8)))


def _frame_bits(byte: int, f: LineFormat) -> list[int]:
    d = byte & ((1 << f.data_bits) - 1)
    bits = [0] + [(d >> i) & 1 for i in range(f.data_bits)]
    if f.parity != "N":
        odd = bin(d).count("1") & 1
        bits.append(odd if f.parity == "E" else 1 - odd)
    return bits + [1] * f.stop_bits


def reference(data: bytes, sent: LineFormat, rx: LineFormat) -> bytes:
    """The sender's levels bit by bit in integer time (ticks of 1 / (2 x both rates)),
    and a receiver that looks at every sent bit edge for its start bits."""
    bits = [b for byte in data for b in _frame_bits(byte, sent)]
    tx, half = 2 * rx.baud, sent.baud

    def level(t: int) -> int:
        k = t // tx
        return bits[k] if 0 <= k < len(bits) else 1

    out = bytearray()
    n_par = 0 if rx.parity == "N" else 1
    t = 0
    while True:
        edge = next((e * tx for e in range(-(-t // tx), len(bits))
                     if level(e * tx) == 0 and level(e * tx - 1) == 1), None)
        if edge is None:
            return bytes(out)
        if level(edge + half) != 0:
            t = edge + half
            continue
        s = [level(edge + (3 + 2 * i) * half) for i in range(rx.data_bits + n_par + 1)]
        byte = sum(b << i for i, b in enumerate(s[:rx.data_bits]))
        ok = s[-1] == 1
        if n_par:
            odd = bin(byte).count("1") & 1
            ok &= s[rx.data_bits] == (odd if rx.parity == "E" else 1 - odd)
        if ok:
            out.append(byte)
        t = edge + (3 + 2 * (rx.data_bits + n_par)) * half


@settings(max_examples=150, deadline=None)
@given(st.binary(min_size=1, max_size=12), formats, formats)
def test_the_model_agrees_with_a_sampled_line(data, sent, rx):
    assert receive(data, sent, rx) == reference(data, sent, rx)


@given(st.binary(min_size=1, max_size=64), formats)
def test_the_same_settings_pass_every_byte(data, f):
    assert receive(data, f, f) == bytes(b & ((1 << f.data_bits) - 1) for b in data)


def test_what_a_technician_sees_on_a_real_line():
    req = bytes.fromhex("0104000000 0fb1ce".replace(" ", ""))
    f = LineFormat(19200, "E", 1)
    # stop bits: a UART checks only the first, 8E2 into 8E1 and back works
    assert receive(req, LineFormat(19200, "E", 2), f) == req
    assert receive(req, f, LineFormat(19200, "E", 2)) == req
    # odd against even: every parity bit is wrong, every character is refused
    assert receive(req, LineFormat(19200, "O", 1), f) == b""
    # half or double the baud rate: what arrives is garbage, never the request
    for baud in (9600, 38400):
        got = receive(req, LineFormat(baud, "E", 1), f)
        assert got != req and len(got) < len(req)
