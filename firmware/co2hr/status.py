# What the controller computes and reports, beyond raw inputs and outputs.
# Rows are append-only (their register addresses follow their order).
#
# STATUS row:   (name, unit, scale, description)       value: controller.status[i]
# COUNTERS row: (name, unit, scale, description)       value: controller.counters[i]
#               (32-bit unsigned in two registers, high word first)
# COMMANDS row: (name, min, max, unit, scale, description)  volatile writable values:
#               controller.command(i, value) acts on them (not persisted)
try:
    from micropython import const
except ImportError:

    def const(x):
        return x


ST_MODE = const(0)
ST_P_GC_REF = const(1)
STATUS = (
    ("mode", "", 1, "Active mode: 0 Off, 1 Standby, 2 Max-COP, 3 Heat recovery, 4 Manual"),
    ("p_gc_ref_bar", "bar", 10, "Gas cooler pressure reference in force"),
)

CNT_UPTIME = const(0)
COUNTERS = (
    ("uptime_s", "s", 1, "Seconds since boot"),
)

CMD_ALARM_ACK = const(0)
COMMANDS = (
    ("alarm_ack", 0, 1, "", 1, "Write 1 to acknowledge all alarms"),
)
