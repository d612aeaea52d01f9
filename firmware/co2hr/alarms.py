# Alarm table and state. Row: (code, name, text, priority, delay_s, hyst, latched)
#   priority 1 = critical (stops/overrides), 2 = alarm, 3 = warning
#   delay_s: the cause must persist this long before the alarm activates
#   hyst: for limit alarms, how far back inside the limit the value must come to clear
#         (whole numbers as ints: a float constant costs 16 B of heap on the board)
#   latched: stays active after the cause clears until acknowledged
# Rows are append-only: the index is the alarm's bit in the registers.
# The common alarm relay is on while any priority 1-2 alarm is active and unacknowledged.
from micropython import const

A_HP_HIGH = const(0)
A_HP_SWITCH = const(1)
A_HP_OVERRIDE = const(2)
A_HP_STOP = const(3)
A_P_GC_SENSOR = const(4)
A_P_REC_SENSOR = const(5)
A_P_SUC_SENSOR = const(6)
A_T3_SENSOR = const(7)
A_T_AMB_SENSOR = const(8)
A_T_DISCH_SENSOR = const(9)
A_T_W_IN_SENSOR = const(10)
A_T_W_OUT_SENSOR = const(11)
A_T_TANK_SENSOR = const(12)
A_DEMAND_SENSOR = const(13)
A_P_REC_HIGH = const(14)
A_P_REC_LOW = const(15)
A_W_HOT = const(16)
A_T_DISCH_HIGH = const(17)
A_FAN_FAIL = const(18)
A_MANUAL = const(19)
A_NO_BACKHEAT = const(20)
A_DI_FAULT = const(21)
A_STORAGE = const(22)

ALARMS = (
    (1, "hp_high", "Gas cooler pressure high", 1, 5, 3, True),
    (2, "hp_switch", "HP safety switch open", 1, 0, 0, True),
    (3, "hp_override", "HP override: expansion valve forced open", 2, 0, 2, False),
    (4, "hp_stop", "HP stop: compressor enable released", 1, 0, 0, True),
    (10, "p_gc_sensor", "Gas cooler pressure sensor fault (HPEV at fixed opening)", 1, 2, 0,
     False),
    (11, "p_rec_sensor", "Receiver pressure sensor fault (BEV at fixed opening)", 2, 2, 0,
     False),
    (12, "p_suc_sensor", "Suction pressure sensor fault", 3, 5, 0, False),
    (13, "t3_sensor", "Gas cooler outlet temperature sensor fault (fixed reference)", 2, 2,
     0, False),
    (14, "t_amb_sensor", "Ambient temperature sensor fault (fans full)", 2, 5, 0, False),
    (15, "t_disch_sensor", "Discharge temperature sensor fault (HRHX bypassed)", 2, 5, 0,
     False),
    (16, "t_w_in_sensor", "HR water inlet temperature sensor fault (HRHX bypassed)", 2, 5, 0,
     False),
    (17, "t_w_out_sensor", "HR water outlet temperature sensor fault (HRHX bypassed)", 2, 5,
     0, False),
    (18, "t_tank_sensor", "HR tank temperature sensor fault", 3, 5, 0, False),
    (19, "demand_sensor", "Heat-recovery demand signal fault (heat recovery off)", 2, 5, 0,
     False),
    (20, "p_rec_high", "Receiver pressure high", 2, 10, 1, False),
    (21, "p_rec_low", "Receiver pressure low", 2, 30, 1, False),
    (22, "hr_water_hot", "HR water over-temperature: heat-recovery exchanger bypassed", 2, 0,
     5, True),
    (23, "t_disch_high", "Compressor discharge temperature high", 2, 10, 5, False),
    (24, "fan_fail", "Gas cooler fan failure", 2, 10, 0, True),
    (25, "manual", "Manual output values in force", 3, 0, 0, False),
    (26, "hr_no_heat", "Heat recovery blocked: CO2 not warmer than the water", 3, 60, 1,
     False),
    (27, "di_fault", "Digital input read fault", 3, 5, 0, False),
    (28, "storage_fault", "Settings/counters storage fault: a stored copy corrupt, a stored "
     "value refused or a flash write failed", 2, 0, 0, False),
    (50, "clock_not_set", "Clock not set: event times count from boot, no calendar (set it "
     "over Modbus, with `rig clock --set-from-host` or by NTP)", 3, 60, 0, False),
    (51, "event_log_fault", "Event log cannot be written to flash: new events wait in RAM "
     "and may be lost", 3, 0, 0, False),
)
N_ALARMS = len(ALARMS)
HIST_N = const(32)


class Alarms:
    """State per ALARMS row. Call set()/high()/low() once per tick per alarm."""

    def __init__(self):
        n = N_ALARMS
        self.active = bytearray(n)
        self.acked = bytearray(n)
        self.cause = bytearray(n)
        self._since = [-1.0] * n  # time the cause began, -1 = no cause
        # the table's own numbers (ints compare with floats; float() would box copies)
        self.delay_s = [r[4] for r in ALARMS]
        self.hyst = [r[5] for r in ALARMS]
        self.latched = bytearray([1 if r[6] else 0 for r in ALARMS])
        self.prio = bytearray([r[3] for r in ALARMS])
        self.code = bytearray([r[0] for r in ALARMS])
        self.activations = 0  # counter of rising edges
        self._h_t = [0] * HIST_N
        self._h_code = bytearray(HIST_N)
        self._h_on = bytearray(HIST_N)
        self._h_head = 0  # next write position
        self._h_len = 0
        self.n_active = 0
        self.events = None  # co2hr.eventlog.EventLog: each raise, clear and acknowledgement

    # --- evaluation
    def set(self, i, cond, now_s):
        """cond: the alarm's cause is present now. Applies delay and latching."""
        if cond:
            self.cause[i] = 1
            if self._since[i] < 0.0:
                self._since[i] = now_s
            if not self.active[i] and now_s - self._since[i] >= self.delay_s[i]:
                self.active[i] = 1
                self.acked[i] = 0
                self.activations += 1
                self.n_active += 1
                self._log(now_s, i, 1)
        else:
            self.cause[i] = 0
            self._since[i] = -1.0
            if self.active[i] and (not self.latched[i] or self.acked[i]):
                self._clear(i, now_s)

    def high(self, i, value, limit, now_s):
        """Limit alarm: active above limit, clears below limit - hyst."""
        if self.active[i] or self.cause[i]:
            self.set(i, value > limit - self.hyst[i], now_s)
        else:
            self.set(i, value > limit, now_s)

    def low(self, i, value, limit, now_s):
        if self.active[i] or self.cause[i]:
            self.set(i, value < limit + self.hyst[i], now_s)
        else:
            self.set(i, value < limit, now_s)

    def _clear(self, i, now_s):
        self.active[i] = 0
        self.n_active -= 1
        self._log(now_s, i, 0)

    def ack_all(self, now_s=0):
        for i in range(N_ALARMS):
            if self.active[i]:
                if not self.acked[i] and self.events is not None:
                    self.events.alarm(self.code[i], 2)
                self.acked[i] = 1
                if not self.cause[i]:
                    self._clear(i, now_s)

    def relay(self):
        """1 while a priority 1-2 alarm is active and not acknowledged."""
        for i in range(N_ALARMS):
            if self.active[i] and not self.acked[i] and self.prio[i] <= 2:
                return 1
        return 0

    def word(self, k):
        """16 active bits of rows 16k .. 16k+15 (bit 0 = row 16k)."""
        w = 0
        base = 16 * k
        for b in range(16):
            i = base + b
            if i >= N_ALARMS:
                break
            if self.active[i]:
                w |= 1 << b
        return w

    # --- history ring (RAM, fixed size, newest first)
    def _log(self, now_s, i, on):
        if self.events is not None:
            self.events.alarm(self.code[i], on)
        h = self._h_head
        self._h_t[h] = int(now_s)
        self._h_code[h] = self.code[i]
        self._h_on[h] = on
        self._h_head = (h + 1) % HIST_N
        if self._h_len < HIST_N:
            self._h_len += 1

    def history_len(self):
        return self._h_len

    def history_entry(self, i):
        """(t_s, code, on) of the i-th newest event (0 = newest)."""
        if i < 0 or i >= self._h_len:
            raise IndexError("alarm history index")
        h = (self._h_head - 1 - i) % HIST_N
        return (self._h_t[h], self._h_code[h], self._h_on[h])

    def history_clear(self):
        self._h_len = 0
