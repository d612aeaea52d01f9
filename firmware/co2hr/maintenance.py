# Maintenance boot (main.py decides it; docs/flashing.md, "Maintenance boot"): the
# board is kept safe and reachable while its firmware is replaced or a fault is looked
# at, and nothing else runs:
# * no watchdog: it is never started (hw.feed_watchdog() is never called), so a deploy
#   may take as long as it takes;
# * no control loop: every output is held in its safe state (co2hr.io.SAFE_OUTPUTS: the
#   valve homed, then held part-open) by the hardware layer, polled from this loop and
#   not from a timer, so nothing of the package runs once mpremote has interrupted it
#   (a ROMFS image can be rewritten under it);
# * the register map is served read-only on the board's Modbus ports (RS-485, and TCP
#   once the network is up): boot_mode (input 640) says why, every write is refused
#   with exception 1 (illegal function), inputs read invalid (nothing is measured) and
#   outputs read their safe values; the settings are loaded from flash (masters reach
#   the board at its usual address and baud rate) and never saved, nor is the event
#   log written;
# * the console says so every 10 s.
from micropython import const

from co2hr import boot, read_board
from co2hr.modbus.pdu import ILLEGAL_FUNCTION
from co2hr.modbus.registers import RegisterMap
from co2hr.ticks import ticks_add, ticks_diff

_SAY_MS = const(10000)


class _ReadOnlyMap(RegisterMap):
    """The register map with every write refused."""

    def writable(self, table, addr, qty):
        return ILLEGAL_FUNCTION


class Maintenance:
    def __init__(self, mode, why, hw, board, log=print):
        """mode: the boot mode input 640 reads (main.py's codes); why: for the console."""
        self.hw = hw
        self.log = log
        app = boot.build(hw, board)
        if app.store is not None:
            app.comms.remove(app.store)  # settings loaded, nothing saved
        if app.events is not None:
            app.comms.remove(app.events)  # nor the event log appended to
        srv = app.modbus
        m = _ReadOnlyMap(app, srv, srv.settings, board.get("name", "?"))
        m.boot_mode = mode
        srv.map = m
        srv.core.model = m
        self.app = app
        self.msg = ("co2hr MAINTENANCE (boot mode %d): %s. Watchdog and control loop off; "
                    "outputs held safe; Modbus read-only. rig deploy ends it "
                    "(docs/flashing.md)." % (mode, why))
        self._say_ms = hw.ticks_ms()

    def poll(self):
        """One pass: valve steps due, the Modbus ports and the network, the message."""
        hw = self.hw
        now = hw.ticks_ms()
        hw.poll(now)
        for c in self.app.comms:
            c.poll()
        if ticks_diff(now, self._say_ms) >= 0:
            self._say_ms = ticks_add(now, _SAY_MS)
            self.log(self.msg)


def run(mode, why, board_path="board.json"):
    """Maintenance on this board until Ctrl-C (mpremote) or a reset."""
    from co2hr.hw.board_io import BoardHardware

    board = read_board(board_path)
    hw = BoardHardware(board, timer=False)
    m = Maintenance(mode, why, hw, board)
    board = None
    try:
        while True:
            m.poll()
    except KeyboardInterrupt:  # mpremote: the deploy copies next
        hw.quiesce()
        raise
