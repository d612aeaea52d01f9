"""Host side of the CO2 heat-recovery rig: plant model, simulated board, targets, `rig`."""

from rig import fw as _fw

_fw.ensure_importable()  # the firmware package `co2hr` is imported in-process by host tools
