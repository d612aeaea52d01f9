"""When the closed loop may take its long step (a scenario's `quiet_step_s`).

Why: a year at the 1 s step is hours of wall time, yet most of it is a rig holding a
slowly drifting operating point. Where nothing moves, the runner ticks the firmware and
steps the plant every quiet_step_s instead (the plant by one ordinary inner step and a
projection of its slow states: Plant.step_quiet). "Nothing moves" is judged on bands,
not on step-to-step changes: a controller holding its point dithers (the HPEV steps by
a few per cent from tick to tick around the pressure it holds), so the gate watches the
envelope of each pressure and analogue output since the rig became quiet. Any sign of a
transient brings the normal step back at once: an event or a boot, an alarm word or a
discrete output (bypass, compressor enable, alarm relay) changing, the pack starting or
stopping, the HP switch or a relief valve, a value leaving its band. The long step is
taken again only after the rig has been quiet for `settle_s`.
"""

from __future__ import annotations

# the bands a quiet rig stays in: p_gc, p_rec, p_suc (bar), hpev, bev, hr valve, fan,
# hr pump (%)
BANDS = (1.5, 0.8, 0.5, 8.0, 8.0, 5.0, 8.0, 5.0)
N_ANALOG = 5  # OUTPUTS order: the analogue outputs first, then the discrete ones
SETTLE_S = 120.0


class QuietGate:
    def __init__(self, settle_s: float = SETTLE_S) -> None:
        self.settle_s = settle_s
        self.quiet_s = 0.0  # how long the rig has been quiet
        self._lo: list[float] = []
        self._hi: list[float] = []
        self._discrete: tuple = ()
        self._alarms: tuple = ()
        self.long_steps = 0
        self.short_steps = 0

    def ok(self) -> bool:
        return self.quiet_s >= self.settle_s

    def _restart(self, values: list[float]) -> None:
        self.quiet_s = 0.0
        self._lo = list(values)
        self._hi = list(values)

    def observe(self, dt_s: float, plant, outputs, fw: dict, eventful: bool) -> None:
        """After a step of dt_s: the plant as it is now, the firmware's last outputs and
        sample, whether an event fired or the board rebooted or lost power."""
        s = plant.state
        values = [s.p_gc_bar, s.p_rec_bar, s.p_suc_bar] + [float(x) for x in
                                                            outputs[:N_ANALOG]]
        discrete = (tuple(outputs[N_ANALOG:]), plant.pack.on, s.hp_switch_ok, s.relief_open,
                    tuple(v for k, v in fw.items() if "alarm" in k))
        if eventful or dt_s <= 0.0 or discrete != self._discrete or not self._lo:
            self._discrete = discrete
            self._restart(values)
            return
        lo, hi = self._lo, self._hi
        for i, v in enumerate(values):
            if v < lo[i]:
                lo[i] = v
            elif v > hi[i]:
                hi[i] = v
            if hi[i] - lo[i] > BANDS[i]:
                self._restart(values)
                return
        self.quiet_s += dt_s
