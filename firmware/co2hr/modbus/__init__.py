# Modbus server: one PDU core (pdu.py) over two transports (rtu.py, tcp.py), serving
# the register map (registers.py) built from the firmware's own tables.
