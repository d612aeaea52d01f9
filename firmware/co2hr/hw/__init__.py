# The hardware layer: the only package that touches machine. Each driver takes
# its bus or pin objects as arguments (as micropython-lib drivers do), so the
# drivers run on the host against bus-level fakes; board_io builds the real
# machine objects from the board file and implements co2hr.hal.Hardware.
