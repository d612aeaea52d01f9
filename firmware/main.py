# Board entry point. With hil.flag on the flash the board serves the HIL link on
# its USB serial (the host simulates the rig); otherwise it runs the rig.
import gc
import sys

from co2hr import boot


def _exists(path):
    try:
        open(path).close()
        return True
    except OSError:
        return False


board = boot.load_board("board.json")
gc.collect()
if _exists("hil.flag"):
    from co2hr.hil_link import HilLink

    link = HilLink(sys.stdin.buffer, sys.stdout.write, lambda hw: boot.build(hw, board, "flash"),
                   board.get("name", "?"))
    gc.collect()
    while link.step():
        gc.collect()
else:
    from co2hr.hw.board_io import BoardHardware

    app = boot.build(BoardHardware(board), board)
    gc.collect()
    while True:
        if app.service():
            gc.collect()  # at a known point, between ticks, not inside one
