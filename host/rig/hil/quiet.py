"""When the closed loop may take its long step (a scenario's `quiet_step_s`).

Why: a year at the 1 s step is hours of wall time, yet most of it is a rig holding a
slowly drifting operating point. Where nothing moves, the runner ticks the firmware and
steps the plant every quiet_step_s instead (the plant by one ordinary inner step and a
projection of its slow states: Plant.step_quiet). "Nothing moves" is judged on bands,
not on step-to-step changes: a controller holding its point dithers (the HPEV steps by
a few per cent from tick to tick around the pressure it holds), so the gate watches the
envelope of each pressure and analogue output over the last few minutes. Any sign of a
transient brings the normal step back at once: an event or a boot, an alarm word or a
discrete output (bypass, compressor enable, alarm relay) changing, the pack starting or
stopping, the HP switch or a relief valve, a value leaving its band. The long step is
taken again only after a whole window without a change.
"""

from __future__ import annotations

# the bands a quiet rig stays in over the window: p_gc, p_rec, p_suc (bar), hpev, bev,
# hr valve, fan, hr pump (%). The fan's band is wide: in cold weather the gas cooler
# fans pulse on and off around the minimum condensing temperature.
BANDS = (3.0, 1.0, 1.2, 8.0, 8.0, 5.0, 25.0, 5.0)
N_ANALOG = 5  # OUTPUTS order: the analogue outputs first, then the discrete ones
BUCKET_S = 30.0  # the window is kept as per-bucket envelopes
WINDOW_BUCKETS = 6  # 3 minutes
_N = len(BANDS)
_INF = float("inf")
_EMPTY = ([_INF] * _N, [-_INF] * _N)  # the envelope of no bucket (never changed in place)


class QuietGate:
    def __init__(self) -> None:
        self.quiet_s = 0.0  # how long nothing discrete has changed
        self._buckets: list[list[list[float]]] = []  # [[lo...], [hi...]] per bucket
        self._bucket_t = 0.0
        self._t = 0.0
        self._discrete: tuple | None = None
        self.long_steps = 0
        self.short_steps = 0
        self._fw: dict | None = None  # the firmware sample last seen, and its alarm words
        self._alarms: tuple = ()
        # the envelope (lo, hi) of the buckets before the last one: it changes only when a
        # bucket is added or dropped, so ok() need not go through the whole window per step
        self._closed: tuple[list[float], list[float]] = _EMPTY

    def ok(self) -> bool:
        """Quiet: a full window without a discrete change, every value within its band."""
        if self.quiet_s < BUCKET_S * WINDOW_BUCKETS or not self._buckets:
            return False
        lo, hi = self._buckets[-1]
        c_lo, c_hi = self._closed
        for i, band in enumerate(BANDS):
            if max(hi[i], c_hi[i]) - min(lo[i], c_lo[i]) > band:
                return False
        return True

    def _close_buckets(self) -> None:
        """The envelope of every bucket but the last (empty: +inf / -inf)."""
        b = self._buckets[:-1]
        self._closed = ([min((x[0][i] for x in b), default=_INF) for i in range(_N)],
                        [max((x[1][i] for x in b), default=-_INF) for i in range(_N)])

    def observe(self, dt_s: float, plant, outputs, fw: dict, eventful: bool) -> None:
        """After a step of dt_s: the plant as it is now, the firmware's last outputs and
        sample, whether an event fired or the board rebooted or lost power."""
        s = plant.state
        self._t += dt_s
        values = [s.p_gc_bar, s.p_rec_bar, s.p_suc_bar] + [float(x) for x in
                                                            outputs[:N_ANALOG]]
        if fw is not self._fw:  # (a new sample every fw_sample_s: its alarm words)
            self._fw = fw
            self._alarms = tuple(v for k, v in fw.items() if "alarm" in k)
        discrete = (tuple(outputs[N_ANALOG:]), plant.pack.on, s.hp_switch_ok, s.relief_open,
                    self._alarms)
        if eventful or discrete != self._discrete:
            self._discrete = discrete
            self.quiet_s = 0.0
            self._buckets = []
            self._closed = _EMPTY
        else:
            self.quiet_s += dt_s
        b = self._buckets
        if not b or self._t >= self._bucket_t + BUCKET_S:
            b.append([list(values), list(values)])
            self._bucket_t = self._t
            if len(b) > WINDOW_BUCKETS:
                b.pop(0)
            self._close_buckets()
            return
        lo, hi = b[-1]
        for i, v in enumerate(values):
            if v < lo[i]:
                lo[i] = v
            elif v > hi[i]:
                hi[i] = v
