# Signal layer: raw terminal values -> engineering units, with a validity flag.
# Scaling comes from the board file: {"kind": "ma420", "lo": 0, "hi": 160}, ...
#
# A signal is invalid when: the channel could not be read; the terminal value is in a
# fault band of its kind (4-20 mA below 3.6 = open loop, above 21 = short; PT1000
# below 600 ohm = short, above 2500 ohm = open; NTC likewise); the engineering value is
# outside what the rig can physically show (PLAUS_LO/HI); it jumped faster than the
# process can move (RATE_MAX per second: one sample is rejected, a real step is
# accepted on the next tick when it holds); or it has not changed at all for
# stuck_s seconds (the pressure transmitters: p_stuck_s, on by default, since the HP
# protections cannot go blind on a frozen p_gc; the others optional). A calibration offset
# (calibrate(), from the cal_* settings) is added to the converted value before the range,
# rate and stuck checks: the checks see what the site's reference instrument would. `value` is
# first-order filtered (time constants from the settings); it keeps its last good
# value while invalid, and the filter restarts from the raw value on recovery.
#
# Allocation (MicroPython boxes every float result; this runs for 16 inputs per tick):
# a terminal value equal to the one last converted reuses that engineering value, the
# rate check and the filter do no float work when nothing moved, and the per-tick
# constants (rate limits, filter factors) are recomputed only when dt or settings change.
import math

from micropython import const

from co2hr.io import INPUTS, N_IN, number

K_MA420 = const(1)  # 4-20 mA transmitter: terminal value mA
K_RATIO = const(2)  # ratiometric 0.5-4.5 V transmitter: volts
K_PT1000 = const(3)  # PT1000: ohms
K_NTC = const(4)  # NTC thermistor: ohms
K_V010 = const(5)  # 0-10 V signal: volts
K_DI = const(6)  # digital input: 0/1
_K_PULSE = const(7)  # pulse counter: count
F_READ = const(1)  # channel not read / not wired / NaN
F_OPEN = const(2)  # open circuit (below the live-zero / above the PT1000 range)
F_SHORT = const(3)  # short circuit
F_RANGE = const(4)  # outside the physically plausible range
F_RATE = const(5)  # implausible rate of change
F_STUCK = const(6)  # unchanged for longer than stuck_s
KINDS = {"ma420": K_MA420, "ratio": K_RATIO, "pt1000": K_PT1000, "ntc": K_NTC,
         "v010": K_V010, "di": K_DI, "pulse": _K_PULSE}

# Callendar-Van Dusen (IEC 60751), T >= 0 degC branch inverted exactly; below 0 a
# two-step Newton on the full equation keeps it allocation-light.
_A = 3.9083e-3
_B = -5.775e-7
_C = -4.183e-12


_A2 = _A * _A
_B4 = 4.0e-3 * _B  # 4 B / R0
_B2 = 2.0 * _B


def pt1000_c(r_ohm):
    t = ((_A2 - _B4 * (1000.0 - r_ohm)) ** 0.5 - _A) / _B2
    if t < 0.0:
        r = r_ohm / 1000.0
        for _ in range(3):
            f = 1.0 + _A * t + _B * t * t + _C * (t - 100.0) * t * t * t - r
            df = _A + 2.0 * _B * t + _C * (4.0 * t * t * t - 300.0 * t * t)
            t -= f / df
    return t


_INV_T25 = 1.0 / 298.15


def ntc_c(r_ohm, r25_ohm, beta):
    return 1.0 / (_INV_T25 + math.log(r_ohm / r25_ohm) / beta) - 273.15


# Physical plausibility per input (engineering units) and the largest credible change
# per second (0 = not checked). Order: co2hr.io.INPUTS.
# Rates: a rate fault must only catch what the process cannot do, never a real event.
# The high side really moves 10-30 bar/s (compressor start against a closing HPEV, a fan
# trip), so p_gc allows 50 bar/s; receiver and suction 30 bar/s (a gas bypass valve
# opening wide). A PT1000/NTC sits in a pocket with a time constant of tens of seconds:
# more than 10 K/s (5 K/s for the slow ambient sensor) is a wiring or EMI spike.
# A rate fault only invalidates the sample; the controller's HP protection still acts on
# the larger of the last good value and the new sample (co2hr.gc_pressure), so a real fast
# rise can never hide behind it.
# The heat pump's coil sensor (t_coil_c) sees hot gas in a defrost: up to 70 degC.
PLAUS_LO = (0.5, 0.5, 0.5, -50.0, -50.0, -50.0, -10.0, -10.0, -10.0, 0.0,
            0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -50.0, 0.0)
PLAUS_HI = (150.0, 100.0, 80.0, 150.0, 70.0, 200.0, 130.0, 130.0, 130.0, 10.0,
            1.0, 1.0, 1.0, 4.0e9, 1.0, 4.0e9, 70.0, 1.0)
RATE_MAX = (50.0, 30.0, 30.0, 10.0, 5.0, 10.0, 10.0, 10.0, 10.0, 0.0,
            0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 10.0, 0.0)
# The analog inputs (filtered, rate- and stuck-checked): 0..9 and the coil sensor.
_ANALOG = b"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x00\x00\x00\x00\x00\x00\x01\x00"
_N_P = 3  # inputs 0..2 are the pressure transmitters


class Signals:
    """Converts and validates every input once per tick into self.value/self.valid."""

    def __init__(self, board_inputs):
        self.kind = bytearray(N_IN)
        self.lo = [0.0] * N_IN
        self.hi = [1.0] * N_IN
        self.p1 = [0.0] * N_IN
        self.p2 = [0.0] * N_IN
        self.value = [0.0] * N_IN  # filtered engineering value (last good while invalid)
        self.valid = bytearray(N_IN)
        self.fault = bytearray(N_IN)  # why invalid: F_* code, 0 = valid
        self._eng = [0.0] * N_IN  # last unfiltered engineering value
        # the same list, public: the newest unfiltered sample, also while it is invalid
        # for a rate or stuck fault (the HP protection looks at it, see RATE_MAX)
        self.sample = self._eng
        self._x_eng = [0.0] * N_IN  # the terminal value _eng was converted from
        self._have = bytearray(N_IN)  # _eng holds a sample
        self.same_s = [0.0] * N_IN  # time the raw value has not changed (co2hr.hp_guard)
        self._raw_prev = [0.0] * N_IN
        self.tau_s = [0.0] * N_IN
        self._stuck_s = [0.0] * N_IN  # per input: the stuck window, s (0: not checked)
        self._dt = -1.0
        self._rlim = [0.0] * N_IN
        self._nrlim = [0.0] * N_IN  # -_rlim
        self._alpha = [1.0] * N_IN
        self._gain = [0.0] * N_IN  # linear kinds: value = off + terminal * gain
        self._off = [0.0] * N_IN
        self.cal = [0.0] * N_IN  # calibration offsets, engineering units (calibrate())
        self._f = 0  # the fault band _convert() found
        for i in range(N_IN):
            spec = board_inputs.get(INPUTS[i])
            if spec is None:
                continue  # not wired on this board: stays invalid
            self.kind[i] = KINDS[spec["kind"]]
            self.lo[i] = number(spec.get("lo", 0))
            self.hi[i] = number(spec.get("hi", 1))
            self.p1[i] = number(spec.get("r25_ohm", spec.get("kwh_per_pulse", 0)))
            self.p2[i] = number(spec.get("beta", 0))
            span = self.hi[i] - self.lo[i]
            if self.kind[i] == K_MA420:
                self._gain[i] = span / 16.0
                self._off[i] = self.lo[i] - 4.0 * self._gain[i]
            elif self.kind[i] == K_RATIO:
                self._gain[i] = span / 4.0
                self._off[i] = self.lo[i] - 0.5 * self._gain[i]

    def configure(self, filt_p_s, filt_t_s, stuck_s, p_stuck_s=0.0):
        """Filter time constants (pressures, temperatures) and the stuck windows (all
        analog inputs; the pressures p_stuck_s when set)."""
        for i in range(N_IN):
            if not _ANALOG[i]:
                continue
            self.tau_s[i] = filt_p_s if i < _N_P else filt_t_s
            w = p_stuck_s if (i < _N_P and p_stuck_s > 0) else stuck_s
            self._stuck_s[i] = number(w)
        self._dt = -1.0  # recompute the per-dt constants

    def calibrate(self, i, off):
        """Calibration offset of input i in engineering units. The linear kinds take it
        into their offset (no float work per sample); a changed offset re-converts the
        next sample without a rate check (the step is ours, not the process's)."""
        off = float(off)
        if off != self.cal[i]:
            self._off[i] += off - self.cal[i]
            self.cal[i] = off
            self._have[i] = 0

    def _rates(self, dt_s):
        # per-dt constants, recomputed only when the tick length changes (allocation)
        self._dt = dt_s
        for i in range(N_IN):
            self._rlim[i] = RATE_MAX[i] * dt_s
            self._nrlim[i] = -self._rlim[i]
            tau = self.tau_s[i]
            self._alpha[i] = dt_s / (tau + dt_s) if tau > 0.0 else 1.0

    def _convert(self, i, k, x):
        """Terminal value x of input i (kind k) in engineering units; the fault band it
        is in goes to self._f (0: none)."""
        f = 0
        v = 0.0
        if k == K_MA420:
            if x < 3.6:
                f = F_OPEN
            elif x > 21.0:
                f = F_SHORT
            else:
                v = self._off[i] + x * self._gain[i]
        elif k == K_RATIO:
            if x < 0.25:
                f = F_OPEN
            elif x > 4.75:
                f = F_SHORT
            else:
                v = self._off[i] + x * self._gain[i]
        elif k == K_PT1000:
            if x < 600.0:
                f = F_SHORT
            elif x > 2500.0:
                f = F_OPEN
            else:
                v = pt1000_c(x)
        elif k == K_NTC:
            if x < 10.0:
                f = F_SHORT
            elif x > 5.0e6:
                f = F_OPEN
            else:
                v = ntc_c(x, self.p1[i], self.p2[i])
        elif k == K_V010:
            if x < -0.5 or x > 10.5:
                f = F_RANGE
            else:
                v = 0.0 if x < 0.0 else 10.0 if x > 10.0 else x
        else:
            v = x  # digital and pulse inputs pass through
        if f == 0 and (k == K_PT1000 or k == K_NTC or k == K_V010) and self.cal[i] != 0.0:
            v += self.cal[i]  # (the linear kinds have it in _off)
        self._f = f
        return v

    def update(self, raw, ok, dt_s=1.0):
        # Written flat but for the conversion of a changed terminal value, without
        # tuples: MicroPython boxes every float, and this runs for 18 inputs every tick
        # (see tools/bench_control.py).
        if dt_s != self._dt:
            self._rates(dt_s)
        kinds = self.kind
        for i in range(N_IN):
            k = kinds[i]
            x = raw[i]
            f = 0
            v = 0.0
            # same terminal value as the last sample converted: same engineering value
            same = self._have[i] and x == self._x_eng[i]
            if not ok[i] or k == 0 or not (x == x):  # x == x rejects NaN
                f = F_READ
            elif same:
                v = self._eng[i]  # (it passed the fault bands and the range before)
            else:
                v = self._convert(i, k, x)
                f = self._f
            if f == 0 and not (PLAUS_LO[i] <= v <= PLAUS_HI[i]):
                f = F_RANGE
            if _ANALOG[i] and f == 0:
                if self._have[i] and not same and self._rlim[i] > 0.0:
                    d = v - self._eng[i]
                    if d > self._rlim[i] or d < self._nrlim[i]:
                        f = F_RATE  # this sample jumped; the next one decides
                stuck_s = self._stuck_s[i]
                if stuck_s > 0.0:
                    if x == self._raw_prev[i]:
                        self.same_s[i] += dt_s
                    else:
                        self.same_s[i] = 0.0
                        self._raw_prev[i] = x
                    if f == 0 and self.same_s[i] >= stuck_s:
                        f = F_STUCK
            if f == 0 or f == F_RATE or f == F_STUCK:
                self._eng[i] = v  # the rate check compares with the last sample
                self._x_eng[i] = x
                self._have[i] = 1
            else:
                self._have[i] = 0  # after a hard fault, the first good sample is taken
            self.fault[i] = f
            if f:
                self.valid[i] = 0
            elif self.valid[i] and _ANALOG[i] and self._alpha[i] < 1.0:
                if v != self.value[i]:  # (settled: the filter would add 0.0)
                    self.value[i] += (v - self.value[i]) * self._alpha[i]
            else:
                self.value[i] = v
                self.valid[i] = 1
