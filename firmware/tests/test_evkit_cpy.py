"""The dual tests' copy of the event log's numbers (evkit.py) is the firmware's: every
private const of co2hr/eventlog.py it names has the same value, and every kind and
tuning number the log has is in the kit."""

import evkit

from rig.regs.fwdoc import consts


def test_the_kit_matches_the_firmware_source():
    fw = {n.lstrip("_"): v for n, v, _d in consts("eventlog.py", "_")}
    kit = {n: v for n, v in vars(evkit).items() if n.isupper()}
    for n, v in kit.items():
        if n.startswith("LOCK_"):
            continue  # unlock.py's arguments, checked below
        assert fw.get(n) == v, (n, v, fw.get(n))
    missing = [n for n in fw if (n.startswith(("EV_", "STORE_", "WHAT_", "CODE_"))
                                 or n in ("N_PEND", "QUOTA_BURST", "FLUSH_WITHIN_MS"))
               and n not in kit]
    assert not missing, missing


def test_the_lock_reasons_are_unlock_py_calls():
    from rig.fw import FIRMWARE_DIR

    src = (FIRMWARE_DIR / "co2hr" / "modbus" / "unlock.py").read_text()
    assert "self._locked(0)" in src and "self._locked(1)" in src and "self._locked(2)" in src
    assert (evkit.LOCK_BY_MASTER, evkit.LOCK_TIMEOUT, evkit.LOCK_CLOSED) == (0, 1, 2)
