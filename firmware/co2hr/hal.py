# The hardware interface: everything the controller knows of the world.
#
# Three implementations exist: the board's drivers (co2hr.hw), the simulated
# board on the host (rig.targets.sil) and the HIL link (co2hr.hil_link), where
# a host feeds terminal values and time over a byte stream. The controller only
# ever sees this class, so the same firmware runs on all three.
from co2hr.io import N_IN, N_OUT


class Hardware:
    """Base class and contract. Terminal values are raw (mA, V, ohm, 0/1,
    pulse count); the signal layer turns them into engineering units."""

    n_in = N_IN
    n_out = N_OUT
    flash_dir = None  # the folder of the settings/counters store and event log; None: RAM only
    rtc_version = 0  # changes when the RTC was set from outside the firmware (the HIL host)
    # A hardware with a network link has it as .net (co2hr.hw.net.NetLink): boot.build
    # polls it between ticks, the register map shows it (input 640..); None: no network.
    net = None

    def ticks_ms(self):
        """Monotonic milliseconds, wrapping at 2**30 (see co2hr.ticks)."""
        raise NotImplementedError

    def read(self, raw, ok):
        """Fill raw[i] with terminal value i and ok[i] with 1, or ok[i] = 0
        when the bus or driver could not read it. Never raises."""
        raise NotImplementedError

    def write(self, out):
        """Drive the outputs: out[i] is % (0..100) or 0/1, in io.OUTPUTS order."""
        raise NotImplementedError

    def feed_watchdog(self):
        """Called once per completed control tick, never elsewhere."""

    def reset_cause(self):
        return "unknown"

    def flash_fs(self):
        """The filesystem object the store and the event log use (open/rename/remove/
        mkdir, co2hr.storage.OsFs); None: the board's own."""
        return None

    def rtc_read(self):
        """The RTC's UTC date and time (year, month, day, hour, minute, second), or None
        where there is no RTC (co2hr.clock decides whether to believe it)."""
        return None

    def rtc_write(self, y, mo, d, h, mi, s):
        """Set the RTC (UTC), so that it keeps the time across a reset."""

    def use_settings(self, settings):
        """The live co2hr.settings.Settings, for settings the hardware applies itself
        (a stepper valve's re-homing interval). Called once, at boot."""

    def homing(self):
        """Bit i (io.OUTPUTS order) set while output i is homing: a stepper valve
        being driven against its closed stop to zero its count, so its position is
        not the commanded out[i]. 0 where no output homes."""
        return 0

    def comm_ports(self):
        """Byte ports the Modbus server polls (RTU UART, TCP listener): list."""
        return []
