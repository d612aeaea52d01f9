# Operating modes and manual output values.
#   0 Off:      compressors disabled, no heat recovery; the valves keep controlling the
#               pressures (a standing CO2 plant still needs them) and the fans run.
#   1 Standby:  as Off but ready: used while the pack is to be held (e.g. by a BMS).
#   2 Max-COP:  compressors enabled, reference at the COP optimum; heat recovery only as
#               surplus heat (pump and valve, no pressure raise, fan reduction or bypass).
#   3 Heat recovery: the full 0-10 V staging, including forced operation.
#   4 Manual:   as Max-COP, but every output with a manual value (COMMANDS man_*) takes
#               it; each manual value falls back to auto manual_timeout_s after it was
#               written. Safeties still act over manual values: the HP override (HPEV),
#               the HP stop (compressor enable) and the water over-temperature (3-way
#               valve). Outputs always pass the rate limits of the output stage.
# The external enable input (0, or invalid) stops heat recovery and forced operation in
# every mode; refrigeration continues.
from co2hr.io import N_OUT

OFF = 0
STANDBY = 1
MAX_COP = 2
HEAT_RECOVERY = 3
MANUAL = 4


class Modes:
    def __init__(self):
        self.mode = MAX_COP
        self.man = [0.0] * N_OUT
        self.man_set = bytearray(N_OUT)
        self.man_until_s = [0.0] * N_OUT
        self.timeout_s = 1800.0

    def configure(self, s):
        self.timeout_s = float(s.get("manual_timeout_s"))

    def set_manual(self, k, value, now_s):
        if value < 0:
            self.man_set[k] = 0
        else:
            self.man[k] = float(value)
            self.man_set[k] = 1
            self.man_until_s[k] = now_s + self.timeout_s

    def release(self):
        for k in range(N_OUT):
            self.man_set[k] = 0

    def update(self, mode_cmd, now_s):
        """Active mode from the setting; expires manual values. Returns the mode."""
        m = int(mode_cmd)
        if m < OFF or m > MANUAL:
            m = MAX_COP
        self.mode = m
        for k in range(N_OUT):
            if self.man_set[k] and now_s >= self.man_until_s[k]:
                self.man_set[k] = 0
        return m

    def manual(self, k):
        """True when output k takes its manual value this tick."""
        return self.mode == MANUAL and self.man_set[k]

    def any_manual(self):
        if self.mode != MANUAL:
            return 0
        for k in range(N_OUT):
            if self.man_set[k]:
                return 1
        return 0

    def idle_manual(self):
        """1 while a manual value is set outside mode Manual, where it does nothing."""
        if self.mode == MANUAL:
            return 0
        for k in range(N_OUT):
            if self.man_set[k]:
                return 1
        return 0

    def manual_left_s(self, now_s):
        left = 0.0
        if self.mode == MANUAL:
            for k in range(N_OUT):
                if self.man_set[k] and self.man_until_s[k] - now_s > left:
                    left = self.man_until_s[k] - now_s
        return left
