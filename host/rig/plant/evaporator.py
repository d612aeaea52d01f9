"""Display-case evaporators and the pack's own suction-pressure control (not ours).

Why: the cooling load decides how much liquid leaves the receiver and how much vapour
the compressors must remove; the pack controller (a separate product on a real site)
varies compressor speed to hold the suction pressure at the saturation pressure of its
evaporating set point. Case valves (LPEV) hold a fixed superheat, so the evaporators
deliver the demanded load whenever the pack runs and the receiver has liquid.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import props as P


@dataclass
class PackParams:
    te_set_c: float = -10.0  # MT evaporating set point
    sh_k: float = 10.0  # superheat held by the case valves
    kp_hz_per_bar: float = 12.0
    ti_s: float = 30.0
    cut_out_k: float = 8.0  # low-pressure cut-out below the set point (in saturation K)
    cut_in_k: float = 2.0  # restart above the set point


class PackController:
    """PI on suction pressure -> compressor speed; low-pressure cut-out with hysteresis."""

    def __init__(self, pp: PackParams, speed_min_hz: float, speed_max_hz: float):
        self.pp = pp
        self.p_set_bar = P.p_sat_bar(pp.te_set_c)
        self.p_cut_out_bar = P.p_sat_bar(pp.te_set_c - pp.cut_out_k)
        self.p_cut_in_bar = P.p_sat_bar(pp.te_set_c + pp.cut_in_k)
        self.smin, self.smax = speed_min_hz, speed_max_hz
        self.on = True
        self.integ = speed_min_hz / pp.kp_hz_per_bar
        self.speed_hz = 0.0

    def update(self, p_suc_bar: float, allowed: bool, dt_s: float) -> float:
        if self.on and p_suc_bar < self.p_cut_out_bar:
            self.on = False
        elif not self.on and p_suc_bar > self.p_cut_in_bar:
            self.on = True
        if not (allowed and self.on):
            self.integ = self.smin / self.pp.kp_hz_per_bar
            self.speed_hz = 0.0
            return 0.0
        e = p_suc_bar - self.p_set_bar
        integ = self.integ + e * dt_s / self.pp.ti_s
        u = self.pp.kp_hz_per_bar * (e + integ)
        if self.smin <= u <= self.smax or (u > self.smax and e < 0) or (u < self.smin and e > 0):
            self.integ = integ  # anti-windup: integrate only when not pushing into a limit
        self.speed_hz = min(self.smax, max(self.smin, u))
        return self.speed_hz


def evaporator_outlet_h(p_suc_bar: float, sh_k: float) -> float:
    """Superheated vapour leaving the cases at the actual suction pressure."""
    return P.h_pt(p_suc_bar, P.t_sat_c(p_suc_bar) + sh_k)


def delivered_load_kw(q_load_kw: float, running: bool, rec_level_pct: float) -> float:
    """The cases cool only while the pack runs; an empty receiver starves them."""
    if not running or rec_level_pct <= 0.0:
        return 0.0
    return q_load_kw * min(1.0, max(0.0, rec_level_pct / 3.0))
