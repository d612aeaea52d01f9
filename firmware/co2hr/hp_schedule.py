# When the heat pump's compressor may run: the grid's enable, the price of the coming
# hours with the buffer tank, and minimum run and stop times against short cycling.
# docs/heatpump.md ("Grid, price and short cycling") explains the rules.
#
# * Grid: the external enable (an interruptible grid connection) stops the compressor
#   at once (the application ramps it down cleanly); when it returns, a start delay
#   runs before the first start, and the minimum stop time still applies.
# * Price: the SCADA writes the hourly prices of the next hours (up to 24, any unit,
#   signed), at once or hour by hour. The compressor may then run in the N cheapest
#   hours of the vector (hp_price_hours of 24; a shorter vector, proportionally
#   fewer), charging the tank up to hp_tank_max_c (again from 3 K below it); in the
#   other hours the tank carries the demand, and below hp_tank_min_c the compressor
#   runs whatever the price. No price for this hour, the price rule off, or the tank
#   sensor invalid: the heat demand alone decides (the tank cannot be known to carry
#   it). The minimum run time can carry a charge a few minutes past the tank's
#   maximum or into a dear hour.
# * Short cycling: once started it runs hp_min_run_s, once stopped it stays off
#   hp_min_stop_s, except that the grid stops it at any time.
from micropython import const

WHY_DEMAND = const(0)  # `why`: the heat demand decides (or the price rule is off)
WHY_GRID = const(1)  # the external enable is off
WHY_START_DELAY = const(2)  # the enable came back, the start delay runs
WHY_MIN_STOP = const(3)  # held off: the minimum stop time
WHY_MIN_RUN = const(4)  # held on: the minimum run time
WHY_CHEAP = const(5)  # a cheap hour: the tank is charged
WHY_DEAR = const(6)  # a dear hour: the tank carries the demand
WHY_TANK_LOW = const(7)  # a dear hour, but the tank is below its minimum

N_PRICES = const(24)
_PRICE_MIN = const(-32768)  # a price is one signed Modbus register
_PRICE_MAX = const(32767)
_TANK_HYST_K = 3.0  # a charged tank restarts the charge only this far below its maximum


class HpSchedule:
    def __init__(self):
        self.price_on = 0  # the settings (configure())
        self.price_hours = 12
        self.tank_min = 45.0
        self.tank_max = 70.0
        self.start_delay_s = 120.0
        self.min_run_s = 600.0
        self.min_stop_s = 300.0
        self.prices = [0] * N_PRICES
        self.price_h0 = 0  # unix hour of prices[0]
        self.price_n = 0  # prices written (0: none)
        self._rank_i = -1  # the vector index cheap() last ranked (-1: none), and its
        self._rank_cheap = 0  # answer: it changes only with the hour, vector or N
        self.on = 0  # the compressor may run
        self.why = WHY_DEMAND
        self.state_s = 1e9  # time in the present on/off state (boot: long stopped)
        self.enable_s = 0.0  # time since the enable came (back)
        self.starts = 0

    def configure(self, s):
        self.price_on = s.get("hp_price_on")
        self.price_hours = s.get("hp_price_hours")
        self.tank_min = s.get("hp_tank_min_c")
        self.tank_max = s.get("hp_tank_max_c")
        self.start_delay_s = s.get("hp_start_delay_s")
        self.min_run_s = s.get("hp_min_run_s")
        self.min_stop_s = s.get("hp_min_stop_s")
        self._rank_i = -1

    def set_prices(self, first_unix_hour, prices):
        """The SCADA's price vector from first_unix_hour on. False (nothing changed) for
        an empty or too long vector or a price outside one signed register."""
        n = len(prices)
        if n < 1 or n > N_PRICES or first_unix_hour < 0:
            return False
        for p in prices:
            if not isinstance(p, int) or p < _PRICE_MIN or p > _PRICE_MAX:
                return False
        for i in range(n):
            self.prices[i] = prices[i]
        self.price_h0 = first_unix_hour
        self.price_n = n
        self._rank_i = -1
        return True

    # -- the price rule -------------------------------------------------------------------

    def cheap(self, now_h):
        """1 if hour now_h (unix time / 3600: a small int on every port, where the unix
        time itself is not) is among the cheapest of the vector's hours, 0 if not, -1 if
        the vector has no price for it."""
        i = now_h - self.price_h0
        n = self.price_n
        if n == 0 or i < 0 or i >= n:
            return -1
        if i == self._rank_i:
            return self._rank_cheap
        n_cheap = (self.price_hours * n + N_PRICES - 1) // N_PRICES
        mine = self.prices[i]
        rank = 0  # hours that are cheaper, or as cheap and sooner
        for k in range(n):
            p = self.prices[k]
            if p < mine or (p == mine and k < i):
                rank += 1
        self._rank_i = i
        self._rank_cheap = 1 if rank < n_cheap else 0
        return self._rank_cheap

    def _desire(self, now_h, want, t_tank_c, tank_ok):
        """Run or not before the grid and the short-cycling rules; sets `why`."""
        c = self.cheap(now_h) if self.price_on and tank_ok else -1
        if c < 0:
            self.why = WHY_DEMAND
            return want
        if c:
            self.why = WHY_CHEAP
            return t_tank_c < (self.tank_max if self.on else self.tank_max - _TANK_HYST_K)
        if t_tank_c < self.tank_min:
            self.why = WHY_TANK_LOW
            return 1
        self.why = WHY_DEAR
        return 0

    # -- API ------------------------------------------------------------------------------

    def step(self, dt_s, now_h, enable, want, t_tank_c, tank_ok):
        """One tick: the hour (cheap()), enable (the grid's), want (the heat demand asks
        for the compressor), the tank temperature and its validity. Returns 1 if the
        compressor may run."""
        self.state_s += dt_s
        if not enable:
            self.enable_s = 0.0
            self.why = WHY_GRID
            self._set(0)
            return self.on
        self.enable_s += dt_s
        run = self._desire(now_h, want, t_tank_c, tank_ok)
        if self.on and not run and self.state_s < self.min_run_s:
            run, self.why = 1, WHY_MIN_RUN
        elif not self.on and run:
            if self.enable_s < self.start_delay_s:
                run, self.why = 0, WHY_START_DELAY
            elif self.state_s < self.min_stop_s:
                run, self.why = 0, WHY_MIN_STOP
        self._set(1 if run else 0)
        return self.on

    def _set(self, on):
        if on != self.on:
            self.on = on
            self.state_s = 0.0
            self.starts += on
