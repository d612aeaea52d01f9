# Communication settings (rows: see co2hr.settings). Append-only. They take effect
# after the Modbus response that changed them has been sent: the RTU and TCP servers
# pick them up only when idle (co2hr.modbus.rtu / tcp).
COMM_SCHEMA = (
    #: Modbus RTU slave address
    ("mb_unit", 1, 1, 247, "", 1),
    #: RTU baud rate in hundreds of baud: 96 = 9600, 192 = 19200, 1152 = 115200
    ("mb_baud_x100", 192, 12, 1152, "100 baud", 1),
    #: RTU parity: 0 none, 1 odd, 2 even (the Modbus default)
    ("mb_parity", 2, 0, 2, "", 1),
    #: RTU stop bits (use 2 with no parity: 11-bit characters)
    ("mb_stop_bits", 1, 1, 2, "", 1),
    #: Modbus TCP port
    ("tcp_port", 502, 1, 65535, "", 1),
    #: TCP clients served at once; more are refused
    ("tcp_max_clients", 4, 1, 8, "", 1),
    #: Close a TCP connection idle this long (0 = never)
    ("tcp_idle_s", 60, 0, 3600, "s", 1),
    #: How long the service unlock keeps settings writable
    ("unlock_timeout_s", 600, 10, 3600, "s", 1),
)
