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
    #: Close a TCP connection that has sent no complete request for this long, whatever it
    #: holds (a partial frame, an answer it does not read)
    ("tcp_idle_s", 60, 1, 3600, "s", 1),
    #: How long a service unlock keeps settings and commands writable for its connection or line
    ("unlock_timeout_s", 600, 10, 3600, "s", 1),
    #: Service unlock code, written to holding 600 to unlock. Reads 0; writing 0 leaves it as
    #: it is. Change the factory code at commissioning (docs/registers.md, "Service unlock")
    ("unlock_code", 7321, 1, 65535, "", 1),
    #: A TCP request must arrive complete, and its answer be taken, within this
    ("tcp_frame_s", 5, 1, 60, "s", 1),
    #: 1: Modbus TCP is read-only: every write is refused, the unlock too (RTU is not affected)
    ("tcp_read_only", 0, 0, 1, "", 1),
    #: TCP client allowlist: first octet of the allowed network (see tcp_allow_prefix)
    ("tcp_allow_ip1", 0, 0, 255, "", 1),
    #: TCP client allowlist: second octet of the allowed network
    ("tcp_allow_ip2", 0, 0, 255, "", 1),
    #: TCP client allowlist: third octet of the allowed network
    ("tcp_allow_ip3", 0, 0, 255, "", 1),
    #: TCP client allowlist: fourth octet of the allowed network
    ("tcp_allow_ip4", 0, 0, 255, "", 1),
    #: TCP client allowlist: prefix length of the allowed network (24: tcp_allow_ip1..3 must
    #: match, 32: one address); others are refused at connect. 0: every client
    ("tcp_allow_prefix", 0, 0, 32, "", 1),
)
