"""CPython stand-in for MicroPython's `micropython` module, so the firmware imports
`from micropython import const` exactly as on a board (as micropython-lib drivers do).
Only what the firmware uses: const() is the identity, the emitters are no-ops."""


def const(x):
    return x


def native(f):
    return f


def viper(f):
    return f
