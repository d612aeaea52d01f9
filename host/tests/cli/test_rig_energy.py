"""`rig energy` as an accountant's helper runs it, over Modbus TCP (pymodbus) through
rig.targets.modbus_bridge to the firmware on sil: a night across 30 September -> 1
October (local time) with the compressor metered gives two months and two seasons whose
compressor energy adds up to what the lifetime counter gained, and the user's rates
appear only when given, named as the user's."""

from __future__ import annotations

import csv
import io
import threading
import time
from datetime import UTC, datetime

from co2hr.io import INPUTS
from rig.boards import load_board
from rig.cli import main
from rig.hil.terminals import terminal_value
from rig.regs.master import PduMaster
from rig.targets import open_target
from rig.targets.modbus_bridge import ModbusBridge

ENG = {"p_gc_bar": 90.0, "p_rec_bar": 35.0, "p_suc_bar": 28.0, "t_gc_out_c": 33.0,
       "t_amb_c": 25.0, "t_disch_c": 100.0, "t_w_in_c": 30.0, "t_w_out_c": 45.0, "t_tank_c": 45.0,
       "demand_v": 0.0, "comp_run": 1, "hp_ok": 1, "ext_enable": 1, "energy_pulses": 0,
       "heat_pulses": 0, "fan_ok": 1}


def _comp_wh(t) -> int:
    m = PduMaster(lambda pdu: t.modbus(1, pdu))
    hi, lo = m.read_words("input", 300 + 2 * 5, 2)  # comp_wh
    return (hi << 16) | lo


def test_rig_energy_splits_a_night_across_the_heating_season_start(capsys):
    board = load_board("esp32_devkitc")
    k = INPUTS.index("energy_pulses")
    raw = [terminal_value(board["inputs"][n], ENG[n])
            if n in board["inputs"] else 0.0 for n in INPUTS]
    t = open_target("sil", board)
    try:
        utc = datetime(2026, 9, 30, 21, 40, tzinfo=UTC)  # 23:40 local (CEST)
        t.rtc_set(int(utc.timestamp() * 1000))
        t.step(0, raw, [1] * len(INPUTS))
        base = _comp_wh(t)
        for s in range(1, 2401):  # 40 min, a pulse a second
            raw[k] = float(s)
            t.step(s * 1000, raw, [1] * len(INPUTS))
        gained = _comp_wh(t) - base
        bridge = ModbusBridge(t, tcp_port=0, rtu=False)
        stop = threading.Event()

        def pump():
            while not stop.is_set():
                if not bridge.pump():
                    time.sleep(0.0005)

        th = threading.Thread(target=pump, daemon=True)
        th.start()
        try:
            tcp = ["--tcp", f"127.0.0.1:{bridge.tcp_port}", "--timeout", "3"]
            assert main(["energy", "--csv", *tcp]) == 0
            out = capsys.readouterr()
            rows = {r["period"]: r for r in csv.DictReader(io.StringIO(out.out))}
            assert main(["energy", "--heat-rate", "0.5", *tcp]) == 0
            table = capsys.readouterr().out
        finally:
            stop.set()
            th.join(5)
            bridge.close()
    finally:
        t.close()
    assert set(rows) == {"heating 2026/27", "rest 2026", "2026-10", "2026-09"}, rows
    oct_, sep = rows["2026-10"], rows["2026-09"]
    assert oct_["heating_season"] == "1" and sep["heating_season"] == "0"
    kwh = float(oct_["comp_refrig_kwh"]) + float(sep["comp_refrig_kwh"])
    assert gained > 0 and abs(kwh * 1000 - gained) < 1.0, (kwh, gained)
    assert rows["heating 2026/27"]["comp_refrig_kwh"] == oct_["comp_refrig_kwh"]
    assert abs(float(oct_["h_refrig"]) - 2400 / 3600 * 0.5) < 0.02  # 20 min after midnight
    assert "heat_tax_dkk" not in out.out and "rates you gave" not in out.out + out.err
    assert "heat_tax_dkk" in table and "rates you gave" in table
