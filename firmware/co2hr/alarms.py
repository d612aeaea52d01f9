# Alarm table and state. Row: (code, name, text, priority, delay_s, hyst, latched)
#   priority 1 = critical (stops/overrides), 2 = alarm, 3 = warning
#   latched: stays active after the cause clears until acknowledged
# Rows are append-only: the index is the alarm's bit in the registers.
ALARMS = (
    (1, "hp_high", "Gas cooler pressure high", 1, 5, 3.0, True),
)
N_ALARMS = len(ALARMS)


class Alarms:
    def __init__(self):
        self.active = bytearray(N_ALARMS)

    def ack_all(self):
        pass
