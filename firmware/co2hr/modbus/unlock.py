# Service unlock (docs/registers.md, "Service unlock"). Settings and commands are
# writable over Modbus only in a session opened with the code (the setting
# unlock_code) written to holding 600. There is one session per TCP connection, per
# RTU line and for the HIL link; it closes when 0 is written there, after
# unlock_timeout_s, or when its connection ends, so one master's unlock never opens
# another's writes.
#
# A wrong code is refused like any write while locked (exception 1) and makes the
# transport's Guard wait before it takes the next code: FREE_TRIES wrong codes cost
# nothing (a mistyped code), each further one doubles the wait from 1 s up to
# WAIT_MAX_S. Codes sent during a wait are refused without being compared, and do not
# lengthen it. An unlock resets the count. Every TCP connection of a listener shares
# one Guard, so guessers in parallel gain nothing; the RTU line and the link have their
# own, so a guesser on the network cannot lock a technician on the RS-485 line out.
# However fast a guesser sends, 12 codes are compared in the first 1,023 s and one per
# WAIT_MAX_S after that: 155 codes a day of the 65,535 (0.24 %); half the code space
# takes 227 days.
#
# Time is the App's millisecond clock, which wraps at 2**30 ms (12.4 days): the
# transports call expire() on every poll, so a deadline is never compared more than
# half a wrap after it passed (it would look like the future then).
from micropython import const

from co2hr.settings import index as _sidx
from co2hr.ticks import ticks_add, ticks_diff

FREE_TRIES = const(2)
WAIT_MAX_S = const(600)
_WAIT_DOUBLINGS = const(10)  # 2**10 s > WAIT_MAX_S: no larger shift is ever made
_FAILURES_MAX = const(0xFFFF)  # as read in one register
_I_CODE = _sidx("unlock_code")  # build: constant
_I_TIMEOUT = _sidx("unlock_timeout_s")  # build: constant


def wait_s(failures):
    """The wait after the failures-th wrong code since the last unlock."""
    e = failures - FREE_TRIES - 1
    if e < 0:
        return 0
    return WAIT_MAX_S if e >= _WAIT_DOUBLINGS else min(1 << e, WAIT_MAX_S)


_NONE = const(-1)  # a deadline not set (the clock runs 0 .. 2**30 - 1)


def _left_s(until, now):
    """Seconds (rounded up) to a deadline, 0 once it has passed or when none is set."""
    if until == _NONE:
        return 0
    d = ticks_diff(until, now)
    return (d + 999) // 1000 if d > 0 else 0


class Guard:
    """The wrong-code count and the wait of one transport."""

    def __init__(self, clock_ms):
        self.clock_ms = clock_ms
        self.failures = 0
        self.until = _NONE  # the end of the wait
        self.source = 0  # the transport's co2hr.eventlog SRC_* (set by the server)
        self.events = None  # co2hr.eventlog.EventLog: unlocks, locks and wrong codes

    def expire(self, now):
        if self.until != _NONE and ticks_diff(self.until, now) <= 0:
            self.until = _NONE

    def wait_s(self):
        """Seconds before the next code is taken (rounded up)."""
        now = self.clock_ms()
        self.expire(now)
        return _left_s(self.until, now)

    def take(self, code_ok, now):
        """A code arrives at now. True: it opens the session."""
        self.expire(now)
        if self.until != _NONE:
            return False
        if code_ok:
            self.failures = 0
            return True
        if self.failures < _FAILURES_MAX:
            self.failures += 1
        w = wait_s(self.failures)
        if w:
            self.until = ticks_add(now, w * 1000)
        return False


class Unlock:
    """One session: an RTU line, the link, or (tcp._Slot) a TCP connection."""

    def __init__(self, guard, settings):
        self.guard = guard
        self.settings = settings
        self.until = _NONE  # the end of the unlock (none: locked)
        self.ev_from = 0  # the event-log entry this master reads from (co2hr.modbus.evregs)

    def _locked(self, why):
        self.until = _NONE
        ev = self.guard.events
        if ev is not None:
            ev.session(1, self.guard.source, why)

    def attempt(self, raw):
        """A write of raw to the unlock register. True: done (0 locks, the code opens);
        False: refused (a wrong code, or any code during the guard's wait)."""
        g = self.guard
        if raw == 0:
            if self.until != _NONE:
                self._locked(0)
            return True
        v = self.settings.values
        now = g.clock_ms()
        g.expire(now)
        waiting = g.until != _NONE
        if not g.take(raw == v[_I_CODE], now):
            if not waiting and g.events is not None:  # (codes sent during a wait are not compared)
                g.events.session(2, g.source, g.failures, wait_s(g.failures))
            return False
        timeout_s = int(v[_I_TIMEOUT])
        was_open = self.until != _NONE
        self.until = ticks_add(now, timeout_s * 1000)
        if g.events is not None and not was_open:  # (a code while open only extends it)
            g.events.session(0, g.source, timeout_s)
        return True

    def close(self):
        """The session's connection ended."""
        self.ev_from = 0
        if self.until != _NONE:
            self._locked(2)

    def expire(self, now):
        """Look at the deadlines (this session's and its guard's): on every poll."""
        if self.until != _NONE and ticks_diff(self.until, now) <= 0:
            self._locked(1)
        self.guard.expire(now)

    def is_open(self):
        if self.until != _NONE:
            self.expire(self.guard.clock_ms())
        return self.until != _NONE

    def seconds_left(self):
        return _left_s(self.until, self.guard.clock_ms()) if self.is_open() else 0

    def read_only(self):
        """Every write refused on this session (the TCP read-only mode: tcp._Slot)."""
        return False
