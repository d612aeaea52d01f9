# co2hr: controller firmware for a transcritical CO2 heat-recovery rig.
VERSION = "0.1.0"


def unload(name):
    """Drop the module co2hr.<...> name from sys.modules and its package, so that its
    code and globals are collected once nothing else holds them (boot-only modules)."""
    import sys

    sys.modules.pop(name, None)
    pkg, _, attr = name.rpartition(".")
    p = sys.modules.get(pkg)
    if p is not None and hasattr(p, attr):
        delattr(p, attr)
