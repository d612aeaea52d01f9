# Start and restart sequence: after boot (a power return is a boot), an HP stop or mode
# Off/Standby, the compressor enable stays off for comp_start_delay_s while the HPEV
# homes (a stepper finds its closed stop first, ~4 s) and moves to hpev_start_pct, the
# BEV takes its fixed opening bev_fail_pct and the fans their loop's speed; then the
# compressors are released, and only once the HPEV output has reached the start
# opening (a slow valve or a long homing waits). A start into a closed HPEV compresses
# against it: the high side rises within seconds to the HP switch.
# docs/control.md ("Start and restart") describes it.
from micropython import const

_HELD = const(1)


class StartSeq:
    def __init__(self):
        self.delay_s = 20  # from the settings (configure())
        self.start_pct = 40.0
        self.holding = _HELD  # the enable is held off (boot: from the first tick)
        self._end_s = -1.0  # when the delay ends (< 0: not started yet)
        self.left_s = 0  # STATUS start_left_s: whole seconds of the delay left

    def configure(self, s):
        self.delay_s = s.get("comp_start_delay_s")
        self.start_pct = s.get("hpev_start_pct")

    def step(self, want, hpev_pct, now_s):
        """want: mode and HP stop let the compressors run; hpev_pct: the HPEV output as
        the output stage drives it. Returns 1 while the enable is held off."""
        if not want:
            if not self.holding:
                self.holding = _HELD  # the next release runs the sequence again
            if self._end_s >= 0.0:
                self._end_s = -1.0
                self.left_s = 0
            return _HELD
        if self.holding:
            if self._end_s < 0.0:
                self._end_s = now_s + self.delay_s
            if now_s >= self._end_s:
                self.left_s = 0
                if hpev_pct >= self.start_pct:
                    self.holding = 0
            else:
                self.left_s = int(self._end_s - now_s) + 1
        return self.holding
