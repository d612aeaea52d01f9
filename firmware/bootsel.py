# The boot decision (docs/flashing.md, "Maintenance boot"), made before anything of
# the co2hr package is imported, so that a missing, half-copied or broken package can
# never keep a board from a deploy. main.py imports this file, asks choose() what to
# run and drops it again (its code would otherwise stay on the heap):
#
#   maint.flag on the flash          maintenance: rig deploy is replacing the firmware
#   files that differ from deploy.sha256 (missing, half-copied, changed)
#                                    maintenance, from this file alone
#   crash.txt counts CRASH_LIMIT     maintenance: the rig stopped on an error that many
#                                    runs in a row (co2hr/start.py counts them)
#   hil.flag                         the HIL link on the USB serial
#   otherwise                        the rig (co2hr/start.py)
#
# Maintenance never starts the watchdog or the control loop. With a verified package,
# co2hr.maintenance holds every output in its safe state and serves the register map
# read-only (boot_mode, input 640); without one, or when that fails, idle() says so on
# the console every 10 s and drives nothing (the pins stay as the reset left them).
# rig deploy writes this file (and main.py) under a temporary name and renames it into
# place, so it is always whole; the host's deploy tests call decide() on a board's files.
import os
import sys

MARKER = "maint.flag"
MANIFEST = "deploy.sha256"
CRASHES = "crash.txt"
CRASH_LIMIT = 3
SAY_S = 10
# Boot modes, as input register boot_mode reads them (co2hr.modbus.registers).
RUN = 0
DEPLOY = 1
CRASHED = 2
START_FAILED = 3
HIL = -1


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
    """The failures in a row co2hr/start.py has counted (the first line of crash.txt)."""
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


def idle(mode, why):
    """Maintenance from this file alone: a message every SAY_S, nothing driven."""
    import time

    msg = ("co2hr MAINTENANCE (boot mode %d): %s. Watchdog and control loop off; "
           "outputs NOT driven (as the reset left them); no Modbus. rig deploy ends it "
           "(docs/flashing.md)." % (mode, why))
    while True:
        print(msg)
        time.sleep(SAY_S)


def maintenance(mode, why, verified):
    """Maintenance with the package if it verified, else (or if that fails) idle()."""
    if verified:
        try:
            from co2hr.maintenance import run

            run(mode, why)  # returns only by an exception (Ctrl-C passes through)
        except Exception as e:
            sys.print_exception(e)
            why += "; maintenance with the package failed: %r" % e
    idle(mode, why)


def choose():
    """What main.py runs, as (function, arguments): the rig (with the failures counted
    so far) or the HIL link from the package, else maintenance. A function of the
    package holds nothing of this module, so main.py can drop it."""
    # rig deploy puts co2hr/ into the ROMFS partition, mounted at /rom (--fs: beside
    # main.py); MicroPython lists /rom on sys.path where it has ROMFS, this makes sure.
    if "/rom" not in sys.path:
        sys.path.append("/rom")
    mode, why, ok = decide()
    try:
        if mode == RUN:
            from co2hr.start import rig

            return rig, (crash_count(),)
        if mode == HIL:
            from co2hr.start import hil

            return hil, ()
    except Exception as e:  # a verified package that does not import on this board
        sys.print_exception(e)
        mode, why = START_FAILED, "importing the firmware failed: %r" % e
    return maintenance, (mode, why, ok)
