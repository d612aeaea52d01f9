"""The simulated board: what a controller board's terminals would read from the plant.

Why: the firmware's scaling, range checks and sensor-fault handling must run against
realistic terminal values (mA, volts, ohms, counts), not engineering numbers. This
converts the plant state to terminal values per the board file's input entries
(`kind` and scaling; pins and buses are ignored), turns firmware outputs back into plant
Actuators, and injects faults per signal: open circuit, short, stuck, drift, noise and
bus error. Signal order is the firmware's (firmware/co2hr/io.py).

Pressures are presented as absolute (bar a), as the plant and the firmware use them.
A signal the board file does not list is passed through in engineering units.

The heat meter (input heat_pulses) counts the plant's true heat to the HR water
(PlantState.heat_kwh) in pulses of `heat_wh_per_pulse` (the meter's own pulse value; the
firmware is told it by the setting hr_meter_wh_per_pulse); a stuck, open or shorted
pulse input gives no more pulses (a broken S0 wire); a `scale` fault (factor) makes a
pulse input count `factor` of what it measures from the fault on (a meter with the wrong
pulse value or a flow sensor that reads half: implausible, not silent). The pressure
transmitters carry P_NOISE_BAR of noise, as live ones do.
"""

from __future__ import annotations

import math
import random

from co2hr.io import INPUTS, OUTPUTS
from rig.hil.terminals import terminal_value
from rig.plant import Actuators, Plant

FAULT_KINDS = ("open", "short", "stuck", "drift", "noise", "bus_error", "scale")

# terminal values of a broken wire / a short, per input kind
_OPEN = {"ma420": 0.0, "ratio": 0.0, "pt1000": 1e7, "ntc": 1e8, "v010": 0.0, "di": 0.0,
         "pulse": None}
_SHORT = {"ma420": 25.0, "ratio": 5.0, "pt1000": 0.0, "ntc": 0.0, "v010": 0.0, "di": 1.0,
          "pulse": None}
# digital inputs whose terminal follows the plant's state unless set_di forces them
_PLANT_DI = ("comp_run", "hp_ok", "fan_ok")
# A live pressure transmitter's reading always moves by its noise (and its ADC's); the
# firmware takes a reading that does not move at all for p_stuck_s as stuck, so the
# simulated ones have noise too (sigma, bar); a `stuck` fault freezes the terminal value.
P_NOISE_BAR = 0.01
_TRANSMITTERS = ("p_gc_bar", "p_rec_bar", "p_suc_bar")
# what a transmitter can output at most (it saturates outside its range)
_CLIP = {"ma420": (3.8, 20.5), "ratio": (0.45, 4.55), "v010": (0.0, 10.0)}


class SimBoard:
    def __init__(self, board: dict, plant: Plant, seed: int = 0,
                 heat_wh_per_pulse: float = 10.0, p_noise_bar: float = P_NOISE_BAR):
        self.board = board
        self.p_noise_bar = float(p_noise_bar)  # the pressure transmitters' noise (sigma)
        self.heat_wh_per_pulse = float(heat_wh_per_pulse)  # the simulated heat meter's
        self.specs: dict = dict(board.get("inputs", {}))
        self.plant = plant
        self.demand_v = 0.0
        self.di = {"ext_enable": 1}
        # digital inputs the plant drives (comp_run, hp_ok, fan_ok) forced by set_di: the
        # terminal reads the forced value, whatever the plant does, until clear(name)
        self._forced: dict[str, int] = {}
        self.alarm_relay = 0
        self.inj_stop = 1  # the injection-stop relay to the case controllers (1: close)
        self.act = Actuators()
        self._faults: dict[str, tuple[str, dict]] = {}
        # what a pulse input did not count while a scale fault held (a meter put right
        # counts on from where it stands: the missed heat is not counted afterwards)
        self._uncounted: dict[str, float] = {}
        self._rng = random.Random(seed)
        self._plan_specs: dict | None = None  # the specs table self._plan was made for
        self._plan: list = []
        self._get: dict = {}
        self._conv: dict = {}

    # -- scenario side --------------------------------------------------------------------

    def set_demand_v(self, v: float) -> None:
        self.demand_v = float(v)

    def set_di(self, name: str, value: int) -> None:
        """Set a digital input's terminal. For those the plant drives (comp_run, hp_ok,
        fan_ok) the value is forced over the plant's contact (a jumper, a broken wire)
        until clear(name); the plant itself is not changed."""
        if name not in INPUTS:
            raise KeyError(f"unknown signal {name!r}")
        if name in _PLANT_DI:
            self._forced[name] = 1 if value else 0
        else:
            self.di[name] = 1 if value else 0

    def inject(self, name: str, kind: str, **params) -> None:
        """Fault on one input: open, short, stuck, drift (rate per second, engineering
        units), noise (sigma, engineering units), bus_error (validity flag 0) or scale (a
        pulse input counts `factor` of its quantity from now on)."""
        if name not in INPUTS:
            raise KeyError(f"unknown signal {name!r}")
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {FAULT_KINDS}")
        p = dict(params)
        if kind == "stuck" or (kind in ("open", "short")
                               and self.specs.get(name, {}).get("kind") == "pulse"):
            p["raw"] = self._raw(name, self._eng(name))  # (a pulse wire broken: no edges)
        elif kind == "drift":
            p.setdefault("rate", 0.01)
            p["t0"] = self.plant.state.t_s
        elif kind == "scale":
            if self.specs.get(name, {}).get("kind") != "pulse":
                raise ValueError(f"a scale fault is for a pulse input, not {name!r}")
            p.setdefault("factor", 0.5)
            p["eng0"] = self._eng(name)  # the count as it stood: scaled from here
        elif kind == "noise":
            p.setdefault("sigma", 0.1)
            if "seed" in p:
                self._rng.seed(p["seed"])
        self._faults[name] = (kind, p)

    def clear(self, name: str | None = None) -> None:
        """Remove the fault of one input (all when None), and a digital input forced by
        set_di, so its terminal follows the plant again."""
        for n in list(self._faults) if name is None else [name]:
            kind, p = self._faults.get(n, ("", {}))
            if kind == "scale":
                lost = (1.0 - p["factor"]) * (self._eng(n) - p["eng0"])
                self._uncounted[n] = self._uncounted.get(n, 0.0) + lost
        if name is None:
            self._faults.clear()
            self._forced.clear()
        else:
            self._faults.pop(name, None)
            self._forced.pop(name, None)

    # -- firmware side --------------------------------------------------------------------

    def terminals(self) -> tuple[list[float], list[int]]:
        """Terminal values and bus validity flags, in INPUTS order."""
        self._replan()
        if not self._faults and not self._forced:  # (every step of a run without faults)
            noise = self.p_noise_bar
            gauss = self._rng.gauss
            raw = []
            for _, get, conv, transmitter in self._plan:
                eng = get()
                if transmitter and noise > 0.0:
                    eng += gauss(0.0, noise)
                raw.append(conv(eng))
            return raw, [1] * len(raw)
        raw, ok = [], []
        for name, _, conv, transmitter in self._plan:
            eng = self._eng(name)
            fault = self._faults.get(name)
            good = 1
            if fault is not None:
                kind, p = fault
                if kind == "drift":
                    eng += p["rate"] * (self.plant.state.t_s - p["t0"])
                elif kind == "noise":
                    eng += self._rng.gauss(0.0, p["sigma"])
                elif kind == "scale":
                    eng = p["eng0"] + p["factor"] * (eng - p["eng0"])
                elif kind == "bus_error":
                    good = 0
            elif transmitter and self.p_noise_bar > 0.0:
                eng += self._rng.gauss(0.0, self.p_noise_bar)
            value = conv(eng)
            if fault is not None:
                kind, p = fault
                spec_kind = self.specs.get(name, {}).get("kind")
                if "raw" in p:
                    value = p["raw"]
                elif kind == "open" and _OPEN.get(spec_kind) is not None:
                    value = _OPEN[spec_kind]
                elif kind == "short" and _SHORT.get(spec_kind) is not None:
                    value = _SHORT[spec_kind]
            raw.append(value)
            ok.append(good)
        return raw, ok

    def apply_outputs(self, out) -> Actuators:
        """Firmware outputs (OUTPUTS order) -> plant Actuators (also kept in self.act)."""
        if len(out) != len(OUTPUTS):
            raise ValueError(f"expected {len(OUTPUTS)} outputs, got {len(out)}")
        v = [float(x) for x in out]
        for name, x in zip(OUTPUTS, v, strict=True):
            if not math.isfinite(x):
                raise ValueError(f"output {name} = {x!r} is not finite")

        def pct(x):
            return min(100.0, max(0.0, x))

        self.act = Actuators(hpev_pct=pct(v[0]), bev_pct=pct(v[1]), hr_valve_pct=pct(v[2]),
                             fan_pct=pct(v[3]), hr_pump_pct=pct(v[4]),
                             gc_bypass=1 if v[5] >= 0.5 else 0,
                             comp_enable=1 if v[6] >= 0.5 else 0)
        self.alarm_relay = 1 if v[7] >= 0.5 else 0
        self.inj_stop = 1 if v[8] >= 0.5 else 0
        return self.act

    def step(self, dt_s: float, bnd) -> None:
        """Advance the plant with the last applied outputs."""
        self.plant.step(dt_s, self.act, bnd)

    # -- conversion -----------------------------------------------------------------------

    def _eng(self, name: str) -> float:
        if name in self._forced:  # (only the plant-driven digital inputs are forced)
            return float(self._forced[name])
        self._replan()
        return self._get[name]()

    def _raw(self, name: str, eng: float) -> float:
        self._replan()
        return self._conv[name](eng)

    def _replan(self) -> None:
        """A new plan when the specs table was replaced (a board file or a test sets it)."""
        if self._plan_specs is not self.specs:
            self._plan = self._make_plan()
            self._plan_specs = self.specs

    def _make_plan(self) -> list:
        """Per input, in INPUTS order: (name, its engineering value now, engineering ->
        terminal value, whether it is a pressure transmitter). Made once per specs table:
        the dispatch on names and input kinds is not repeated for every input of every
        step (a year takes millions)."""
        self._get = {n: self._getter(n) for n in INPUTS}
        self._conv = {n: self._converter(n) for n in INPUTS}
        return [(n, self._get[n], self._conv[n], n in _TRANSMITTERS) for n in INPUTS]

    def _getter(self, name: str):
        """The input's engineering value (no fault, not forced), read when called."""
        plant = self.plant
        if name == "demand_v":
            return lambda: self.demand_v
        if name == "comp_run":
            return lambda: 1.0 if plant.state.comp_running else 0.0
        if name == "hp_ok":
            return lambda: 1.0 if plant.state.hp_switch_ok else 0.0
        if name == "fan_ok":
            return lambda: 0.0 if plant.faults.fan_failed else 1.0
        if name == "ext_enable":
            return lambda: float(self.di.get("ext_enable", 1))
        if name == "energy_pulses":
            return lambda: plant.state.energy_kwh - self._uncounted.get(name, 0.0)
        if name == "heat_pulses":
            return lambda: plant.state.heat_kwh - self._uncounted.get(name, 0.0)

        def get() -> float:
            di = self.di
            if name in di:
                return float(di[name])
            return float(getattr(plant.state, name, 0.0))  # (another app's: unwired)

        return get

    def _converter(self, name: str):
        """Engineering value -> terminal value per the board file's entry for name."""
        spec = self.specs.get(name)
        if spec is None:
            return lambda eng: eng
        kind = spec["kind"]
        if kind == "pulse":
            def pulses(eng: float) -> float:
                per = (self.heat_wh_per_pulse / 1000.0 if name == "heat_pulses"
                       else spec.get("kwh_per_pulse", 1.0))
                return float(math.floor(eng / per + 1e-9)) if per > 0.0 else 0.0

            return pulses
        if kind == "di":
            return lambda eng: 1.0 if eng >= 0.5 else 0.0
        lim = _CLIP.get(kind)
        if kind == "ma420" or kind == "ratio":  # terminal_value's scaling, written out
            a, b = (4.0, 16.0) if kind == "ma420" else (0.5, 4.0)
            lo, span = spec["lo"], spec["hi"] - spec["lo"]
            c_lo, c_hi = lim

            def scaled(eng: float) -> float:
                return min(c_hi, max(c_lo, a + b * (eng - lo) / span))

            return scaled
        if lim is not None:
            c_lo, c_hi = lim
            return lambda eng: min(c_hi, max(c_lo, terminal_value(spec, eng)))
        return lambda eng: terminal_value(spec, eng)
