"""The coupling step: one plant, its simulated board and a firmware target, stepped
together. The closed-loop runner calls it for every scenario step; the virtual rig calls
it paced to the wall clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from co2hr.io import AO_HPEV, DO_INJ_STOP, N_OUT
from rig.hil.simboard import SimBoard
from rig.plant import Actuators, Boundary, Plant, PlantParams
from rig.targets.base import StepResult, Target


@dataclass
class Step:
    """What one coupled step did: the firmware's outputs and the actuators they drove."""

    outputs: list[float]
    act: Actuators
    result: StepResult | None  # the target's step; None while the board has no power


class Coupling:
    def __init__(self, target: Target, board: dict, plant_params: PlantParams) -> None:
        self.target = target
        self.board = board
        self.plant = Plant(plant_params)
        self.simboard = SimBoard(board, self.plant)
        self.boot_ms = 0  # the board's clock restarts at each power-up
        self.stage = ""  # the part of step() running: whose error it is when one raises
        self.powered_t_s = 0.0  # the last step the board had power

    def power_up(self, t_s: float, rtc_backup: bool = False) -> None:
        """The power is back at t_s: the board boots again, its clock starts at 0 (its
        RTC runs on only with a backup cell: rig.targets.base.rtc_after_power_loss, or
        rtc_backup: this board's RTC has one, whatever its board file says)."""
        off_s = t_s - self.powered_t_s
        if rtc_backup:
            rtc = self.target.rtc_get()
            self.target.reboot()  # (a reset: the RTC holds its time)
            if rtc is not None:
                self.target.rtc_set(rtc + int(round(off_s * 1000)))
        else:
            self.target.reboot(power_off_s=off_s)
        self.boot_ms = int(round(t_s * 1000))

    def step(self, t_s: float, bnd: Boundary, dt_s: float = 1.0, powered: bool = True,
             between: Callable[[Step], None] | None = None, inner_s: float = 0.0) -> Step:
        """One coupled step at t_s: the simulated board presents the plant's terminals,
        the target runs its loop at t_s (board clock: t_s - boot_ms), its outputs drive
        the actuators; between(step) then sees the plant state the firmware saw and what
        it commanded; last the plant runs dt_s with bnd (dt_s = 0: it does not move).
        powered=False: no firmware step; relays drop, 0-10 V outputs fall to 0 and the
        stepper holds. inner_s > 0: a long quiet step, the plant projected from one inner
        step of inner_s (Plant.step_quiet). Errors propagate; self.stage says in which
        part."""
        sb, plant = self.simboard, self.plant
        res = None
        if powered:
            self.stage = "firmware"
            self.powered_t_s = t_s
            raw, ok = sb.terminals()
            res = self.target.step(int(round(t_s * 1000)) - self.boot_ms, raw, ok)
            out = res.outputs
            act = sb.apply_outputs(out)
        else:
            # (OUTPUTS order) the injection stop reads 1, close injection: its coil drops
            # too, and wired fail-safe (docs/control.md) a dead coil stops injection
            out = [0.0] * N_OUT
            out[AO_HPEV] = plant.state.hpev_pos_pct
            out[DO_INJ_STOP] = 1.0
            act = Actuators(hpev_pct=out[0], bev_pct=0.0, hr_valve_pct=0.0, fan_pct=0.0,
                            hr_pump_pct=0.0, gc_bypass=0, comp_enable=0)
            sb.act = act
            sb.inj_stop = 1
        step = Step(out, act, res)
        if between is not None:
            self.stage = "between"
            between(step)
        if dt_s:
            self.stage = "plant"
            if inner_s:
                plant.step_quiet(dt_s, act, bnd, inner_s)
            else:
                plant.step(dt_s, act, bnd)
        self.stage = ""
        return step
