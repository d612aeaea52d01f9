# What a verified board runs (bootsel.py chose it): the rig, or the HIL link.
# The rig's watchdog starts at its first tick (co2hr/hw/watchdog.py), so:
# * a rig that fails to start (no watchdog running yet) goes to maintenance;
# * one that fails while running drives its outputs safe, counts the failure in
#   crash.txt (bootsel.py boots into maintenance after CRASH_LIMIT in a row; a run of
#   _HEALTHY_TICKS clears the count) and resets the board;
# * Ctrl-C (the console, or mpremote) leaves the outputs in their safe state.
import gc
import os
import sys

from micropython import const

_CRASHES = "crash.txt"  # the count on its first line (bootsel.py reads it)
_START_FAILED = const(3)  # boot mode (bootsel.py, input register boot_mode)
_HEALTHY_TICKS = const(600)  # a run this long (10 min at 1 s) clears the count


def hil():
    from co2hr import read_board

    # The parsed board file is only needed while the application is built: it is not
    # kept (it would hold ~7 KB of heap for good), and a HIL reset reads it again. Read
    # before the rest of the package: it names the application whose tables are loaded.
    name = read_board("board.json").get("name", "?")
    from co2hr import boot
    from co2hr.hil_link import HilLink

    link = HilLink(sys.stdin.buffer, sys.stdout.write,
                   lambda hw: boot.build(hw, read_board("board.json"), "flash"), name)
    gc.collect()
    while link.step():
        gc.collect()


def _start(held, make_hw=None, board_path="board.json"):
    """The rig's application; held gets its hardware as soon as it exists. make_hw(board)
    builds the hardware (default: BoardHardware; a bench passes the pin-level fakes).
    co2hr.boot is needed only here: it is dropped once the application is built."""
    from co2hr import read_board, unload

    board = read_board(board_path)  # first: it names the application (co2hr.APP)
    from co2hr import boot

    if make_hw is None:
        from co2hr.hw.board_io import BoardHardware

        make_hw = BoardHardware
    held.append(make_hw(board))
    try:
        return boot.build(held[0], board)
    finally:
        unload("co2hr.boot")


def crashed(hw, e, before):
    """The running rig failed: outputs safe, the failure counted on top of the before
    counted so far, the board reset."""
    hw.safe_state()
    sys.print_exception(e)
    try:
        with open(_CRASHES, "w") as f:
            f.write("%d\n" % (before + 1))
            sys.print_exception(e, f)
    except OSError:
        pass
    hw.reset()


def _failed_to_start(held, e):
    sys.print_exception(e)
    if held and held[0].timer is not None:
        held[0].timer.deinit()  # maintenance builds its own hardware
    import bootsel

    bootsel.maintenance(_START_FAILED, "starting the rig failed: %r" % e, True)


def rig(crashes=0):
    """The rig; crashes: its failures in a row so far (bootsel.crash_count())."""
    held = []  # the hardware, once it exists (its outputs are made safe on a failure)
    try:
        app = _start(held)
    except Exception as e:
        _failed_to_start(held, e)
        return
    hw = held[0]
    gc.collect()
    try:
        while True:
            if app.service():
                gc.collect()  # at a known point, between ticks, not inside one
                if crashes and app.ticks == _HEALTHY_TICKS:
                    crashes = 0
                    try:
                        os.remove(_CRASHES)
                    except OSError:
                        pass
    except KeyboardInterrupt:  # Ctrl-C on the console, or mpremote
        hw.safe_state()
        raise
    except Exception as e:
        crashed(hw, e, crashes)
