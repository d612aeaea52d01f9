# Signal layer: raw terminal values -> engineering units, with a validity flag.
# Scaling comes from the board file: {"kind": "ma420", "lo": 0, "hi": 160}, ...
from micropython import const

from co2hr.io import INPUTS, N_IN

K_MA420 = const(1)  # 4-20 mA transmitter: terminal value mA
K_RATIO = const(2)  # ratiometric 0.5-4.5 V transmitter: volts
K_PT1000 = const(3)  # PT1000: ohms
K_NTC = const(4)  # NTC thermistor: ohms
K_V010 = const(5)  # 0-10 V signal: volts
K_DI = const(6)  # digital input: 0/1
K_PULSE = const(7)  # pulse counter: count
KINDS = {"ma420": K_MA420, "ratio": K_RATIO, "pt1000": K_PT1000, "ntc": K_NTC,
         "v010": K_V010, "di": K_DI, "pulse": K_PULSE}

# Callendar-Van Dusen (IEC 60751), T >= 0 degC branch inverted exactly; below 0 a
# two-step Newton on the full equation keeps it allocation-light.
_A = 3.9083e-3
_B = -5.775e-7
_C = -4.183e-12


def pt1000_c(r_ohm):
    r = r_ohm / 1000.0
    t = (-_A + (_A * _A - 4.0 * _B * (1.0 - r)) ** 0.5) / (2.0 * _B)
    if t < 0.0:
        for _ in range(3):
            f = 1.0 + _A * t + _B * t * t + _C * (t - 100.0) * t * t * t - r
            df = _A + 2.0 * _B * t + _C * (4.0 * t * t * t - 300.0 * t * t)
            t -= f / df
    return t


def ntc_c(r_ohm, r25_ohm, beta):
    import math

    return 1.0 / (1.0 / 298.15 + math.log(r_ohm / r25_ohm) / beta) - 273.15


class Signals:
    """Converts and validates every input once per tick into self.value/self.valid."""

    def __init__(self, board_inputs):
        self.kind = bytearray(N_IN)
        self.lo = [0.0] * N_IN
        self.hi = [1.0] * N_IN
        self.p1 = [0.0] * N_IN
        self.p2 = [0.0] * N_IN
        self.value = [0.0] * N_IN
        self.valid = bytearray(N_IN)
        for i in range(N_IN):
            spec = board_inputs.get(INPUTS[i])
            if spec is None:
                continue  # not wired on this board: stays invalid
            self.kind[i] = KINDS[spec["kind"]]
            self.lo[i] = float(spec.get("lo", 0.0))
            self.hi[i] = float(spec.get("hi", 1.0))
            self.p1[i] = float(spec.get("r25_ohm", spec.get("kwh_per_pulse", 0.0)))
            self.p2[i] = float(spec.get("beta", 0.0))

    def update(self, raw, ok):
        for i in range(N_IN):
            k = self.kind[i]
            x = raw[i]
            good = ok[i] and k != 0 and x == x  # x == x rejects NaN
            v = 0.0
            if good:
                if k == K_MA420:
                    good = 3.6 <= x <= 21.0  # NAMUR NE43 fault bands
                    v = self.lo[i] + (x - 4.0) * (self.hi[i] - self.lo[i]) / 16.0
                elif k == K_RATIO:
                    good = 0.25 <= x <= 4.75
                    v = self.lo[i] + (x - 0.5) * (self.hi[i] - self.lo[i]) / 4.0
                elif k == K_PT1000:
                    good = 600.0 <= x <= 2500.0  # about -100..+400 degC
                    if good:
                        v = pt1000_c(x)
                elif k == K_NTC:
                    good = 10.0 <= x <= 5.0e6
                    if good:
                        v = ntc_c(x, self.p1[i], self.p2[i])
                elif k == K_V010:
                    good = -0.5 <= x <= 10.5
                    v = min(max(x, 0.0), 10.0)
                else:  # digital and pulse inputs pass through
                    v = x
            self.valid[i] = 1 if good else 0
            if good:
                self.value[i] = v
