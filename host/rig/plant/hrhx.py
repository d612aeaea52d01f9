"""Counter-flow heat-recovery exchanger (CO2 / water), discretised along its length.

Why discretised: above the critical pressure the CO2 heat capacity peaks near the
pseudo-critical temperature, so the smallest CO2-water temperature difference (the pinch)
can lie inside the exchanger instead of at an end. The exchanger is cut into n segments
of equal UA; each segment is a small counter-flow exchanger (epsilon-NTU with the local
CO2 cp); the unknown water outlet temperature is found by shooting (secant) from the CO2
inlet end. Water properties are taken constant (cp 4186 J/kg K): the loop is liquid water
and is deliberately allowed to exceed 100 degC so the model can show the boiling risk.

UA scales with both flows (Dittus-Boelter, h ~ m^0.8) around the design point.
"""

from __future__ import annotations

import math

from . import props as P

CP_W = 4186.0


def ua_w_k(ua0_w_k: float, m_co2: float, m_w: float, m_co2_0: float, m_w_0: float) -> float:
    """Overall UA from two film resistances (equal at the design point)."""
    if m_co2 <= 0.0 or m_w <= 0.0:
        return 0.0
    h_c = 2.0 * ua0_w_k * (m_co2 / m_co2_0) ** 0.8
    h_w = 2.0 * ua0_w_k * (m_w / m_w_0) ** 0.8
    return 1.0 / (1.0 / h_c + 1.0 / h_w)


def _march(read, first, h_in, m_c, m_w, ua_seg, n, t_w_out, h_lo, h_hi, rho=True):
    """March from the CO2 inlet (= water outlet) end; read = props.ph_reader at the
    exchanger's pressure, first = read(h_in) (the same for every march of a shooting).
    Returns (h_out, t_w_in_calc, rho_mean); rho_mean is 0.0 when rho=False (the plant
    needs only the outlet states: the outlet's own state is then not read either)."""
    c_w = m_w * CP_W
    h = h_in
    t_w = t_w_out
    t_c, r, cp = first
    rho_sum = 0.5 * r
    exp = math.exp
    last = n - 1
    for i in range(n):
        c_c = m_c * cp
        if c_c < c_w:
            c_min, cr = c_c, c_c / c_w
        else:
            c_min, cr = c_w, c_w / c_c if c_c != math.inf else 0.0
        ntu = ua_seg / c_min
        if cr < 0.999:
            e = exp(-ntu * (1.0 - cr))
            eps = (1.0 - e) / (1.0 - cr * e)
        else:
            eps = ntu / (1.0 + ntu)
        # segment inlet temps are T_co2 (here) and the water temp at the far end (unknown):
        # q = eps*cmin*(t_c - t_w_far), t_w_far = t_w - q/c_w  ->  closed form in t_w
        den = 1.0 - eps * c_min / c_w
        q = eps * c_min * (t_c - t_w) / den if den > 1e-9 else c_w * (t_c - t_w)
        h_new = h - q / m_c
        if not h_lo <= h_new <= h_hi:  # CO2 stays between the two inlet temperatures
            h_new = min(max(h_new, h_lo), h_hi)
            q = (h - h_new) * m_c
        h = h_new
        t_w -= q / c_w
        if i < last:
            t_c, r, cp = read(h)
            rho_sum += r
        elif rho:
            rho_sum += 0.5 * read(h)[1]
    return h, t_w, rho_sum / n


class HRHX:
    """Quasi-steady counter-flow exchanger; remembers the last water outlet as warm start."""

    def __init__(self, ua0_w_k: float, m_co2_0: float, m_w_0: float, n_seg: int = 8):
        self.ua0, self.m_c0, self.m_w0, self.n = ua0_w_k, m_co2_0, m_w_0, n_seg
        self.t_w_out_c = 20.0

    def solve(self, p_bar: float, h_in: float, m_co2: float, t_w_in_c: float,
              m_w: float, rho: bool = True) -> tuple[float, float, float]:
        """(h_co2_out, q_w, rho_mean_co2) for the given inlet states and flows; rho=False:
        rho_mean_co2 is not evaluated (0.0) where the exchanger is marched (the plant
        takes the HRHX's inventory from its outlet state)."""
        if m_co2 < 1e-4:  # stagnant CO2 takes the water's temperature
            h = P.h_pt(p_bar, t_w_in_c) if m_w > 0.0 else h_in
            self.t_w_out_c = t_w_in_c if m_w > 0.0 else self.t_w_out_c
            return h, 0.0, P.rho_ph(p_bar, h)
        ua = ua_w_k(self.ua0, m_co2, m_w, self.m_c0, self.m_w0)
        if ua <= 0.0:
            return h_in, 0.0, P.rho_ph(p_bar, h_in)
        ua_seg = ua / self.n
        h_w = P.h_pt(p_bar, t_w_in_c)
        h_lo, h_hi = min(h_w, h_in), max(h_w, h_in)
        read = P.ph_reader(p_bar, rho)
        first = read(h_in)
        t_co2_in = first[0]  # (= P.t_ph(p_bar, h_in))
        t_min, t_max = min(t_w_in_c, t_co2_in), max(t_w_in_c, t_co2_in)
        # secant on the water outlet temperature so the march returns t_w_in
        x0 = min(max(self.t_w_out_c, t_min), t_max)
        r = _march(read, first, h_in, m_co2, m_w, ua_seg, self.n, x0, h_lo, h_hi, rho)
        f0 = r[1] - t_w_in_c
        x1 = min(max(x0 - f0, t_min), t_max)
        for _ in range(12):
            if abs(f0) < 0.01:
                break
            r1 = _march(read, first, h_in, m_co2, m_w, ua_seg, self.n, x1, h_lo, h_hi, rho)
            f1 = r1[1] - t_w_in_c
            if abs(f1) < abs(f0):
                r = r1
            if abs(f1) < 0.01 or f1 == f0:
                break
            x0, x1, f0 = x1, min(max(x1 - f1 * (x1 - x0) / (f1 - f0), t_min), t_max), f1
        h_out, _, rho_mean = r
        q = (h_in - h_out) * m_co2
        # Second law, whatever the shooting reached (it may stop short at extreme capacity
        # ratios or tiny flows): neither stream passes the other's inlet temperature, so
        # |q| is at most the smaller of the two streams' full swings.
        q_w = m_w * CP_W * (t_co2_in - t_w_in_c)
        q_c = m_co2 * (h_in - h_w)
        q_cap = min(abs(q_w), abs(q_c)) if q_w * q_c > 0.0 else 0.0
        if abs(q) > q_cap or q * q_w < 0.0:
            q = math.copysign(q_cap, q_w) if q * q_w > 0.0 else 0.0
            h_out = h_in - q / m_co2
        self.t_w_out_c = t_w_in_c + q / (m_w * CP_W)
        return h_out, q, rho_mean
