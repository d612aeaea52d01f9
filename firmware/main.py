# Board entry point, kept small: its code stays on the heap while the board runs.
# bootsel.py (beside it) decides what this boot runs and is dropped once it has:
# the rig or the HIL link from the verified package (co2hr/start.py), or maintenance
# (docs/flashing.md, "Maintenance boot"). If bootsel.py itself is missing or broken,
# nothing runs: the REPL, with no watchdog, and rig deploy puts it right.
# (bootsel.choose() also puts /rom, the ROMFS partition, on sys.path.)
import gc
import sys

run = None
try:
    import bootsel

    run, args = bootsel.choose()
except Exception as e:
    sys.print_exception(e)
    print("co2hr: bootsel.py is missing or broken: nothing runs; rig deploy (docs/flashing.md)")
bootsel = None
sys.modules.pop("bootsel", None)
gc.collect()
if run is not None:
    run(*args)
