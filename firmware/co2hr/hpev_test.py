# The HPEV flow test after an HP stop: does the valve pass flow before the compressors
# are let to run into it again? docs/control.md ("HPEV flow test after an HP stop")
# gives the numbers and the runs behind them.
#
# A stuck or blocked HPEV makes every run a runaway: the limiter commands it fully open,
# nothing passes, p_gc rises 3-6 bar/s and the HP stop acts; the restart comp_restart_s
# later meets the same valve. Each run ends higher once the p_gc reading is also wrong
# (drifting low by 0.05 bar/s with the HPEV stuck at 5 %: 107.5, 112.2, 117.2 bar), and
# no run lasts the 120 s the reading's plausibility checks need. The standstill after
# the stop tells the valve's state without trusting the reading's level: the compressors
# stand still and the HPEV holds at least hpev_fail_pct, so an open valve lets p_gc fall
# to p_rec within a minute (healthy rig at 45 degC, HPEV at 54-94 %: within 7 bar in
# 30 s, equal in 60 s); one stuck at 5 % leaves it 30 bar above p_rec after 60 s.
#
# So after an HP stop the restart waits until p_gc has come within _EQ_BAR of p_rec, or
# for _EQ_S of standstill with the HPEV output at _EQ_MIN_PCT or more (the time the
# output is lower, as while it ramps open, does not count): then the valve does not
# pass flow (or p_gc reads high, or p_rec low: as bad for the next run), and `blocked`
# locks the compressors out until acknowledged (alarm hpev_blocked). With p_gc or p_rec
# invalid the test judges nothing and lets the restart go (the sensor's own rules act);
# so it does when the HPEV output stays below _EQ_MIN_PCT (the cold-standstill rule, a
# manual value) until _GIVE_UP_S after the stop.
from micropython import const

from co2hr.io import AI_P_GC, AI_P_REC

_EQ_BAR = const(10)  # an open HPEV brings p_gc this close to p_rec ...
_EQ_S = const(60)  # ... within this much standstill with the HPEV open
_EQ_MIN_PCT = const(30)  # "open": the HPEV output this far or more
_GIVE_UP_S = const(180)  # no judgement by this long after the stop: the restart goes


class HpevTest:
    def __init__(self):
        self.pending = 0  # a test runs: the restart waits
        self.blocked = 0  # latched: the HPEV did not pass flow (alarm hpev_blocked)
        self.stop = 0  # pending or blocked: the compressors must not run
        self._open_s = 0.0  # standstill with the HPEV open so far
        self._give_up_s = 0.0
        self._stops = 0  # co2hr.gc_pressure's HP stop count the last test started at

    def ack(self):
        """An acknowledge: the compressors may try again (the next HP stop tests again)."""
        self.blocked = 0

    def step(self, sig, still, stops, hpev_pct, dt_s, now_s):
        """still: the compressors stand still; stops: the HP stop count; hpev_pct: the
        HPEV output. Returns 1 while the compressors must not run."""
        if stops != self._stops:
            self._stops = stops
            self.pending = 1
            self._open_s = 0.0
            self._give_up_s = now_s + _GIVE_UP_S
        if self.pending:
            self._judge(sig, still and hpev_pct >= _EQ_MIN_PCT, dt_s, now_s)
        self.stop = self.pending or self.blocked
        return self.stop

    # (float work below only for the minutes after an HP stop)
    def _judge(self, sig, counts, dt_s, now_s):
        if not (sig.valid[AI_P_GC] and sig.valid[AI_P_REC]) or now_s >= self._give_up_s:
            self.pending = 0  # nothing to judge by: the restart goes as before
        elif sig.value[AI_P_GC] - sig.value[AI_P_REC] <= _EQ_BAR:
            self.pending = 0  # the valve passes flow
        elif counts:
            self._open_s += dt_s
            if self._open_s >= _EQ_S:
                self.pending = 0
                self.blocked = 1
