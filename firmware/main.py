# Board entry point. How the board boots is decided here, before anything of the
# co2hr package is imported, so that a missing, half-copied or broken package can
# never keep a board from a deploy (docs/flashing.md, "Maintenance boot"):
#
#   maint.flag on the flash         maintenance: rig deploy is replacing the firmware
#   the files differ from deploy.sha256 (missing, half-copied, changed)
#                                   maintenance, from this file alone
#   crash.txt counts CRASH_LIMIT    maintenance: the rig stopped on an error that many
#                                   runs in a row
#   hil.flag                        the HIL link on the USB serial (the host simulates
#                                   the rig)
#   otherwise                       the rig: control loop, watchdog from the first tick
#
# Maintenance never starts the watchdog or the control loop. With a verified package,
# co2hr.maintenance holds every output in its safe state and serves the register map
# read-only (boot_mode, input 640); without one, or when that fails, this file says so
# on the console every 10 s and drives nothing (the pins stay as the reset left them).
# A rig that fails to start (no watchdog running yet) goes to maintenance; one that
# fails in its loop drives its outputs safe, counts the failure in crash.txt and resets.
# Imported as a module (`import main`), nothing runs: the host's deploy tests call
# decide() on a board's files.
import gc
import os
import sys

MARKER = "maint.flag"
MANIFEST = "deploy.sha256"
CRASHES = "crash.txt"
CRASH_LIMIT = 3
HEALTHY_TICKS = 600  # a run this long (10 min at 1 s) clears the crash count
SAY_S = 10
# Boot modes, as input register boot_mode reads them (co2hr.modbus.registers).
RUN = 0
DEPLOY = 1
CRASHED = 2
START_FAILED = 3
HIL = -1

# rig deploy puts co2hr/ into the ROMFS partition, mounted at /rom (--fs: next to
# this file); MicroPython lists /rom on sys.path where it has ROMFS, this makes sure.
if "/rom" not in sys.path:
    sys.path.append("/rom")


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def _sha256(path, buf):
    import binascii
    import hashlib

    h = hashlib.sha256()
    n = 0
    mv = memoryview(buf)
    with open(path, "rb") as f:
        while True:
            k = f.readinto(buf)
            if not k:
                break
            h.update(mv[:k])
            n += k
    return binascii.hexlify(h.digest()).decode(), n


def verify():
    """'' when every file deploy.sha256 lists has its size and sha256, else what differs."""
    buf = bytearray(512)
    n = 0
    rom = False
    try:
        with open(MANIFEST) as f:
            for line in f:
                w = line.split()
                if len(w) == 2 and w[0] == "end":
                    if int(w[1]) != n:
                        return "%s lists %d files, not %s" % (MANIFEST, n, w[1])
                    if rom and _exists("co2hr"):
                        return "co2hr/ on the filesystem would shadow /rom/co2hr"
                    return ""
                if len(w) != 3:
                    return "%s: a malformed line" % MANIFEST
                try:
                    got = _sha256(w[2], buf)
                except OSError:
                    return w[2] + " is missing"
                if got[1] != int(w[1]) or got[0] != w[0]:
                    return "%s differs from %s (%d B, %d expected)" % (
                        w[2], MANIFEST, got[1], int(w[1]))
                rom = rom or w[2].startswith("/rom/")
                n += 1
    except OSError:
        return "no " + MANIFEST + " (never deployed, or a deploy did not finish)"
    except ValueError:
        return "%s: a malformed line" % MANIFEST
    return MANIFEST + " is incomplete"


def crash_count():
    try:
        with open(CRASHES) as f:
            return int(f.readline())
    except (OSError, ValueError):
        return 0


def decide():
    """(mode, why, verified): what this boot does. Reads files only."""
    why = verify()
    ok = not why
    if _exists(MARKER):
        w = "rig deploy is replacing the firmware (%s)" % MARKER
        return DEPLOY, w if ok else w + "; the files on the flash do not verify: " + why, ok
    if not ok:
        return START_FAILED, "the firmware does not verify: " + why, ok
    n = crash_count()
    if n >= CRASH_LIMIT:
        return CRASHED, "the rig stopped on an error %d runs in a row (%s)" % (n, CRASHES), ok
    return (HIL if _exists("hil.flag") else RUN), "", ok


def _idle(mode, why):
    """Maintenance from this file alone: a message every SAY_S, nothing driven."""
    import time

    msg = ("co2hr MAINTENANCE (boot mode %d): %s. Watchdog and control loop off; "
           "outputs NOT driven (as the reset left them); no Modbus. rig deploy ends it "
           "(docs/flashing.md)." % (mode, why))
    while True:
        print(msg)
        time.sleep(SAY_S)


def maintenance(mode, why, verified):
    if verified:
        try:
            from co2hr.maintenance import run

            run(mode, why)  # returns only by an exception (Ctrl-C passes through)
        except Exception as e:
            sys.print_exception(e)
            why += "; maintenance with the package failed: %r" % e
    gc.collect()
    _idle(mode, why)


def _hil():
    from co2hr import boot
    from co2hr.hil_link import HilLink

    # The parsed board file is only needed while the application is built: it is not
    # kept (it would hold ~7 KB of heap for good), and a HIL reset reads it again.
    name = boot.load_board("board.json").get("name", "?")
    link = HilLink(sys.stdin.buffer, sys.stdout.write,
                   lambda hw: boot.build(hw, boot.load_board("board.json"), "flash"), name)
    gc.collect()
    while link.step():
        gc.collect()


def _start(held):
    from co2hr import boot
    from co2hr.hw.board_io import BoardHardware

    board = boot.load_board("board.json")
    held.append(BoardHardware(board))
    return boot.build(held[0], board)


def _crashed(hw, e):
    """The running rig failed: outputs safe, the failure counted, the board reset."""
    hw.safe_state()
    sys.print_exception(e)
    n = crash_count() + 1  # read before "w" empties the file
    try:
        with open(CRASHES, "w") as f:
            f.write("%d\n" % n)
            sys.print_exception(e, f)
    except OSError:
        pass
    hw.reset()


def _rig():
    held = []  # the hardware, once it exists (its outputs are made safe on a failure)
    try:
        app = _start(held)
    except Exception as e:
        sys.print_exception(e)
        if held and held[0].timer is not None:
            held[0].timer.deinit()  # maintenance builds its own hardware
        maintenance(START_FAILED, "starting the rig failed: %r" % e, True)
    hw = held[0]
    crashes = crash_count()
    gc.collect()
    try:
        while True:
            if app.service():
                gc.collect()  # at a known point, between ticks, not inside one
                if crashes and app.ticks == HEALTHY_TICKS:
                    crashes = 0
                    try:
                        os.remove(CRASHES)
                    except OSError:
                        pass
    except KeyboardInterrupt:  # Ctrl-C on the console, or mpremote
        hw.safe_state()
        raise
    except Exception as e:
        _crashed(hw, e)


def boot():
    mode, why, verified = decide()
    if mode == HIL:
        _hil()
    elif mode == RUN:
        _rig()
    else:
        maintenance(mode, why, verified)


if __name__ == "__main__":
    boot()
