# The byte ports the Modbus transports poll on a real board (interface: see
# co2hr/modbus/rtu.py and tcp.py; the simulators' twins are in modbus/ports.py).
# * UartRtuPort: a machine.UART with an RS-485 transceiver's DE pin. DE is raised
#   and dropped by the RTU server; tx_done() is true only when the UART says so
#   *and* the bytes' airtime has passed, so DE is held until the last stop bit.
# Modbus TCP's listening socket, where the board has a network, is in
# co2hr/hw/tcp_socket.py: a board without one never imports it.
_PARITY = (None, 1, 0)  # Modbus 0 none, 1 odd, 2 even -> machine.UART parity


class UartRtuPort:
    kind = "rtu"

    def __init__(self, uart, de_pin, ticks_us, baud=19200, parity=2, stop_bits=1):
        """uart: machine.UART; de_pin: Pin (1 = driver on); ticks_us: time.ticks_us."""
        self.uart = uart
        self.de_pin = de_pin
        self.ticks_us = ticks_us
        self.tx_end_us = 0
        self.baud = 0
        self.char_us = 573
        de_pin(0)
        self.configure(baud, parity, stop_bits)

    def configure(self, baud, parity, stop_bits):
        self.uart.init(baudrate=baud, bits=8, parity=_PARITY[parity], stop=stop_bits,
                       timeout=0, timeout_char=0)
        self.baud = baud
        self.char_us = (9 + (1 if parity else 0) + stop_bits) * 1000000 // baud

    def any(self):
        return self.uart.any()

    def readinto(self, mv):
        n = self.uart.readinto(mv)
        return n or 0

    def write(self, mv):
        now = self.ticks_us()
        start = self.tx_end_us
        if ((start - now) & 0x3FFFFFFF) > 0x1FFFFFFF:  # previous frame already gone
            start = now
        self.tx_end_us = (start + len(mv) * self.char_us) & 0x3FFFFFFF
        return self.uart.write(mv) or 0

    def tx_done(self):
        if ((self.ticks_us() - self.tx_end_us) & 0x3FFFFFFF) > 0x1FFFFFFF:
            return False  # bytes still on the wire by the clock
        txdone = getattr(self.uart, "txdone", None)
        return txdone() if txdone is not None else True

    def de(self, level):
        self.de_pin(1 if level else 0)
