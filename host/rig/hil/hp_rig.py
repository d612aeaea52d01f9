"""The heat pump plant on a firmware target (sil or mpy), through a heat pump board file.

The firmware runs as it does on a board: boot.build() of the board file (app
"heatpump"), its terminals made from the plant's state by the board file's scaling
(rig.hil.terminals), its outputs driving the plant: the HPEV's opening
(HpPlant.step_valve), the compressor's speed (0-100 % = MIN_HZ..MAX_HZ of the drive,
nothing while comp_enable is off), the water pump and the fans. The compressor's run
contact follows the enable; the heat and energy meters count the plant's heat and
compressor work in pulses. The pressure transmitters carry the simulated board's noise
(rig.hil.simboard.P_NOISE_BAR, seeded), as live ones do: a reading that never moves is
taken as stuck by the firmware. In a hot gas defrost (the bypass valve open) the
compressor's gas goes to the coil, none to the water, and its work (the energy meter
counts it) is the coil's heat. With frost=True the coil
frosts as it runs (rig.plant.air_coil), a hot gas defrost puts HOT_GAS_W into it (the
frost melts at 0 degC, then the metal warms), and the coil sensor reads the coil's
metal. With a clean coil (frost=False) the coil sensor reads the evaporating
temperature while the compressor runs, the air while it stands still, and in a hot gas
defrost warms towards T_HOT_GAS_C with TAU_HOT_GAS_S. The buffer tank is a fixed
temperature here (the schedule's tank rules have their own check: rig.hil.price_day).
Settings go over Modbus (raw frames, after the service unlock), as a technician's would.
docs/heatpump.md ("The application") has the figures this gives.
"""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass, field

from co2hr.io import (
    AO_BEV,
    AO_COMP_SPEED,
    AO_FAN,
    AO_HPEV,
    AO_HR_PUMP,
    DO_COMP_ENABLE,
    INPUTS,
    N_OUT,
)
from co2hr.modbus.registers import UNLOCK_CODE, setting_address
from co2hr.settings import SCHEMA, index
from rig.hil.defrost_day import HOT_GAS_W
from rig.hil.simboard import P_NOISE_BAR
from rig.hil.terminals import terminal_value
from rig.plant.hp_plant import HpPlant, HpState

MIN_HZ = 20.0  # the drive's speed at 0 % and 100 % (the compressor's range)
MAX_HZ = 70.0
HEAT_WH_PER_PULSE = 1000  # the simulated heat meter (set as hr_meter_wh_per_pulse)
T_HOT_GAS_C = 25.0
TAU_HOT_GAS_S = 120.0


@dataclass
class HpWorld:
    """What the plant sees that the firmware does not decide."""

    t_air_c: float = 0.0
    rh: float = 0.85
    t_return_c: float = 40.0
    t_tank_c: float = 55.0
    demand_v: float = 10.0
    ext_enable: int = 1
    boiler_on: int = 0
    hp_ok: int = 1
    faults: dict = field(default_factory=dict)  # input name -> engineering value forced
    hpev_stuck_pct: float | None = None  # the valve stuck at this opening, whatever asked


class HpRig:
    def __init__(self, target, board: dict, world: HpWorld | None = None,
                 frost: bool = False, dt_s: float = 1.0, seed: int = 0):
        self.target = target
        self.board = board
        self.world = world or HpWorld()
        self.specs = board["inputs"]
        self.plant = HpPlant(t_return_c=self.world.t_return_c, frost=frost)
        self.dt_s = dt_s
        self.t_ms = 0
        self.energy_kwh = 0.0
        self.heat_kwh = 0.0
        self.out = [0.0] * N_OUT
        self.st: HpState | None = None
        self.invalid: set[str] = set()  # inputs whose bus reads fail (validity 0)
        self._rng = random.Random(seed)
        self.t_coil_c = self.world.t_air_c
        self.plant.coil.t_metal_c = self.world.t_air_c
        self.t_disch_c = self.world.t_return_c  # the sensor: held through a hot gas defrost

    # -- Modbus, as a master --------------------------------------------------------------

    def pdu(self, hex_or_bytes) -> bytes:
        pdu = bytes.fromhex(hex_or_bytes) if isinstance(hex_or_bytes, str) else hex_or_bytes
        return self.target.modbus(1, pdu) or b""

    def unlock(self) -> None:
        r = self.pdu(struct.pack(">BHH", 6, 600, UNLOCK_CODE))
        if r[:1] != b"\x06":
            raise RuntimeError(f"unlock refused: {r.hex()}")

    def write_setting(self, name: str, value: float) -> bytes:
        """FC 6 of one setting (its register value from the schema's scale)."""
        raw = round(value * SCHEMA[index(name)][5]) & 0xFFFF
        return self.pdu(struct.pack(">BHH", 6, setting_address(index(name)), raw))

    def read_input(self, addr: int, n: int = 1) -> list[int]:
        r = self.pdu(struct.pack(">BHH", 4, addr, n))
        if r[:1] != b"\x04":
            raise RuntimeError(f"read of input {addr} refused: {r.hex()}")
        return list(struct.unpack(">%dH" % n, r[2:]))

    # -- the loop -------------------------------------------------------------------------

    def _eng(self) -> dict[str, float]:
        st, w = self.st, self.world
        comp_on = self.out[DO_COMP_ENABLE] >= 0.5
        eng = {
            "p_gc_bar": self.plant.p_gc_bar,
            "p_suc_bar": st.p_evap_bar if st else 30.0,
            "t_gc_out_c": st.t3_c if st else w.t_return_c,
            "t_amb_c": w.t_air_c,
            "t_disch_c": self.t_disch_c,
            "t_w_in_c": w.t_return_c,
            "t_w_out_c": self.plant.t_supply_c,
            "t_tank_c": w.t_tank_c,
            "demand_v": w.demand_v,
            "comp_run": 1.0 if comp_on else 0.0,
            "hp_ok": float(w.hp_ok),
            "ext_enable": float(w.ext_enable),
            "energy_pulses": float(int(self.energy_kwh / self._kwh_per_pulse())),
            "fan_ok": 1.0,
            "heat_pulses": float(int(self.heat_kwh * 1000.0 / HEAT_WH_PER_PULSE)),
            "t_coil_c": self.t_coil_c,
            "boiler_on": float(w.boiler_on),
        }
        for n in ("p_gc_bar", "p_suc_bar"):
            eng[n] += self._rng.gauss(0.0, P_NOISE_BAR)
        eng.update(w.faults)
        return eng

    def _kwh_per_pulse(self) -> float:
        return float(self.specs["energy_pulses"].get("kwh_per_pulse", 0.001))

    def terminals(self) -> tuple[list[float], list[int]]:
        eng = self._eng()
        raw = [terminal_value(self.specs[n], eng[n]) if n in self.specs else 0.0
               for n in INPUTS]
        ok = [0 if n in self.invalid else 1 for n in INPUTS]
        return raw, ok

    def step(self) -> HpState:
        raw, ok = self.terminals()
        res = self.target.step(self.t_ms, raw, ok)
        self.out = res.outputs
        o, w = self.out, self.world
        on = o[DO_COMP_ENABLE] >= 0.5
        hot = o[AO_BEV] > 0.0
        # a hot gas defrost (the bypass open): the compressor's gas goes to the coil,
        # none to the water
        speed = MIN_HZ + (MAX_HZ - MIN_HZ) * o[AO_COMP_SPEED] / 100.0 if on and not hot \
            else 0.0
        prev = self.st
        hpev = o[AO_HPEV] if w.hpev_stuck_pct is None else w.hpev_stuck_pct
        self.st = self.plant.step_valve(
            self.dt_s, speed, hpev, o[AO_HR_PUMP], o[AO_FAN], w.t_air_c, w.rh,
            w.t_return_c, prev.m_co2_kg_s if prev else 0.0,
            prev.p_evap_bar if prev else 30.0, HOT_GAS_W if hot and on else 0.0)
        if speed > 0.0:
            self.t_disch_c = self.st.t_disch_c
        elif not hot:
            self.t_disch_c = w.t_return_c
        if self.plant.frost:
            self.t_coil_c = self.plant.coil.t_metal_c
        elif hot:
            self.t_coil_c += (T_HOT_GAS_C - self.t_coil_c) * min(1.0, self.dt_s / TAU_HOT_GAS_S)
        else:
            self.t_coil_c = self.st.t_evap_c if on else w.t_air_c
        # (in a hot gas defrost the compressor's work is the heat the coil takes)
        w_comp = HOT_GAS_W if hot and on else self.st.w_comp_w
        self.energy_kwh += w_comp * self.dt_s / 3.6e6
        self.heat_kwh += self.st.q_heat_w * self.dt_s / 3.6e6
        self.t_ms += int(self.dt_s * 1000)
        return self.st

    def run(self, seconds: float, each=None) -> None:
        for _ in range(int(seconds / self.dt_s)):
            st = self.step()
            if each is not None:
                each(self, st)
