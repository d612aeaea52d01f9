# Test kit for the control tests: a board description and engineering -> terminal
# conversions, so tests drive the controller through its real signal layer.
from co2hr.io import AI_P_GC, AI_P_REC, DI_COMP_RUN, DO_COMP_ENABLE, N_IN, N_OUT, SAFE_OUTPUTS

BOARD = {
    "name": "test",
    "tick_ms": 1000,
    "inputs": {
        "p_gc_bar": {"kind": "ma420", "lo": 0, "hi": 160},
        "p_rec_bar": {"kind": "ma420", "lo": 0, "hi": 100},
        "p_suc_bar": {"kind": "ratio", "lo": 0, "hi": 60},
        "t_gc_out_c": {"kind": "pt1000"},
        "t_amb_c": {"kind": "pt1000"},
        "t_disch_c": {"kind": "pt1000"},
        "t_w_in_c": {"kind": "pt1000"},
        "t_w_out_c": {"kind": "pt1000"},
        "t_tank_c": {"kind": "pt1000"},
        "demand_v": {"kind": "v010"},
        "comp_run": {"kind": "di"},
        "hp_ok": {"kind": "di"},
        "ext_enable": {"kind": "di"},
        "energy_pulses": {"kind": "pulse", "kwh_per_pulse": 0.01},
        "fan_ok": {"kind": "di"},
        "heat_pulses": {"kind": "pulse"},
    },
}


def ma(x, lo, hi):
    return 4.0 + 16.0 * (x - lo) / (hi - lo)


def pt1000(t):
    a = 3.9083e-3
    b = -5.775e-7
    c = -4.183e-12 if t < 0 else 0.0
    return 1000.0 * (1.0 + a * t + b * t * t + c * (t - 100.0) * t * t * t)


# The pressure transmitters' noise on their terminals: 0.0001 mA, ~0.001 bar
NOISE_MA = 0.0001

# A plausible operating point (engineering units, io.INPUTS order)
NOMINAL = [90.0, 35.0, 27.0, 35.0, 32.0, 110.0, 30.0, 55.0, 50.0, 0.0, 1, 1, 1, 0, 1, 0, 0.0, 0]


def terminals(eng):
    """Engineering values (io.INPUTS order) -> raw terminal values for BOARD."""
    raw = [0.0] * N_IN
    raw[0] = ma(eng[0], 0, 160)
    raw[1] = ma(eng[1], 0, 100)
    raw[2] = 0.5 + 4.0 * eng[2] / 60.0
    for i in range(3, 9):
        raw[i] = pt1000(eng[i])
    for i in range(9, N_IN):
        raw[i] = float(eng[i])
    return raw


class Rig:
    """A controller with terminals set from engineering values; one step per second."""

    def __init__(self, settings=None, eng=None):
        from co2hr.controller import Controller
        from co2hr.settings import Settings

        self.settings = settings if settings is not None else Settings()
        self.c = Controller(BOARD, self.settings)
        self.eng = list(eng if eng is not None else NOMINAL)
        self.ok = bytearray([1] * N_IN)
        self.out = list(SAFE_OUTPUTS)
        self.t_ms = 0
        self.raw = None  # set to override the terminals for a step
        self.noise = [0, 1, 2]  # inputs with transmitter noise (p_stuck_s); [] freezes them
        self.comp_follows = False  # True: comp_run reads the last compressor enable

    def step(self, n=1):
        for _ in range(n):
            if self.comp_follows:
                self.eng[DI_COMP_RUN] = 1 if self.out[DO_COMP_ENABLE] > 0.5 else 0
            if self.raw is not None:
                raw = self.raw
            else:
                raw = terminals(self.eng)
                if self.noise:  # a live transmitter's noise (a frozen one reads stuck)
                    d = NOISE_MA if (self.t_ms // 1000) % 2 else 0.0
                    for k in self.noise:
                        raw[k] += d
            self.c.step(self.t_ms, raw, self.ok, self.out)
            self.t_ms += 1000
        return self.out

    def move(self, targets, rate_per_s=20.0):
        """Inputs {index: engineering target} moved together at rate_per_s (within the
        signal layer's rate checks), a step per second; no step once they are there."""
        while any(abs(x - self.eng[i]) > 1e-9 for i, x in targets.items()):
            for i, x in targets.items():
                d = x - self.eng[i]
                self.eng[i] += max(-rate_per_s, min(rate_per_s, d))
            self.step()

    def meet(self, p_bar):
        """The standstill after a stop: the open HPEV lets p_gc and p_rec meet at p_bar
        (co2hr.hpev_test: the restart after an HP stop waits for it)."""
        self.move({AI_P_GC: p_bar, AI_P_REC: p_bar})

    def through_start(self, limit_s=120):
        """Step until the start sequence releases the compressor enable (co2hr.start_seq);
        returns the seconds it took."""
        from co2hr.io import DO_COMP_ENABLE

        for k in range(limit_s):
            if self.out[DO_COMP_ENABLE] > 0.5:
                return k
            self.step()
        raise AssertionError("compressor enable not released in %d s" % limit_s)

    def set(self, name, value):
        self.settings.set(name, value)


def command_index(name):
    """The index of the co2hr.status COMMANDS row `name` (Controller.command's i)."""
    from co2hr.status import COMMANDS

    for i in range(len(COMMANDS)):
        if COMMANDS[i][0] == name:
            return i
    raise KeyError(name)


N_OUTPUTS = N_OUT
