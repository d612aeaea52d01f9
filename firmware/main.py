# Board entry point. With hil.flag on the flash the board serves the HIL link on
# its USB serial (the host simulates the rig); otherwise it runs the rig.
import gc
import sys

# rig deploy puts co2hr/ into the ROMFS partition, mounted at /rom (--fs: next to
# this file); MicroPython lists /rom on sys.path where it has ROMFS, this makes sure.
if "/rom" not in sys.path:
    sys.path.append("/rom")

from co2hr import boot  # noqa: E402


def _exists(path):
    try:
        open(path).close()
        return True
    except OSError:
        return False


# The parsed board file is only needed while the application is built: it is not
# kept (it would hold ~7 KB of heap for good), and a HIL reset reads it again.
if _exists("hil.flag"):
    from co2hr.hil_link import HilLink

    name = boot.load_board("board.json").get("name", "?")
    link = HilLink(sys.stdin.buffer, sys.stdout.write,
                   lambda hw: boot.build(hw, boot.load_board("board.json"), "flash"), name)
    gc.collect()
    while link.step():
        gc.collect()
else:
    from co2hr.hw.board_io import BoardHardware

    board = boot.load_board("board.json")
    app = boot.build(BoardHardware(board), board)
    board = None
    gc.collect()
    while True:
        if app.service():
            gc.collect()  # at a known point, between ticks, not inside one
