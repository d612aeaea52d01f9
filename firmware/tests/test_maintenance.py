# The maintenance boot (co2hr/maintenance.py) on BoardHardware with bus-level fakes,
# CPython and MicroPython: no watchdog however long it runs, no control tick, every
# output held in its safe state (the valve homed, then part-open), the register map
# read over RS-485 with boot_mode and every write refused, the settings read from flash
# (the stored Modbus address answers) and nothing written back, and, when mpremote
# interrupts it, nothing of the package left running.
from hwfakes import BOARD, Clock, rig_machine
from modbus_fixture import addr, with_crc
from netfakes import scratch_dir

from co2hr.boot import build
from co2hr.hw.board_io import BoardHardware
from co2hr.io import OUTPUTS, SAFE_OUTPUTS
from co2hr.maintenance import Maintenance
from co2hr.settings import index

_n = [0]


def _flash():
    """A fresh flash folder, or None for a board without one."""
    import os

    _n[0] += 1
    d = scratch_dir() + "/flash_m%d" % _n[0]
    os.mkdir(d)
    return d


def _files(d):
    import os

    out = {}
    for n in os.listdir(d):
        with open(d + "/" + n, "rb") as f:
            out[n] = f.read()
    return out


class Board:
    def __init__(self, flash=None, mode=1):
        self.clk = Clock(0)
        self.m = rig_machine(clock=self.clk)
        self.hw = BoardHardware(BOARD, machine=self.m, clock=self.clk, clock_us=self.clk.us,
                                timer=False, flash_dir=flash or "")
        self.lines = []
        self.mt = Maintenance(mode, "rig deploy is replacing the firmware", self.hw, BOARD,
                              self.lines.append)

    def run(self, ms, step_us=500):
        end = self.clk.t + ms
        while self.clk.t < end:
            self.clk.t_us += step_us
            self.mt.poll()

    def rtu(self, pdu, unit=1):
        """One RTU request on the RS-485 UART; the reply frame ('' for none)."""
        u = self.m.uarts[0]
        u.tx = bytearray()
        u.rx.extend(with_crc(bytes([unit]) + pdu))
        self.run(50)
        return bytes(u.tx)


def _pct(m, pin):
    return m.pwms[pin].duty * 100.0 / 65535


def test_outputs_held_safe_and_no_watchdog_ever():
    b = Board()
    b.run(20000, 5000)  # the valve homes and moves to its safe opening
    b.run(5 * 60 * 1000, 200000)  # minutes in maintenance
    assert not b.m.wdts and b.hw.wdt.wdt is None  # never started
    assert b.mt.app.ticks == 0  # no control tick
    for name in ("bev_pct", "hr_valve_pct", "fan_pct", "hr_pump_pct"):
        pin = BOARD["outputs"][name]["pin"]
        want = SAFE_OUTPUTS[OUTPUTS.index(name)]
        assert abs(_pct(b.m, pin) - want) < 0.01, name
    for name in ("gc_bypass", "comp_enable", "alarm_relay"):
        pin = BOARD["outputs"][name]["pin"]
        assert b.m.pins[pin].level == int(SAFE_OUTPUTS[OUTPUTS.index(name)]), name
    st = b.hw.out_drv[0]
    assert st.homed and not st.homing and st.pos == st.target == 144  # 30 % of 480


def test_register_map_read_only_with_the_boot_mode():
    b = Board(mode=1)
    b.run(100)
    a = addr("input", "boot_mode")
    r = b.rtu(bytes([4, a >> 8, a & 0xFF, 0, 4]))
    assert r[:3] == b"\x01\x04\x08" and r[3:5] == b"\x00\x01", r.hex()
    assert r[5:11] == bytes(6)  # no network on this board: kind, state, site 0
    i = addr("input", "p_gc_bar")
    assert b.rtu(bytes([4, i >> 8, i & 0xFF, 0, 1]))[3:5] == b"\x80\x00"  # not measured
    o = addr("input", "fan_pct")
    assert b.rtu(bytes([4, o >> 8, o & 0xFF, 0, 1]))[3:5] == (1000).to_bytes(2, "big")
    s = addr("holding", "p_rec_sp_bar")
    for pdu in (bytes([6, s >> 8, s & 0xFF, 0x01, 0x5E]),  # a setting
                bytes([6, 0x02, 0x58, 0x1C, 0x99]),  # the unlock code to holding 600
                bytes([16, s >> 8, s & 0xFF, 0, 1, 2, 0x01, 0x5E]),
                bytes([5, 0, 0, 0xFF, 0])):  # a command coil
        r = b.rtu(pdu)
        assert r[1] == pdu[0] | 0x80 and r[2] == 1, (pdu.hex(), r.hex())  # exception 1
    assert b.mt.app.control.settings.values[index("p_rec_sp_bar")] == 35


def test_settings_come_from_flash_and_nothing_is_saved():
    d = _flash()
    clk = Clock(0)
    m = rig_machine(clock=clk)
    hw = BoardHardware(BOARD, machine=m, clock=clk, clock_us=clk.us, timer=False,
                       flash_dir=d)
    app = build(hw, BOARD)
    app.control.settings.set_index(index("mb_unit"), 7)  # set by a technician earlier
    app.store.flush()
    before = _files(d)
    b = Board(flash=d, mode=2)
    b.run(30000, 20000)
    assert b.rtu(bytes([4, 0x02, 0x80, 0, 1])) == b""  # not at unit 1 any more
    r = b.rtu(bytes([4, 0x02, 0x80, 0, 1]), unit=7)
    assert r[:5] == b"\x07\x04\x02\x00\x02", r.hex()  # boot_mode 2: after crashes
    b.run(11 * 60 * 1000, 200000)  # longer than the store's counter period
    assert _files(d) == before


def test_the_console_says_maintenance_every_10_s():
    b = Board()
    b.run(35000, 5000)
    assert len(b.lines) == 4
    assert "MAINTENANCE (boot mode 1): rig deploy is replacing the firmware" in b.lines[0]
    assert "Watchdog and control loop off" in b.lines[0] and "rig deploy ends it" in b.lines[0]


def test_quiesce_leaves_nothing_of_the_package_running():
    clk = Clock(0)
    m = rig_machine(clock=clk)
    hw = BoardHardware(BOARD, machine=m, clock=clk, clock_us=clk.us, timer=True,
                       flash_dir="")
    pulse = m.pins[BOARD["inputs"]["energy_pulses"]["pin"]]
    assert pulse.handler is not None and hw.timer.running
    t = hw.timer
    hw.quiesce()
    assert pulse.handler is None and not t.running and hw.timer is None
    fan = m.pwms[BOARD["outputs"]["fan_pct"]["pin"]]
    assert fan.duty == 65535  # outputs keep what they were given
