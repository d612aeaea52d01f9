# Communication settings (rows: see co2hr.settings). Append-only. They take effect
# after the Modbus response that changed them has been sent.
COMM_SCHEMA = (
    ("mb_unit", 1, 1, 247, "", 1, "Modbus RTU slave address"),
)
