"""Modbus figures: requests per second served over TCP (pymodbus against the bridge)
on the mpy and sil targets while the control tick runs (tick overruns reported), and
RTU turnaround at 19200 and 115200 baud in character times, measured on the
firmware's port clock (last request byte -> first response byte). One line per figure.

    python tools/bench_modbus.py [--seconds 3] [--targets mpy,sil]
"""

from __future__ import annotations

import argparse
import threading
import time

import rig.fw  # noqa: F401
from co2hr.io import INPUTS
from co2hr.modbus.crc import crc16
from co2hr.modbus.registers import UNLOCK_CODE
from rig.boards import load_board
from rig.hil.terminals import terminal_value
from rig.targets import open_target
from rig.targets.modbus_bridge import ModbusBridge

ENG = {"p_gc_bar": 90.0, "p_rec_bar": 35.0, "p_suc_bar": 28.0, "t_gc_out_c": 33.0,
       "t_amb_c": 25.0, "t_disch_c": 100.0, "t_w_in_c": 30.0, "t_w_out_c": 45.0, "t_tank_c": 45.0,
       "demand_v": 0.0, "comp_run": 1, "hp_ok": 1, "ext_enable": 1, "energy_pulses": 0,
       "fan_ok": 1, "heat_pulses": 0}
TICK_MS = 100  # a fast control tick, so a late one shows


def _terminals(board):
    return [terminal_value(board["inputs"][n], ENG[n])
            if n in board["inputs"] else 0.0 for n in INPUTS], [1] * len(INPUTS)


def bench_tcp(target_name: str, seconds: float) -> None:
    from pymodbus.client import ModbusTcpClient

    board = dict(load_board("esp32_devkitc"), tick_ms=TICK_MS)
    raw, ok = _terminals(board)
    t = open_target(target_name, board)
    br = ModbusBridge(t, tcp_port=0, rtu=False)
    done = threading.Event()
    count = [0]

    def client():
        c = ModbusTcpClient("127.0.0.1", port=br.tcp_port, timeout=5)
        c.connect()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            r = c.read_input_registers(0, count=len(INPUTS), device_id=1)
            assert not r.isError()
            count[0] += 1
        c.close()
        done.set()

    t0 = time.monotonic()
    next_tick = 0.0
    res = t.step(0, raw, ok)
    th = threading.Thread(target=client, daemon=True)
    th.start()
    late_ms = 0.0
    while not done.is_set():
        br.pump()
        now = time.monotonic() - t0
        if now * 1000 >= next_tick:
            late_ms = max(late_ms, now * 1000 - next_tick)
            res = t.step(int(now * 1000), raw, ok)
            next_tick += TICK_MS
    elapsed = time.monotonic() - t0
    th.join()
    br.close()
    t.close()
    print("tcp %-3s: %6.0f requests/s (FC4 x15 regs, one pymodbus client); control tick %d ms: "
          "%d ticks, %d overruns, latest tick %.1f ms late"
          % (target_name, count[0] / elapsed, TICK_MS, res.ticks, res.overruns, late_ms))


def _frame(hexpdu: str, unit: int = 1) -> bytes:
    b = bytes([unit]) + bytes.fromhex(hexpdu)
    c = crc16(b, 0, len(b))
    return b + bytes([c & 0xFF, c >> 8])


def bench_rtu(target_name: str) -> None:
    board = load_board("esp32_devkitc")
    t = open_target(target_name, board)
    t.modbus(1, bytes.fromhex("0602580000") [:3] + UNLOCK_CODE.to_bytes(2, "big"))
    t_us = 1000
    for baud in (19200, 115200):
        t.modbus(1, bytes.fromhex("060191") + (baud // 100).to_bytes(2, "big"))
        t.rtu_exchange(t_us, b"")  # idle: the new line settings are taken
        bits = 11  # 8E1
        char_us = bits * 1e6 / baud
        step = max(1, int(char_us / 20))  # the loop polls every 1/20 character here
        frame = _frame("0400000005")
        last = t_us + len(frame) * int(char_us)
        for k, byte in enumerate(frame):  # byte by byte, at the line rate
            t.rtu_exchange(t_us + (k + 1) * int(char_us), bytes([byte]))
        now = last
        out = b""
        while not out and now - last < 100000:
            now += step
            out = t.rtu_exchange(now, b"")
        turn = now - last
        print("rtu %-3s: %6d baud: turnaround %5d us = %4.1f character times (t3.5 = %d us)"
              % (target_name, baud, turn, turn / char_us, 1750 if baud > 19200
                 else int(35 * bits * 1e5 / baud)))
        t_us = now + 100000
    t.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--targets", default="mpy,sil")
    a = ap.parse_args()
    for name in a.targets.split(","):
        bench_tcp(name, a.seconds)
    for name in a.targets.split(","):
        bench_rtu(name)


if __name__ == "__main__":
    main()
