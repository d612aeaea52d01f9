# Board entry point, kept small: its code stays on the heap while the board runs.
# bootsel.py (beside it) decides what this boot runs and is dropped once it has:
# the rig or the HIL link from the verified package (co2hr/start.py), or maintenance
# (docs/flashing.md, "Maintenance boot"). If bootsel.py itself is missing or broken,
# nothing runs: the REPL, with no watchdog, and rig deploy puts it right.
import gc
import sys

# rig deploy puts co2hr/ into the ROMFS partition, mounted at /rom (--fs: next to
# this file); MicroPython lists /rom on sys.path where it has ROMFS, this makes sure.
if "/rom" not in sys.path:
    sys.path.append("/rom")

run = None
args = ()
try:
    import bootsel

    run, args = bootsel.choose()
except Exception as e:
    sys.print_exception(e)
    print("co2hr MAINTENANCE: bootsel.py is missing or broken: nothing runs, no watchdog;"
          " rig deploy ends it (docs/flashing.md)")
bootsel = None
sys.modules.pop("bootsel", None)
gc.collect()
if run is not None:
    run(*args)
