"""The virtual rig: the plant model and the firmware on a target, stepped in (scaled)
real time, with Modbus TCP and RTU served to real masters through the ModbusBridge.

Why: a technician points mbpoll, QModMaster or `rig read` at it exactly as at a real
board, and a developer sees the controller react to ambient, load and HR demand. One
thread does everything (a Target is not thread-safe): plant + control steps when
they are due on the scaled clock, and Modbus traffic between them.

The per-step coupling (terminals -> firmware -> outputs -> plant for dt) is
rig.hil.coupling, the one scenarios run; here the boundary is fixed by the options and
time is paced to the wall clock instead of run flat out.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from co2hr.settings import SCHEMA, index
from rig.hil.control import ControlServer, control_path
from rig.hil.coupling import Coupling
from rig.plant import Actuators, Boundary, PlantParams
from rig.regs import table
from rig.regs.master import PduMaster
from rig.targets import open_target
from rig.targets.modbus_bridge import ModbusBridge

DT_S = 1.0  # plant/firmware step (the boards' control tick is 1 s)
LOAD_DESIGN_KW = 100.0  # --load in %: of the reference plant's cooling capacity (PlantParams)
DEFAULT_UNIT = int(SCHEMA[index("mb_unit")][1])
COMM_NAMES = ("mb_unit", "mb_baud_x100", "mb_parity", "mb_stop_bits")
PARITY_LETTER = {0: "N", 1: "O", 2: "E"}
PARITY_MBPOLL = {0: "none", 1: "odd", 2: "even"}
COMM_POLL_S = 1.0  # wall seconds between reads of the RTU line settings (for the bridge)


@dataclass
class RigOptions:
    target: str = "mpy"
    board: str = "esp32_devkitc"
    speed: float = 1.0
    t_amb_c: float = 20.0
    q_load_kw: float = 80.0
    demand_v: float = 0.0
    q_heat_use_kw: float = 20.0
    tcp_port: int = 5020
    duration_s: float = 0.0  # simulated seconds; 0 = until stopped
    max_steps_per_pass: int = 20  # so Modbus is answered between catch-up steps


class VirtualRig:
    def __init__(self, opt: RigOptions):
        from rig.boards import load_board

        self.opt = opt
        self.board = load_board(opt.board)
        self.bnd = Boundary(t_amb_c=opt.t_amb_c, q_load_kw=opt.q_load_kw,
                            q_heat_use_kw=opt.q_heat_use_kw)
        self.target = open_target(opt.target, self.board)
        self.rig = Coupling(self.target, self.board, PlantParams(t_amb0_c=opt.t_amb_c))
        self.plant = self.rig.plant
        self.sb = self.rig.simboard
        self.sb.set_demand_v(opt.demand_v)
        self.bridge: ModbusBridge | None = None
        self.control: ControlServer | None = None
        self.t_s = 0.0
        self.steps = 0
        self.act: Actuators | None = None
        self.comm: dict[str, float] = {}
        self._master = PduMaster(lambda pdu: self.target.modbus(self.unit, pdu))
        try:
            self._step()  # first tick: the firmware has read its inputs before anyone asks
            self.comm = self.read(list(COMM_NAMES))
            self.bridge = ModbusBridge(self.target, tcp_port=opt.tcp_port, rtu=True,
                                       rtu_line=self._line())
            self.control = ControlServer(control_path(self.bridge.tcp_port), self)
        except BaseException:
            self.close()
            raise
        self.wall0 = time.monotonic()
        self.sim0 = self.t_s
        self._comm_read = self.wall0

    # -- what the technician is told
    @property
    def unit(self) -> int:
        """The firmware's Modbus unit address (its default until its settings are read)."""
        return int(self.comm.get("mb_unit", DEFAULT_UNIT))

    def rtu_settings(self) -> tuple[int, str, int]:
        return (int(self.comm["mb_baud_x100"]) * 100, PARITY_LETTER[int(self.comm["mb_parity"])],
                int(self.comm["mb_stop_bits"]))

    def banner(self) -> list[str]:
        assert self.bridge is not None
        o = self.opt
        baud, par, stop = self.rtu_settings()
        tcp = f"127.0.0.1:{self.bridge.tcp_port}"
        pty = self.bridge.rtu_path
        mb_par = PARITY_MBPOLL[int(self.comm["mb_parity"])]
        speed = "1x real time" if o.speed == 1 else f"{o.speed:g}x real time"
        return [
            f"virtual rig: firmware on {o.target}, plant at {speed} (Ctrl-C stops)",
            f"  ambient {o.t_amb_c:g} degC, cooling load {o.q_load_kw:g} kW, "
            f"HR demand {o.demand_v:g} V, board {self.board.get('name', o.board)}",
            f"  Modbus TCP : {tcp:<15} (unit {self.unit})      "
            f"mbpoll -m tcp -p {self.bridge.tcp_port} -a {self.unit} -r 1 -c 10 -t 3 127.0.0.1",
            f"  Modbus RTU : {pty} {baud} 8{par}{stop} (unit {self.unit})  "
            f"mbpoll -m rtu -b {baud} -P {mb_par} -a {self.unit} -r 1 -c 10 -t 3 {pty}",
            f"  rig read --tcp {tcp}   |   rig read --port {pty} --baud {baud} --parity {par}"
            f" --unit {self.unit}",
            f"  Faults     : rig fault --tcp-port {self.bridge.tcp_port} open p_gc_bar   "
            f"(rig fault -h; socket {self.control.path if self.control else '-'})",
        ]

    # -- the firmware's values, in-process (the view; never through the TCP port)
    def read(self, names: list[str]) -> dict[str, float]:
        return self._master.read([table.lookup(n) for n in names])

    # -- stepping
    def _step(self) -> None:
        self.act = self.rig.step(self.t_s, self.bnd, DT_S).act
        self.t_s += DT_S
        self.steps += 1

    def due_steps(self) -> int:
        """Steps the scaled clock asks for now (limited so Modbus gets its turn)."""
        want = self.sim0 + (time.monotonic() - self.wall0) * self.opt.speed
        n = int((want - self.t_s) // DT_S) + 1 if want >= self.t_s else 0
        if self.opt.duration_s:
            n = min(n, max(0, int(round((self.opt.duration_s - self.t_s) / DT_S))))
        return min(n, self.opt.max_steps_per_pass)

    def finished(self) -> bool:
        return bool(self.opt.duration_s) and self.t_s >= self.opt.duration_s - 1e-9

    def actual_speed(self) -> float:
        wall = time.monotonic() - self.wall0
        return (self.t_s - self.sim0) / wall if wall > 0.5 else self.opt.speed

    def pass_once(self) -> bool:
        """One pass: the due steps, then Modbus. True when anything happened."""
        busy = False
        for _ in range(self.due_steps()):
            self._step()
            busy = True
            if self.bridge is not None:
                busy |= self.bridge.pump()
        if self.bridge is not None:
            busy |= self.bridge.pump()
        if self.control is not None:
            busy |= self.control.pump()
        self._follow_comm()
        return busy

    def _follow_comm(self) -> None:
        """The RTU line settings as the firmware has them now (a master may change them):
        the bridge times and checks the line by them."""
        now = time.monotonic()
        if now - self._comm_read < COMM_POLL_S or self.bridge is None:
            return
        self._comm_read = now
        comm = self.read(list(COMM_NAMES))
        if comm != self.comm:
            self.comm = comm
            self.bridge.set_rtu_line(*self._line())

    def _line(self) -> tuple[int, int, int]:
        return (int(self.comm["mb_baud_x100"]) * 100, int(self.comm["mb_parity"]),
                int(self.comm["mb_stop_bits"]))

    def close(self) -> None:
        if self.control is not None:
            self.control.close()
            self.control = None
        if self.bridge is not None:
            self.bridge.close()
            self.bridge = None
        if self.target is not None:
            self.target.close()
            self.target = None  # type: ignore[assignment]
