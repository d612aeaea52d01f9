"""What a UART receives of bytes another UART sent with other line settings.

Why: a pty moves bytes, not bits, so on the virtual rig's RTU line a master at the wrong
baud rate still talks to the firmware, and a technician cannot practise the symptoms of
wrong settings. This models the wire instead: the sender's characters become a bit
waveform at its baud rate (start bit, data bits LSB first, parity, stop bits, idle high
between frames), and the receiver samples it as a UART does: it waits for a falling edge,
samples each bit in its middle at its own baud rate, and checks the parity and the
first stop bit. A character with a framing or parity error is dropped (a UART flags it;
either way the Modbus frame fails its CRC). docs/hil-link.md ("The RTU line") says what
the bridge reads from the pty and what it cannot (Linux ptys drop the parity-enable
flag).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

PARITIES = ("N", "E", "O")


@dataclass(frozen=True)
class LineFormat:
    baud: int
    parity: str = "N"  # N, E or O
    stop_bits: int = 1
    data_bits: int = 8

    def __str__(self) -> str:
        return f"{self.baud} {self.data_bits}{self.parity}{self.stop_bits}"


def _parity_bit(byte: int, parity: str) -> int:
    ones = bin(byte).count("1")
    return ones & 1 if parity == "E" else 1 - (ones & 1)


def _bits(byte: int, fmt: LineFormat) -> list[int]:
    data = byte & ((1 << fmt.data_bits) - 1)
    out = [0] + [(data >> k) & 1 for k in range(fmt.data_bits)]
    if fmt.parity != "N":
        out.append(_parity_bit(data, fmt.parity))
    return out + [1] * fmt.stop_bits


def _waveform(data: bytes, fmt: LineFormat, bit: int) -> tuple[list[int], list[int]]:
    """The line as transitions: times (in ticks, `bit` to a bit) where the level
    changes, and the level after each; idle (1) before the first and after the last
    character."""
    times: list[int] = []
    levels: list[int] = []
    level = 1
    t = 0
    for byte in data:
        for b in _bits(byte, fmt):
            if b != level:
                times.append(t)
                levels.append(b)
                level = b
            t += bit
    if level != 1:
        times.append(t)
        levels.append(1)
    return times, levels


def _level(times: list[int], levels: list[int], t: int) -> int:
    """The level at t (at a transition: the new one)."""
    k = bisect.bisect_right(times, t) - 1
    return 1 if k < 0 else levels[k]


def receive(data: bytes, sent: LineFormat, rx: LineFormat) -> bytes:
    """The bytes a UART set to rx decodes from data sent with sent (frames with a
    framing or parity error dropped). Time runs in integer ticks of 1 / (2 x both baud
    rates) s, so a sample that falls on a bit edge is decided the same way every time."""
    if sent == rx:
        mask = (1 << rx.data_bits) - 1
        return bytes(data) if mask == 0xFF else bytes(b & mask for b in data)
    tx_bit, half = 2 * rx.baud, sent.baud  # ticks per sent bit, per half received bit
    times, levels = _waveform(data, sent, tx_bit)
    out = bytearray()
    t = 0
    n_par = 0 if rx.parity == "N" else 1
    while True:
        # the next falling edge at or after t: a start bit
        k = bisect.bisect_left(times, t)
        while k < len(times) and levels[k] != 0:
            k += 1
        if k >= len(times):
            return bytes(out)
        t0 = times[k]
        if _level(times, levels, t0 + half) != 0:
            t = t0 + half  # a glitch, not a start bit
            continue
        bits = [_level(times, levels, t0 + (3 + 2 * i) * half)
                for i in range(rx.data_bits + n_par + 1)]
        byte = sum(b << i for i, b in enumerate(bits[:rx.data_bits]))
        ok = bits[-1] == 1  # the first stop bit
        if n_par and bits[rx.data_bits] != _parity_bit(byte, rx.parity):
            ok = False
        if ok:
            out.append(byte)
        t = t0 + (3 + 2 * (rx.data_bits + n_par)) * half  # the middle of the stop bit
