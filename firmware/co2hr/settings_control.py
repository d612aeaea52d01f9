# Control setpoints and limits (rows: see co2hr.settings). Append-only.
CONTROL_SCHEMA = (
    ("mode_cmd", 2, 0, 4, "", 1,
     "Operating mode: 0 Off, 1 Standby, 2 Max-COP, 3 Heat recovery, 4 Manual"),
    ("p_gc_max_bar", 105.0, 60.0, 115.0, "bar", 10, "Maximum gas cooler pressure reference"),
    ("p_rec_sp_bar", 35.0, 25.0, 50.0, "bar", 10, "Receiver pressure setpoint"),
)
