"""The host as a Modbus master by register name: the firmware's table, its codec, reads and
writes over any PDU exchange or a pymodbus link."""
