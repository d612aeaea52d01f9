"""Independent Modbus masters against the firmware running in the real MicroPython
interpreter (mpy target), reached through rig.targets.modbus_bridge: pymodbus over TCP and
over RTU on a pty, and the Debian mbpoll CLI over TCP and over a socat pty pair; fast
masters (pymodbus, raw pyserial) sending back-to-back on the pty (sil and mpy).

(This kernel's ptys refuse PARENB in tcsetattr, so the serial masters use 8N1; the
firmware's loopback line does not care, parity is a property of a real UART.)"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time

import pytest
import serial
from pymodbus.client import ModbusSerialClient, ModbusTcpClient
from pymodbus.exceptions import ModbusIOException

from co2hr.io import INPUTS
from co2hr.modbus.crc import crc16
from co2hr.modbus.registers import UNLOCK_CODE, rows
from rig.boards import load_board
from rig.hil.terminals import terminal_value
from rig.targets import open_target
from rig.targets.modbus_bridge import ModbusBridge

ENG = {"p_gc_bar": 90.0, "p_rec_bar": 35.0, "p_suc_bar": 28.0, "t_gc_out_c": 33.0,
       "t_amb_c": 25.0, "t_disch_c": 100.0, "t_w_in_c": 30.0, "t_w_out_c": 45.0, "t_tank_c": 45.0,
       "demand_v": 0.0, "comp_run": 1, "hp_ok": 1, "ext_enable": 1, "energy_pulses": 0,
       "heat_pulses": 0, "fan_ok": 1}


def addr(table, name):
    return next(r[1] for r in rows() if r[0] == table and r[2] == name)


class Rig:
    """The mpy target, its bridges and one thread that pumps Modbus and steps the
    control tick (the target is used from that thread only)."""

    def __init__(self):
        self.board = load_board("esp32_devkitc")
        self.raw = [terminal_value(self.board["inputs"][n], ENG[n])
            if n in self.board["inputs"] else 0.0 for n in INPUTS]
        self.ok = [1] * len(INPUTS)
        self.target = open_target("mpy", self.board)
        self.tmp = tempfile.mkdtemp(prefix="mbpair-")
        self.a, self.b = os.path.join(self.tmp, "a"), os.path.join(self.tmp, "b")
        self.socat = subprocess.Popen(
            ["socat", "pty,raw,echo=0,link=" + self.a, "pty,raw,echo=0,link=" + self.b],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if os.path.exists(self.a) and os.path.exists(self.b):
                break
            time.sleep(0.02)
        self.main = ModbusBridge(self.target, tcp_port=0)
        self.pair = ModbusBridge(self.target, tcp_port=None, rtu=self.a)
        self.t0 = time.monotonic()
        self.next_tick = 0.0
        self.last = None
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            while not self.stop.is_set():
                moved = self.main.pump() | self.pair.pump()
                now = time.monotonic() - self.t0
                if now >= self.next_tick:  # 1 s control ticks on the wall clock
                    self.last = self.target.step(int(now * 1000), self.raw, self.ok)
                    self.next_tick += 1.0
                if not moved:
                    time.sleep(0.0002)
        except BaseException as e:  # surface it in the test thread
            self.error = e

    def close(self):
        self.stop.set()
        self.thread.join(10)
        self.main.close()
        self.pair.close()
        self.socat.terminate()
        self.socat.wait(5)
        self.target.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def rig():
    r = Rig()
    time.sleep(1.2)  # a first control tick, so the inputs are valid
    yield r
    r.close()
    assert r.error is None, repr(r.error)


def test_pymodbus_tcp_reads_writes_and_exceptions(rig):
    c = ModbusTcpClient("127.0.0.1", port=rig.main.tcp_port, timeout=3)
    assert c.connect()
    try:
        r = c.read_input_registers(addr("input", "p_gc_bar"), count=2, device_id=1)
        assert not r.isError()
        assert abs(r.registers[0] / 10.0 - 90.0) < 0.2 and abs(r.registers[1] / 10 - 35) < 0.2
        r = c.read_holding_registers(addr("holding", "p_gc_max_bar"), count=1, device_id=1)
        p_max = r.registers[0]
        r = c.write_register(addr("holding", "p_gc_max_bar"), 1040, device_id=1)
        assert r.isError() and r.exception_code == 1  # locked
        assert not c.write_register(600, UNLOCK_CODE, device_id=1).isError()
        r = c.write_register(addr("holding", "p_gc_max_bar"), 20, device_id=1)
        assert r.isError() and r.exception_code == 3  # 2.0 bar: out of range
        assert not c.write_registers(addr("holding", "p_gc_max_bar"), [1040],
                                     device_id=1).isError()
        r = c.readwrite_registers(read_address=addr("holding", "p_gc_max_bar"), read_count=1,
                                  write_address=addr("holding", "p_gc_max_bar"),
                                  values=[p_max], device_id=1)
        assert r.registers == [p_max]
        r = c.read_holding_registers(60000, count=1, device_id=1)
        assert r.isError() and r.exception_code == 2
        r = c.read_discrete_inputs(0, count=len(INPUTS), device_id=1)
        assert all(r.bits[i] for i in (0, 1, 3))  # p_gc, p_rec, t3 valid
        assert not c.write_coil(addr("coil", "alarm_ack"), True, device_id=1).isError()
        r = c.read_device_information(device_id=1)
        assert r.information[1] == b"CO2HR-CTL"
        assert not c.write_register(600, 0, device_id=1).isError()
    finally:
        c.close()


def test_pymodbus_rtu_over_pty(rig):
    c = ModbusSerialClient(rig.main.rtu_path, baudrate=19200, parity="N", timeout=2, retries=0)
    assert c.connect()
    try:
        r = c.read_input_registers(addr("input", "fw_major"), count=3, device_id=1)
        assert not r.isError()
        r = c.read_holding_registers(addr("holding", "mb_unit"), count=1, device_id=1)
        assert r.registers == [1]
        r = c.write_register(addr("holding", "mode_cmd"), 9, device_id=1)
        assert r.isError() and r.exception_code == 1  # locked (and 9 out of range)
        assert not c.write_register(600, UNLOCK_CODE, device_id=1).isError()
        r = c.write_register(addr("holding", "mode_cmd"), 9, device_id=1)
        assert r.isError() and r.exception_code == 3
        r = c.read_holding_registers(600, count=1, device_id=1)
        assert 0 < r.registers[0] <= 600
        assert not c.write_register(600, 0, device_id=1).isError()
        c.comm_params.timeout_connect = 0.3
        with pytest.raises(ModbusIOException):  # another address on the line: no answer
            c.read_holding_registers(0, count=1, device_id=9)
    finally:
        c.close()


def _mbpoll(*args, timeout=20):
    p = subprocess.run(["mbpoll", "-0", "-1", "-o", "2", *args], capture_output=True, text=True,
                       timeout=timeout)
    return p.returncode, p.stdout + p.stderr


def test_mbpoll_tcp_read_and_unlock_per_connection(rig):
    port = str(rig.main.tcp_port)
    rc, out = _mbpoll("-m", "tcp", "-p", port, "-t", "3", "-r", "0", "-c", "2", "127.0.0.1")
    assert rc == 0, out
    assert "[0]: \t900" in out and "[1]: \t350" in out, out
    rc, out = _mbpoll("-m", "tcp", "-p", port, "-t", "4", "-r", "600", "127.0.0.1",
                      str(UNLOCK_CODE))
    assert rc == 0 and "Written 1 references" in out, out
    # mbpoll connects anew for every call: the unlock went with the first connection
    a = str(addr("holding", "p_rec_sp_bar"))
    rc, out = _mbpoll("-m", "tcp", "-p", port, "-t", "4", "-r", a, "127.0.0.1", "360")
    assert rc != 0 and "Illegal function" in out, out
    rc, out = _mbpoll("-m", "tcp", "-p", port, "-t", "4", "-r", a, "127.0.0.1")
    assert rc == 0 and "[%s]: \t350" % a in out, out
    rc, out = _mbpoll("-m", "tcp", "-p", port, "-t", "4", "-r", "600", "127.0.0.1", "1")
    assert rc != 0 and "Illegal function" in out, out  # a wrong code: refused like a write


def test_mbpoll_rtu_over_socat_pair(rig):
    dev = rig.b
    line = ("-m", "rtu", "-b", "19200", "-P", "none", "-a", "1")
    rc, out = _mbpoll(*line, "-t", "3:int", "-B", "-r", str(addr("input", "uptime_s")), dev)
    assert rc == 0, out
    assert "Illegal" not in out
    rc, out = _mbpoll(*line, "-t", "0", "-r", "0", dev, "1")  # coil alarm_ack
    assert rc != 0 and "Illegal function" in out, out  # commands need the unlock
    rc, out = _mbpoll(*line, "-t", "4", "-r", "1", dev, "1040")
    assert rc != 0 and "Illegal function" in out, out  # settings locked
    rc, out = _mbpoll(*line, "-t", "4", "-r", "600", dev, str(UNLOCK_CODE))
    assert rc == 0 and "Written 1 references" in out, out
    # the RTU line keeps its unlock between calls (one master at a time on a line)
    rc, out = _mbpoll(*line, "-t", "0", "-r", "0", dev, "1")
    assert rc == 0 and "Written 1 references" in out, out
    rc, out = _mbpoll(*line, "-t", "4", "-r", "600", dev, "0")
    assert rc == 0 and "Written 1 references" in out, out
    rc, out = _mbpoll(*line, "-t", "0", "-r", "0", dev, "1")
    assert rc != 0 and "Illegal function" in out, out


def test_control_tick_kept_running(rig):
    # traffic of its own (under xdist the other tests may run in another process)
    rc, out = _mbpoll("-m", "tcp", "-p", str(rig.main.tcp_port), "-t", "3", "-r", "0",
                      "127.0.0.1")
    assert rc == 0, out
    rc, out = _mbpoll("-m", "rtu", "-b", "19200", "-P", "none", "-a", "1", "-t", "3", "-r", "0",
                      rig.b)
    assert rc == 0, out
    time.sleep(1.1)
    last = rig.last
    assert last is not None and last.ticks >= 2 and last.overruns == 0
    assert rig.main.tcp_requests > 0 and rig.pair.rtu_frames_in > 0


# -- fast masters on the RTU pty ------------------------------------------------------------
# The firmware counts itself transmitting for its reply's line time (45 registers at 19200
# baud 8E1: 95 bytes, 54 ms) and takes bytes arriving then for its own echo; the pty hands
# the reply over at once. A master that asks again at once must still be answered: the
# bridge holds its bytes until the reply has left the (virtual) wire.

N_FAST = 50
BLOCK = 45  # holding 0..44, the settings block


def _raw_read_frame(unit: int, start: int, qty: int) -> bytes:
    f = bytes([unit, 3, start >> 8, start & 0xFF, qty >> 8, qty & 0xFF])
    c = crc16(f, 0, len(f))
    return f + bytes([c & 0xFF, c >> 8])


def _pymodbus_back_to_back(path: str) -> int:
    c = ModbusSerialClient(path, baudrate=19200, parity="N", timeout=1, retries=0)
    assert c.connect()
    answered, first = 0, None
    try:
        for _ in range(N_FAST):
            r = c.read_holding_registers(0, count=BLOCK, device_id=1)
            assert not r.isError(), r
            assert len(r.registers) == BLOCK
            first = r.registers if first is None else first
            assert r.registers[1:3] == first[1:3]  # p_gc_max, p_rec_sp: unchanged settings
            answered += 1
    finally:
        c.close()
    return answered


def _raw_back_to_back(path: str) -> int:
    """pyserial: the next request goes out the moment the last reply byte is in."""
    req = _raw_read_frame(1, 0, BLOCK)
    n_reply = 3 + 2 * BLOCK + 2
    answered = 0
    with serial.Serial(path, 19200, timeout=1) as s:
        for _ in range(N_FAST):
            s.write(req)
            r = s.read(n_reply)
            if len(r) == n_reply and r[:3] == bytes([1, 3, 2 * BLOCK]) and \
                    crc16(r, 0, len(r)) == 0:
                answered += 1
    return answered


def test_fast_master_back_to_back_over_pty_sil():
    board = load_board("esp32_devkitc")
    target = open_target("sil", board)
    bridge = ModbusBridge(target, tcp_port=None)
    stop = threading.Event()
    th = threading.Thread(target=bridge.serve, args=(stop,), daemon=True)
    th.start()
    try:
        t0 = time.monotonic()
        assert _raw_back_to_back(bridge.rtu_path) == N_FAST
        wall_s = time.monotonic() - t0
        assert _pymodbus_back_to_back(bridge.rtu_path) == N_FAST
    finally:
        stop.set()
        th.join(5)
        bridge.close()
        target.close()
    # most requests did land inside the reply's line time (a loaded machine delays a few)
    assert bridge.rtu_held >= N_FAST
    # each exchange takes the reply's line time (+ t3.5), not a client-side timeout
    assert wall_s < N_FAST * 0.2, wall_s


def test_fast_master_back_to_back_over_pty_mpy(rig):
    held0 = rig.main.rtu_held
    assert _pymodbus_back_to_back(rig.main.rtu_path) == N_FAST
    assert rig.main.rtu_held - held0 >= N_FAST // 2
