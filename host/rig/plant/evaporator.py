"""Display cases, their evaporators and the pack's own capacity control (not ours).

Why: the cooling load decides how much liquid leaves the receiver and how much vapour
the compressors must remove, and a real pack neither drops its load when it stops nor
switches a single big compressor on and off:

* Cases: the load is heat the cases (air, shelves, goods) gain all the time. What the
  evaporators do not remove warms the cases (thermal mass c_case_j_k) and is removed
  later: the evaporators then take the load plus a pull-down share of the stored heat.
  They deliver as long as the receiver has liquid and the case air is warmer than the
  evaporating temperature (capacity UA x (t_case - te)), also while the compressors
  stand still: the liquid they are fed keeps boiling and raises the suction pressure.
  Case valves (LPEV) hold a fixed superheat.
* Pack: several compressors, the lead one on a VSD, shown to the compressor model as
  one machine at an equivalent speed (capacity share x maximum speed). PI on suction
  pressure sets the capacity between a minimum (lead compressor at its lowest speed,
  ~15 % of the pack) and 100 %, rising no faster than stages can be added; below the
  minimum the pack stops on the low-pressure cut-out and restarts at the cut-in
  pressure, both with minimum run and off times against short cycling.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import props as P


@dataclass
class PackParams:
    te_set_c: float = -10.0  # MT evaporating set point
    sh_k: float = 10.0  # superheat held by the case valves
    kp_hz_per_bar: float = 12.0  # in equivalent speed of the whole pack
    ti_s: float = 30.0
    cap_min_frac: float = 0.15  # lowest capacity: the VSD lead compressor at minimum speed
    ramp_up_frac_s: float = 0.01  # stage-in delays and VSD ramp: minimum -> full in ~85 s
    cut_out_k: float = 8.0  # low-pressure cut-out below the set point (in saturation K)
    cut_in_k: float = 2.0  # restart above the set point
    trip_k: float = 15.0  # low-pressure safety: stops at once, minimum run time or not
    min_run_s: float = 120.0
    min_off_s: float = 120.0
    # display cases (about 100 kW of MT cases)
    t_case_set_c: float = 2.0  # case air temperature the case thermostats hold
    ua_case_w_k: float = 12500.0  # evaporators: 150 kW at the set points (50 % margin)
    c_case_j_k: float = 5e6  # case air, shelves and the goods' surface layer
    pull_down_s: float = 300.0  # stored heat removed with this time constant when possible


class PackController:
    """Capacity (as equivalent speed) from suction pressure; cut-out/cut-in with timers."""

    def __init__(self, pp: PackParams, speed_min_hz: float, speed_max_hz: float):
        self.pp = pp
        self.p_set_bar = P.p_sat_bar(pp.te_set_c)
        self.p_cut_out_bar = P.p_sat_bar(pp.te_set_c - pp.cut_out_k)
        self.p_cut_in_bar = P.p_sat_bar(pp.te_set_c + pp.cut_in_k)
        self.p_trip_bar = P.p_sat_bar(pp.te_set_c - pp.trip_k)
        self.smax = speed_max_hz
        self.smin = min(speed_min_hz, pp.cap_min_frac * speed_max_hz)
        self.on = True
        self.integ = self.smin / pp.kp_hz_per_bar
        self.speed_hz = 0.0
        self.t_state_s = max(pp.min_run_s, pp.min_off_s)  # time since the last start/stop
        self.starts = 0
        # The run's first instant: the pack "was running" only as a starting state. A run
        # that begins with the enable off (the controller's start sequence after a boot
        # holds it) finds the pack stopped with its off time served, as after a power cut,
        # not stopped at t = 0 with min_off_s still to wait.
        self._first = True

    def update(self, p_suc_bar: float, allowed: bool, dt_s: float) -> float:
        pp = self.pp
        self.t_state_s += dt_s
        if self._first:
            self._first = False
            if not allowed:
                self.on = False  # stood through the boot: the off time is served
        if self.on:
            low = p_suc_bar < self.p_cut_out_bar and self.speed_hz <= self.smin + 1e-9
            if not allowed or p_suc_bar < self.p_trip_bar or (
                    low and self.t_state_s >= pp.min_run_s):
                self.on, self.t_state_s = False, 0.0
        elif allowed and p_suc_bar > self.p_cut_in_bar and self.t_state_s >= pp.min_off_s:
            self.on, self.t_state_s = True, 0.0
            self.starts += 1
            self.speed_hz = self.smin  # starts unloaded, at minimum capacity
        if not self.on:
            self.integ = self.smin / pp.kp_hz_per_bar
            self.speed_hz = 0.0
            return 0.0
        hi = min(self.smax, self.speed_hz + pp.ramp_up_frac_s * self.smax * dt_s)
        e = p_suc_bar - self.p_set_bar
        integ = self.integ + e * dt_s / pp.ti_s
        u = pp.kp_hz_per_bar * (e + integ)
        if self.smin <= u <= hi or (u > hi and e < 0) or (u < self.smin and e > 0):
            self.integ = integ  # anti-windup: integrate only when not pushing into a limit
        self.speed_hz = min(hi, max(self.smin, u))
        return self.speed_hz


class Cases:
    """Heat stored in the cases (J above their set point) and what the evaporators take."""

    def __init__(self, pp: PackParams):
        self.pp = pp
        self.e_stored_j = 0.0

    @property
    def t_case_c(self) -> float:
        return self.pp.t_case_set_c + self.e_stored_j / self.pp.c_case_j_k

    def evap_kw(self, q_load_kw: float, te_c: float, rec_level_pct: float) -> float:
        """Heat the evaporators remove now: load plus pull-down of the stored heat, within
        their capacity at the actual evaporating temperature; an empty receiver starves
        them."""
        pp = self.pp
        want = q_load_kw + self.e_stored_j / pp.pull_down_s / 1e3
        cap = pp.ua_case_w_k * (self.t_case_c - te_c) / 1e3
        feed = min(1.0, max(0.0, rec_level_pct / 3.0))
        return max(0.0, min(want, cap)) * feed

    def update(self, q_load_kw: float, q_evap_kw: float, dt_s: float) -> None:
        self.e_stored_j = max(0.0, self.e_stored_j + (q_load_kw - q_evap_kw) * 1e3 * dt_s)


def evaporator_outlet_h(p_suc_bar: float, sh_k: float) -> float:
    """Superheated vapour leaving the cases at the actual suction pressure."""
    return P.h_pt(p_suc_bar, P.t_sat_c(p_suc_bar) + sh_k)
