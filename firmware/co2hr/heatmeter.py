# Heat meter on the recovered heat (docs/control.md, "Heat accounting"): an S0 pulse
# input (heat_pulses) whose pulse value is the setting hr_meter_wh_per_pulse (0: no
# meter, the estimate is booked). co2hr.energy asks step() each tick what to book:
#   * the meter's whole Wh of the pulses of this tick (the booked heat), to the state
#     of the tick the pulses arrive in, or
#   * the estimate (no meter, or the meter failed).
# Failed: the input is not read, or no pulse came while the estimate since the last
# pulse reached the larger of 3 pulses and the heat of hr_meter_min_kw over a window.
# On the tick it is found failed, the estimate since the last pulse (kept per state,
# `since`) is booked at once, so the record has no gap; from then on the estimate is
# booked until _BACK_PULSES pulses have come again (those pulses are not booked: the
# estimate covered their time), then the meter again.
# Plausibility: over each window of hr_meter_window_s the metered and the estimated heat
# are compared when either is at least hr_meter_min_kw on average; more apart than
# hr_meter_dev_pct of the estimate plus one pulse is implausible (the meter is still
# booked: it is the instrument; the alarm says to look). A window that cannot be
# judged keeps the last verdict.
# Everything is in integers (Wh, and micro-Wh for the estimate's fractions, carried into
# Wh): no float is made per tick. The metered rate q_kw is a mean over at least _RATE_MS
# between pulses, so its float is made at most once in that time.
from micropython import const

from co2hr.io import CI_HEAT

HM_NONE = const(0)  # status hr_meter: no meter set
HM_OK = const(1)
HM_FAILED = const(2)
HM_IMPLAUSIBLE = const(3)
BOOK_ESTIMATE = const(-1)  # step(): book the estimate of this tick
_RATE_MS = const(60000)
_RATE_ZERO_MS = const(600000)  # no pulse for this long: the metered rate reads 0
_BACK_PULSES = const(2)
_FAIL_PULSES = const(3)
_UWH = const(1000000)  # micro-Wh per Wh


class HeatMeter:
    def __init__(self):
        self.wh_per_pulse = 0  # hr_meter_wh_per_pulse (0: no meter)
        self.dev_pct = 25
        self.window_ms = 900000
        self.min_wh = 0  # the heat of hr_meter_min_kw over a window, Wh
        self.fail_wh = 0  # the estimate since the last pulse that makes it failed, Wh
        self.state = HM_NONE
        self.failed = 0
        self.fell = 0  # 1 on the tick the meter was found failed: book `since` too
        self.implausible = 0
        self.q_kw = 0.0  # metered heat rate (status q_hr_meter_kw)
        self._w = 0  # the rate in W that q_kw was made from
        # estimated heat since the last pulse, per operating state (co2hr.energy ST_*)
        self.since_wh = [0, 0, 0]
        self.since_uwh = [0, 0, 0]
        self._seen = -1  # pulse count last seen (-1: none yet: the next is the base)
        self._back = 0  # pulses since it failed
        self._w_ms = 0  # the judging window: its time, metered and estimated heat
        self._w_m_wh = 0
        self._w_e_wh = 0
        self._w_e_uwh = 0
        self._gap_ms = 0  # time since the last pulse
        self._r_on = 0  # a rate period runs (it began at a pulse)
        self._r_ms = 0
        self._r_wh = 0

    def configure(self, s):
        wpp = int(s.get("hr_meter_wh_per_pulse"))
        self.dev_pct = int(s.get("hr_meter_dev_pct"))
        win_s = int(s.get("hr_meter_window_s"))
        self.window_ms = win_s * 1000
        self.min_wh = int(s.get("hr_meter_min_kw") * win_s / 3.6)
        f = _FAIL_PULSES * wpp
        self.fail_wh = f if f > self.min_wh else self.min_wh
        if wpp != self.wh_per_pulse:  # another meter (or none): start afresh
            self.wh_per_pulse = wpp
            self.failed = 0
            self.implausible = 0
            self._reset()
            self._w = 0
            self.q_kw = 0.0

    def _reset(self):
        self._seen = -1
        self._back = 0
        self._window()
        self._gap_ms = 0
        self._r_on = 0
        self._r_ms = 0
        self._r_wh = 0
        self.clear_since()

    def clear_since(self):
        for k in range(3):
            self.since_wh[k] = 0
            self.since_uwh[k] = 0

    def step(self, sig, dt_ms, e_uwh, state):
        """One tick: e_uwh the estimated heat of this tick (micro-Wh), state this tick's
        operating state. -> the meter's Wh to book now (>= 0), or BOOK_ESTIMATE (then, on
        the tick `fell` is 1, the estimate `since` the last pulse as well)."""
        self.fell = 0
        wpp = self.wh_per_pulse
        if wpp <= 0:
            self.state = HM_NONE
            return BOOK_ESTIMATE
        if e_uwh > 0:
            u = self._w_e_uwh + e_uwh
            if u >= _UWH:
                self._w_e_wh += u // _UWH
                u %= _UWH
            self._w_e_uwh = u
        self._w_ms += dt_ms
        self._gap_ms += dt_ms
        self._r_ms += dt_ms
        dn = 0
        if not sig.valid[CI_HEAT]:
            self._seen = -1
            if not self.failed:
                self._fail()
        else:
            n = int(sig.value[CI_HEAT])
            if 0 <= self._seen <= n:
                dn = n - self._seen
            self._seen = n  # (a count that went back, or the first: the new base)
        m_wh = dn * wpp
        if dn:
            self._pulse(m_wh)
            if self.failed:
                self._back += dn
                if self._back >= _BACK_PULSES:
                    self.failed = 0
                    self._window()  # judged from now on, when the meter counts
                m_wh = 0  # (the estimate was booked for its time)
        elif not self.failed:
            if self.since_wh[0] + self.since_wh[1] + self.since_wh[2] >= self.fail_wh:
                self._fail()
            elif e_uwh > 0:
                self._since(state, e_uwh)
        self._rate(wpp)
        if self._w_ms >= self.window_ms:
            self._judge(wpp)
        self.state = (HM_FAILED if self.failed else HM_IMPLAUSIBLE if self.implausible
                      else HM_OK)
        return BOOK_ESTIMATE if self.failed else m_wh

    def _since(self, state, e_uwh):
        u = self.since_uwh[state] + e_uwh
        if u >= _UWH:
            self.since_wh[state] += u // _UWH
            u %= _UWH
        self.since_uwh[state] = u

    def _fail(self):
        """Found failed this tick: co2hr.energy books `since`, then clears it."""
        self.failed = 1
        self.fell = 1
        self._back = 0

    def _pulse(self, m_wh):
        self._gap_ms = 0
        self._w_m_wh += m_wh
        self.clear_since()
        if self._r_on:
            self._r_wh += m_wh
            if self._r_ms >= _RATE_MS:  # pulses since the period's first over its time
                self._set_w(self._r_wh * 36000 // (self._r_ms // 100))
                self._r_wh = 0
                self._r_ms = 0
        else:
            self._r_on = 1
            self._r_wh = 0
            self._r_ms = 0

    def _rate(self, wpp):
        """Without pulses the rate is at most one pulse over the time since the last,
        looked at once per _RATE_MS; after _RATE_ZERO_MS it is 0."""
        if self._gap_ms >= _RATE_MS and self._r_ms >= _RATE_MS:
            self._r_on = 0
            self._r_ms = 0
            if self._gap_ms >= _RATE_ZERO_MS:
                self._set_w(0)
            else:
                cap = wpp * 36000 // (self._gap_ms // 100)
                if cap < self._w:
                    self._set_w(cap)

    def _set_w(self, w):
        if w != self._w:  # (the one float, only when the rate changed)
            self._w = w
            self.q_kw = w / 1000

    def _judge(self, wpp):
        if not self.failed:
            m = self._w_m_wh
            e = self._w_e_wh
            if m >= self.min_wh or e >= self.min_wh:
                d = m - e if m > e else e - m
                self.implausible = 1 if d > e * self.dev_pct // 100 + wpp else 0
        self._window()

    def _window(self):
        self._w_ms = 0
        self._w_m_wh = 0
        self._w_e_wh = 0
        self._w_e_uwh = 0
